package executor

import (
	"context"
	"fmt"
	"time"

	"github.com/openagents/cockpit/lock"
	"github.com/openagents/cockpit/runbook"
)

// fenceTimeout bounds the fence check: a lock database that does not
// answer within it has not proved the lease, so the step does not act.
const fenceTimeout = 5 * time.Second

type fenceKey struct{}

// fence is the action's lease and the way to stop the action when the
// lease is gone.
type fence struct {
	lease *lock.Lease
	stop  context.CancelCauseFunc
}

// withFence carries the action's lease to its sub-steps.
func withFence(ctx context.Context, lease *lock.Lease, stop context.CancelCauseFunc) context.Context {
	return context.WithValue(ctx, fenceKey{}, fence{lease: lease, stop: stop})
}

// fenced is the check a forward step passes before each actuator: the
// lease is proved held now (a round trip on the lock's own session) and no
// rollback has asked for it. Failing, it stops the whole action with that
// cause. A rollback is never fenced: it must reach its end.
func (x *Executor) fenced(ctx context.Context, step string) error {
	f, ok := ctx.Value(fenceKey{}).(fence)
	if step == runbook.RollbackID || !ok {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, fenceTimeout)
	defer cancel()
	if err := f.lease.Check(cctx); err != nil {
		err = fmt.Errorf("lock lost: %w", err)
		f.stop(err)
		return err
	}
	return nil
}
