package harness

import "fmt"

// ioError and parseError carry the real harness's two error prefixes
// ("shadow file I/O error", "shadow parse error"), so the CLI's stderr reads
// like the real tool's and an operator's grep works on both.
func ioError(err error) error { return fmt.Errorf("shadow file I/O error: %w", err) }

func parseError(path string, err error) error {
	return fmt.Errorf("shadow parse error: %s: %w", path, err)
}
