package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/openagents/cockpit/sandbox"
)

func openRehearsalScreen(ctx context.Context, s *Streams, w *sandbox.World, env string, logger *slog.Logger) error {
	return usageError("%v", errors.New("the rehearsal screen is not wired yet: use --headless"))
}
