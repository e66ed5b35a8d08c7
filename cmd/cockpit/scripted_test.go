package main

import (
	"github.com/openagents/cockpit/output/scripted"
	"github.com/openagents/cockpit/sharedlog"
)

// The tests read check's and status's -o json into the reports the verbs
// print, which live in output/scripted (and sharedlog, for the timeline).
type (
	checkLine      = scripted.CheckLine
	checkReport    = scripted.CheckReport
	timelineReport = sharedlog.Publishable
	guardStatus    = scripted.GuardStatus
)
