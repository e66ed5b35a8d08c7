package main

import "runtime/debug"

// buildVersion is set by the release build:
// -X github.com/openagents/cockpit/cmd/cockpit.buildVersion=…  (package main: -X main.buildVersion)
var buildVersion = ""

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "dev"
}
