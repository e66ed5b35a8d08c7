package config

import "testing"

// TestDirectionWorse: the threshold rule on both sides, equal never a
// breach, an unset threshold never breached.
func TestDirectionWorse(t *testing.T) {
	one := 1.0
	for _, c := range []struct {
		d        Direction
		v        float64
		breaches bool
	}{
		{Above, 2, true}, {Above, 1, false}, {Above, 0, false},
		{Below, 0, true}, {Below, 1, false}, {Below, 2, false},
	} {
		if got := c.d.Breaches(c.v, &one); got != c.breaches {
			t.Errorf("%s: Breaches(%v, 1) = %v, want %v", c.d, c.v, got, c.breaches)
		}
		if c.d.Breaches(c.v, nil) {
			t.Errorf("%s: an unset threshold was breached by %v", c.d, c.v)
		}
	}
	if Above.Operator() != ">" || Below.Operator() != "<" {
		t.Errorf("operators %q %q", Above.Operator(), Below.Operator())
	}
	if !Above.Valid() || !Below.Valid() || Direction("up").Valid() || Direction("").Valid() {
		t.Error("Valid accepts other than above and below")
	}
}
