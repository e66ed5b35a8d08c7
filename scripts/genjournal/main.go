// Command genjournal writes a large staging journal and a config whose
// state_dir holds it, to measure `cockpit timeline` by hand (issue 16:
// 100k records in ≤ 1 s and ≤ 50 MiB):
//
//	go run ./scripts/genjournal -n 100000 -dir /tmp/tl
//	/usr/bin/time -v bin/cockpit timeline --config /tmp/tl/cockpit.yaml --env staging >/dev/null
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/openagents/cockpit/internal/journalgen"
	"github.com/openagents/cockpit/journal"
)

func main() {
	n := flag.Int("n", 100000, "records to write")
	dir := flag.String("dir", "", "directory for cockpit.yaml and state/ (made if missing)")
	flag.Parse()
	if *dir == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "genjournal: -dir is required and -n must be 1 or more")
		os.Exit(2)
	}
	if err := write(*dir, *n); err != nil {
		fmt.Fprintln(os.Stderr, "genjournal:", err)
		os.Exit(1)
	}
}

func write(dir string, n int) error {
	state := filepath.Join(dir, "state")
	shown, err := journalgen.Write(journal.Path(state, "staging"), n)
	if err != nil {
		return err
	}
	// The timeline reads only state_dir and the environment's name; the
	// URLs are there because a config must have them.
	cfg := "state_dir: " + state + `
operator: alice
environments:
  staging:
    production: false
    prometheus: {url: "http://127.0.0.1:1"}
    rust_runtime: {url: "http://127.0.0.1:1"}
    legacy_runtime: {url: "http://127.0.0.1:1"}
    parity: {reports: "` + filepath.Join(dir, "reports", "*.json") + `"}
`
	path := filepath.Join(dir, "cockpit.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return fmt.Errorf("writing the config: %w", err)
	}
	fmt.Printf("config: %s\nrecords: %d (a timeline shows %d: the rest repeat a probe's answer)\n", path, n, len(shown))
	return nil
}
