package lock

import "sync"

// once makes a release function idempotent: the executor releases on every
// exit path, and a second call must not unlock someone else's lock.
func once(release func() error) func() error {
	var (
		o   sync.Once
		err error
	)
	return func() error {
		o.Do(func() { err = release() })
		return err
	}
}
