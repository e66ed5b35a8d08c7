package runbook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// limit names a list of the feed and how many elements it may hold: well
// above what a real round publishes, small enough that a list of empty
// elements ("[{},{},…]") stays cheap however many the row repeats.
type limit interface {
	limit() (n int, what string)
}

type (
	itemsLimit    struct{} // runbook items: 16 today
	checksLimit   struct{} // checks of one item
	incidentLimit struct{} // incident criteria: 3 today
	resultsLimit  struct{} // health probes: 3 today
	samplesLimit  struct{} // signals of an environment
	pointsLimit   struct{} // a sparkline: about 60 points, and the ticks since
	stringsLimit  struct{} // a sample's warnings, a step's sub-steps
	historyLimit  struct{} // journal entries by action: done, last runs, open
)

func (itemsLimit) limit() (int, string)    { return 64, "items" }
func (checksLimit) limit() (int, string)   { return 32, "checks" }
func (incidentLimit) limit() (int, string) { return 32, "incidents" }
func (resultsLimit) limit() (int, string)  { return 32, "results" }
func (samplesLimit) limit() (int, string)  { return 64, "samples" }
func (pointsLimit) limit() (int, string)   { return 256, "points" }
func (stringsLimit) limit() (int, string)  { return 32, "strings" }
func (historyLimit) limit() (int, string)  { return 64, "entries" }

// bounded is a list of the feed that refuses, while it is decoded, more
// elements than its limit L allows: no slice or map is ever sized by a
// number or a count the input chooses.
type bounded[T any, L limit] []T

// UnmarshalJSON decodes the list element by element, refusing unknown
// fields in its elements and an element past the limit.
func (b *bounded[T, L]) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = nil
		return nil
	}
	n, what := (*new(L)).limit()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("%s: not a list", what)
	}
	out := bounded[T, L]{}
	for dec.More() {
		if len(out) == n {
			return fmt.Errorf("more than %d %s", n, what)
		}
		var v T
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	*b = out
	return nil
}

// wireFloat is a float64 that crosses JSON whole: NaN (an unknown cohort,
// a ratio of nothing) and ±Inf as the strings "NaN", "+Inf", "-Inf".
type wireFloat float64

// optFloat is v on the wire when has is true, else nil (JSON null): a
// value and its has_value never disagree.
func optFloat(v float64, has bool) *wireFloat {
	if !has {
		return nil
	}
	f := wireFloat(v)
	return &f
}

// float is the value read back; 0 for null (its has_ flag is then false).
func (f *wireFloat) float() float64 {
	if f == nil {
		return 0
	}
	return float64(*f)
}

// MarshalJSON writes a finite value as a number, else its name.
func (f wireFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return json.Marshal(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return json.Marshal(x)
}

// UnmarshalJSON reads a number, or one of the three names.
func (f *wireFloat) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var name string
		if err := json.Unmarshal(data, &name); err != nil {
			return err
		}
		switch name {
		case "NaN", "+Inf", "-Inf":
			x, _ := strconv.ParseFloat(name, 64)
			*f = wireFloat(x)
			return nil
		}
		return fmt.Errorf("number %q is none of NaN, +Inf, -Inf", name)
	}
	var x float64
	if err := json.Unmarshal(data, &x); err != nil {
		return err
	}
	*f = wireFloat(x)
	return nil
}
