package config

// Direction says which side of a signal's thresholds is bad. It holds the
// one threshold rule every judge of a value uses (the checks' verdicts,
// the sampler's worst-series reduction, the screen's colours, this
// package's warn-before-crit check): Worse.
type Direction string

// The directions a signal may have.
const (
	// Above: higher is worse (an error rate); the default.
	Above Direction = "above"
	// Below: lower is worse (a success ratio, an up gauge).
	Below Direction = "below"
)

// Valid says whether d is one of the directions.
func (d Direction) Valid() bool { return d == Above || d == Below }

// Worse reports whether x is worse than than: greater for Above, smaller
// for Below. A value breaches a threshold when it is worse than it (equal
// is not a breach, as Prometheus's `>` and `<`).
func (d Direction) Worse(x, than float64) bool {
	if d == Below {
		return x < than
	}
	return x > than
}

// Breaches reports whether v breaches the threshold t; an unset threshold
// (nil) is never breached.
func (d Direction) Breaches(v float64, t *float64) bool {
	return t != nil && d.Worse(v, *t)
}

// Operator is the comparison d makes, for a rule's text: ">" or "<".
func (d Direction) Operator() string {
	if d == Below {
		return "<"
	}
	return ">"
}
