package skew

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckRefusesOnlyBeyondTheSkew(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at      time.Time
		allowed time.Duration
		refused bool
	}{
		{now, 0, false},
		{now.Add(-time.Hour), 0, false},
		{now.Add(Default), 0, false},
		{now.Add(Default + time.Millisecond), 0, true},
		{now.Add(2 * time.Second), time.Second, true},
		{time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), 0, true},
	} {
		err := Check("feed row", tc.at, now, tc.allowed)
		var fe *FutureError
		if got := errors.As(err, &fe); got != tc.refused {
			t.Errorf("Check(%s, allowed %s) = %v, refused want %v", tc.at, tc.allowed, err, tc.refused)
		}
		if tc.refused && !strings.Contains(err.Error(), "in the future (clock skew?)") {
			t.Errorf("message %q does not say the clock may be skewed", err)
		}
	}
}
