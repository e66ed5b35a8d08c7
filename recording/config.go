package recording

import (
	"fmt"
	"log/slog"

	"github.com/openagents/cockpit/config"
)

// MinMaxBytes is the smallest bound recording.max_bytes accepts: below it
// a recording holds a few minutes of rounds, which nobody should mistake
// for a flight recorder.
const MinMaxBytes = 1 << 20

func init() { config.RegisterCheck(checkConfig) }

// checkConfig names a recording.max_bytes the recorder cannot keep.
func checkConfig(c *config.Config) []config.Problem {
	m := c.Recording.MaxBytes
	if m == 0 || m >= MinMaxBytes {
		return nil
	}
	return []config.Problem{{Path: "$.recording.max_bytes", Msg: fmt.Sprintf(
		"%d bytes is below the smallest recording (%d bytes, 1 MiB): raise it, leave it out for %d MiB, or set recording.off: true to record nothing",
		m, MinMaxBytes, DefaultMaxBytes>>20)}}
}

// Open starts recording process's rounds of env as cfg says: nil, and no
// error, when recording is off (a nil Recorder records nothing).
func Open(cfg *config.Config, env, process, version string, logger *slog.Logger, onStop func(why string)) (*Recorder, error) {
	if cfg.Recording.Off {
		return nil, nil
	}
	return Start(Options{Dir: Dir(cfg.StateDir, env), Env: env, Process: process, Version: version,
		MaxBytes: cfg.Recording.MaxBytes, Logger: logger, OnStop: onStop})
}
