package tui

import (
	"log/slog"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/config"
	"github.com/openagents/cockpit/journal"
)

// common is what every component shares: styles, clock, the environment and
// its thresholds. It travels by pointer; nothing here is global.
type common struct {
	styles Styles
	// profile is Options.Profile, kept to build the styles again when the
	// terminal says its background is light.
	profile colorprofile.Profile
	now     func() time.Time
	// at is the frame's clock: read once per message by the root's
	// Update, so every part of a frame shows ages against the same
	// instant and View reads no clock of its own.
	at         time.Time
	env        string
	production bool
	mode       Mode
	staleAfter time.Duration
	// refresh is Options.Refresh: how far apart rounds are, which sets
	// how old data can be while it is as new as the screen can show.
	refresh time.Duration
	// probeEvery is runbook.ProbeEvery: how often a round reads the
	// projector endpoints, whose results age in between by design.
	probeEvery time.Duration
	signals    map[string]*config.Signal
	logger     *slog.Logger
	// timeline is Options.Timeline (nil: nothing to say).
	timeline func() string
	// redact is Options.Redact (nil: journal.Redact's patterns only).
	redact func(string) string
	// guard is the newest state a guard journaled (zero: none), and
	// guardCountdown the environment's countdown (Options.GuardCountdown).
	guard          journal.Record
	guardCountdown time.Duration
}

// hide is text with the config's secrets hidden (Options.Redact), or,
// without a list, what journal.Redact's patterns find.
func (c *common) hide(s string) string {
	if c.redact == nil {
		return journal.Redact(s)
	}
	return c.redact(s)
}

// stale reports whether data of this age must be shown as STALE. Data never
// observed (age < 0) is stale too: no data is not fresh data.
func (c *common) stale(age time.Duration) bool {
	return age < 0 || age > c.staleAfter
}

// liveWord is what a reading's age shows while it is within the normal
// jitter of scrape and refresh (liveWithin): "live", a steady word rather
// than an age that flaps 0s/1s/2s with the phase of the scrape against the
// round, which says nothing to the operator and redraws every second.
const liveWord = "live"

// liveWithin is the age below which a reading is as new as the screen can
// show: up to one refresh for the round's phase, one for the scrape (a
// dashboard is refreshed no faster than its data is scraped), and a second
// for the query and the frame. Older data shows its age.
func (c *common) liveWithin() time.Duration { return 2*c.refresh + time.Second }

// live says whether a reading of this age, from a source read every
// `every` (0: every round), is as new as it gets: within liveWithin of its
// last read. A stale reading never is, however short its stale_after, so
// "STALE live" never appears; a reading never observed (age < 0) neither.
func (c *common) live(age, every time.Duration, stale bool) bool {
	return !stale && age >= 0 && age < c.liveWithin()+every
}

// readingAge is a reading's age as the screen shows it: liveWord while
// live, else ageText.
func (c *common) readingAge(age, every time.Duration, stale bool) string {
	if c.live(age, every, stale) {
		return liveWord
	}
	return ageText(age)
}

// staleSignal is stale for a Prometheus signal's value: past the signal's
// own stale_after when it sets one (a source ingested minutes late), as the
// checks judge it, so the screen and the gates agree on what is stale.
func (c *common) staleSignal(signal string, age time.Duration) bool {
	return age < 0 || age > checks.StaleAfter(c.signals[signal], c.staleAfter)
}
