package config

// Recording is the recording: section of the cockpit's config, e.g.
//
//	recording:
//	  max_bytes: 209715200   # each environment's recording; the oldest rounds go past it
//	  off: false
//
// Every observing process (operate, watch, guard, a scripted check)
// records its rounds under <state_dir>/<env>/recording. It is plain data:
// the recording package owns what the fields mean (its default bound, the
// smallest bound it accepts) and checks them through RegisterCheck.
type Recording struct {
	// MaxBytes bounds each environment's recording, in bytes; 0 or left
	// out is the recording package's default (200 MiB).
	MaxBytes int64 `yaml:"max_bytes"`
	// Off records nothing (a state disk with no room for it).
	Off bool `yaml:"off"`
}
