package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
	"github.com/openagents/cockpit/recording"
)

// Options say what to report on and where.
type Options struct {
	Config *config.Config
	Env    *config.Environment
	// From and To bound the window (zero: from the first, to the last
	// thing the journal and the recording hold).
	From, To time.Time
	// Out is the directory report.md and charts/ are written to.
	Out string
	Now func() time.Time
}

// Result is what Write wrote.
type Result struct {
	Path   string   // report.md
	Charts []string // the charts' files
	Rounds int      // recorded rounds in the window
	// Notes are what could not be read (a torn segment, a segment of
	// another version); report.md lists them too.
	Notes []string
}

// Write writes the post-mortem of o's window into o.Out.
func Write(ctx context.Context, o Options) (Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	d, err := gather(ctx, journal.Path(o.Config.StateDir, o.Env.Name), recording.Dir(o.Config.StateDir, o.Env.Name), o.From, o.To)
	if err != nil {
		return Result{}, err
	}
	d.env = o.Env.Name
	names, err := writeChartFiles(filepath.Join(o.Out, "charts"), d, o.Env.Signals)
	if err != nil {
		return Result{}, err
	}
	path := filepath.Join(o.Out, "report.md")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return Result{}, fmt.Errorf("writing the report: %w", err)
	}
	err = writeMarkdown(f, d, names, o.Now())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Result{}, fmt.Errorf("writing %s: %w", path, err)
	}
	res := Result{Path: path, Rounds: d.rounds, Notes: d.notes}
	for _, n := range names {
		res.Charts = append(res.Charts, filepath.Join(o.Out, "charts", n+".svg"))
	}
	return res, nil
}
