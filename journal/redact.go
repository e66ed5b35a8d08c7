package journal

import "github.com/openagents/cockpit/internal/redact"

// Redacted replaces every secret the journal is told about; it is
// redact.Redacted, the one marker every output shares.
const Redacted = redact.Redacted

// Redactor is redact.Redactor: one process's list of secrets, shared by
// the journal, the formatters and the screen.
type Redactor = redact.Redactor

// NewRedactor is redact.NewRedactor.
func NewRedactor(secrets ...string) *Redactor { return redact.NewRedactor(secrets...) }

// Redact is redact.Redact: the journal's records go through it.
func Redact(s string, secrets ...string) string { return redact.Redact(s, secrets...) }

// Mask is redact.Mask: Redact for text laid out to the column.
func Mask(s string, secrets ...string) string { return redact.Mask(s, secrets...) }
