package runbook

import (
	"context"
	"fmt"

	"github.com/openagents/cockpit/checks"
)

// WritersNow says, from one round's observation, which runtimes accept
// writes and where the writes go, in the words an operator acts on: what
// a step stopped mid-way leaves behind ("legacy not yet frozen: both
// runtimes accept writes"). The quit question and the exit message of a
// screen closed during an action both say it.
func (st State) WritersNow() string {
	rust, legacy := st.Writers.Rust, st.Writers.Legacy
	routed := st.Observed.WriteTarget.Evidence.Value
	both := rust == checks.Accepting && legacy == checks.Accepting
	switch {
	case rust == checks.FreezeUnknown || legacy == checks.FreezeUnknown:
		return fmt.Sprintf("which runtimes accept writes cannot be told (rust %s, legacy %s)", rust, legacy)
	case both && routed == "rust":
		return "legacy not yet frozen: both runtimes accept writes"
	case both && routed == "legacy":
		return "rust accepts writes while they still go to legacy: both runtimes accept writes"
	case both:
		return "both runtimes accept writes"
	case rust == checks.Frozen && legacy == checks.Frozen:
		return "neither runtime accepts writes: writes are refused"
	case rust == checks.Accepting:
		return "one writer, rust (legacy frozen)" + misrouted(routed, "rust")
	}
	return "one writer, legacy (rust frozen)" + misrouted(routed, "legacy")
}

// misrouted notes writes going elsewhere than the one writer.
func misrouted(routed, writer string) string {
	if routed == "" || routed == writer {
		return ""
	}
	return ", but writes go to " + routed + ": they are refused"
}

// WithFreshProbes asks Observe to send the safe frozen probes now rather
// than reuse their last answers: what a stopped action left must be read
// from the runtimes, not from a probe its cancellation cut short.
func WithFreshProbes(ctx context.Context) context.Context { return withFreshProbes(ctx) }
