package main

import "github.com/openagents/cockpit/factory"

// Streams are the program's I/O (factory.Streams), injected so tests can
// run every command over buffers, as a terminal or as a pipe.
type Streams = factory.Streams
