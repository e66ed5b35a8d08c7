package runbook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openagents/cockpit/metrics"
)

// TestTheWireCarriesEveryField fills every field reachable from a State
// with a value that is not its zero (one element in every list and map),
// sends it across the feed and compares: a field added to State and
// forgotten by the wire comes back zero, and this test names it.
func TestTheWireCarriesEveryField(t *testing.T) {
	var s State
	fill(t, reflect.ValueOf(&s).Elem(), "State")
	b, err := EncodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	s.Source = "" // never carried: the follower says where its state came from
	if path := firstDiff(reflect.ValueOf(s), reflect.ValueOf(got), "State"); path != "" {
		t.Fatalf("the feed loses %s", path)
	}
}

// fill sets every field reachable from v to a value that is not its zero.
func fill(t *testing.T, v reflect.Value, path string) {
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 12, 7, 10, 0, 0, len(path), time.UTC)))
		return
	case reflect.TypeFor[*Item]():
		v.Set(reflect.ValueOf(FindItem(feedItems, "S1")))
		return
	case reflect.TypeFor[error]():
		v.Set(reflect.ValueOf(errors.New("error at " + path)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("text at " + path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1) // a valid verdict, incident and freeze state
	case reflect.Uint64:
		v.SetUint(1)
	case reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0), path+"[0]")
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, path+".key")
		fill(t, e, path+"[key]")
		m.SetMapIndex(k, e)
		v.Set(m)
	default:
		t.Fatalf("%s: fill knows no %s", path, v.Type())
	}
}

// firstDiff is the path of the first value that differs between a and b.
func firstDiff(a, b reflect.Value, path string) string {
	if reflect.DeepEqual(a.Interface(), b.Interface()) {
		return ""
	}
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				if p := firstDiff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
					return p
				}
			}
		}
	case reflect.Slice:
		for i := range min(a.Len(), b.Len()) {
			if p := firstDiff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return fmt.Sprintf("%s: sent %v, got %v", path, a.Interface(), b.Interface())
}

// A real round's state, as EncodeState writes it: the seed of the hostile
// rows below.
func realRow(t *testing.T) []byte {
	t.Helper()
	var s State
	fill(t, reflect.ValueOf(&s).Elem(), "State")
	s.Observed.CohortPercent = math.NaN()
	b, err := EncodeState(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostileRows are rows a forger (or a broken cockpit) can write to the
// feed, a few bytes to MaxWireBytes: the gob format of v1 (whose decoder
// made maps as large as the input said), every list one element past its
// limit, "[{},{},…]" up to the size cap, the costliest rows within every
// bound (lists at their limits, one key repeated), deep nesting, huge
// strings and numbers, a row over the size cap, enums out of range.
func hostileRows(t *testing.T) map[string][]byte {
	real := realRow(t)
	envelope := func(state string) []byte {
		return []byte(`{"format":"` + stateFormat + `","state":` + state + `}`)
	}
	list := func(elem string, n int) string {
		return `[` + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + `]`
	}
	toCap := func(prefix, elem, suffix string) []byte { // as many elements as fit
		n := (MaxWireBytes - len(envelope(prefix+suffix)) - 2) / (len(elem) + 1)
		return envelope(prefix + list(elem, n) + suffix)
	}
	items := list(`{"id":"P1"}`, 64)
	rows := map[string][]byte{
		"gob v1, maps sized by the input": []byte(`{"format":"cockpit-state-gob/v1","state":"` +
			base64.StdEncoding.EncodeToString([]byte("\x0f\xff\x81\x04\x01\x02\xff\x82\x00\x01\x0c\x01\x0c\x00\x00\xfe\xff\xff\xff\xff\xff\xff\xff")) + `"}`),
		"items: one past the limit":            envelope(`{"items":` + list(`{"id":"P1"}`, 65) + `}`),
		"checks: one past the limit":           envelope(`{"items":[{"id":"P1","checks":` + list(`{}`, 33) + `}]}`),
		"samples: one past the limit":          envelope(`{"snapshot":{"samples":` + list(`{}`, 65) + `}}`),
		"points: one past the limit":           envelope(`{"snapshot":{"samples":[{"history":` + list(`{}`, 257) + `}]}}`),
		"warnings: one past the limit":         envelope(`{"snapshot":{"samples":[{"warnings":` + list(`""`, 33) + `}]}}`),
		"history: one past the limit":          envelope(`{"history":{"done":` + list(`{}`, 65) + `}}`),
		"[{},{},…] to the size cap":            toCap(`{"items":`, `{}`, `}`),
		"points to the size cap":               toCap(`{"snapshot":{"samples":[{"history":`, `{}`, `}]}}`),
		"one key 600 times":                    envelope(`{` + strings.TrimSuffix(strings.Repeat(`"items":`+items+`,`, 600), ",") + `}`),
		"one key 120 times, within bounds":     envelope(`{` + strings.TrimSuffix(strings.Repeat(`"items":`+items+`,`, 120), ",") + `}`),
		"samples key 120 times, within bounds": envelope(`{"snapshot":{` + strings.TrimSuffix(strings.Repeat(`"samples":`+list(`{}`, 64)+`,`, 120), ",") + `}}`),
		"every list at its limit":              envelope(`{"snapshot":{"samples":` + list(`{"history":`+list(`{}`, 256)+`}`, 30) + `}}`),
		"nested 100000 deep":                   envelope(strings.Repeat(`[`, 100000) + strings.Repeat(`]`, 100000)),
		"unknown field nesting deep":           envelope(`{"x":` + strings.Repeat(`{"a":`, 9000) + `1` + strings.Repeat(`}`, 9000) + `}`),
		"a string of 500 KB":                   envelope(`{"env":"` + strings.Repeat(`\u001b`, (MaxWireBytes-100)/6) + `"}`),
		"a number past float64":                envelope(`{"snapshot":{"seq":1` + strings.Repeat("0", 400) + `}}`),
		"an item not in the runbook":           envelope(`{"items":[{"id":"S9"}]}`),
		"an incident state out of range":       envelope(`{"incidents":[{"state":"exploded"}]}`),
		"a verdict out of range":               envelope(`{"items":[{"id":"S1","verdict":"GREENEST"}]}`),
		"a row over the size cap":              append(real[:len(real)-2:len(real)-2], []byte(`,"x":"`+strings.Repeat("x", MaxWireBytes)+`"}}`)...),
		"truncated":                            real[:len(real)/2],
		"not JSON":                             []byte("\x00\xff{"),
	}
	for name, row := range rows {
		if len(row) > MaxWireBytes && name != "a row over the size cap" {
			t.Fatalf("%s: %d bytes, over the cap: the row tests the cap, not its own rule", name, len(row))
		}
	}
	return rows
}

// decodeCost is what DecodeState allocated to read b, in bytes: an upper
// bound on what the row costs a follower's memory.
func decodeCost(b []byte) (State, error, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := DecodeState(b)
	runtime.ReadMemStats(&after)
	return s, err, after.TotalAlloc - before.TotalAlloc
}

// maxDecodeCost is what one row may cost a follower, whatever it holds.
const maxDecodeCost = 10 << 20

// TestHostileRowsCostAFollowerALine: each hostile row is refused with an
// error (one line on a follower's screen) or decodes to a bounded, cleaned
// state, and reading it allocates under 10 MB in all.
func TestHostileRowsCostAFollowerALine(t *testing.T) {
	accepted := map[string]bool{"every list at its limit": true, "one key 120 times, within bounds": true, "samples key 120 times, within bounds": true, "a string of 500 KB": true}
	for name, row := range hostileRows(t) {
		s, err, cost := decodeCost(row)
		t.Logf("%-40s %7d bytes → %5.2f MB allocated: %v", name, len(row), float64(cost)/(1<<20), err)
		if cost > maxDecodeCost {
			t.Errorf("%s: decoding allocated %.1f MB, over %d MB", name, float64(cost)/(1<<20), maxDecodeCost>>20)
		}
		switch {
		case accepted[name] && err != nil:
			t.Errorf("%s: refused (%v), want decoded within its bounds", name, err)
		case !accepted[name] && err == nil:
			t.Errorf("%s: decoded, want refused", name)
		case err != nil && (strings.Contains(err.Error(), "\n") || len(err.Error()) > 400):
			t.Errorf("%s: the refusal is not one short line: %q", name, err)
		}
		if len(s.Env) > 4*512 || strings.Contains(s.Env, "\x1b") {
			t.Errorf("%s: env not cleaned: %d bytes", name, len(s.Env))
		}
	}
}

// TestMangledRowsNeverPanicNorCost: a thousand real rows with bytes
// flipped, cut, repeated or swapped decode to an error or a state, never a
// panic, each under the memory bound.
func TestMangledRowsNeverPanicNorCost(t *testing.T) {
	real := realRow(t)
	rng := rand.New(rand.NewPCG(14, 9))
	var worst uint64
	for i := range 1000 {
		b := mangle(rng, bytes.Clone(real))
		_, _, cost := decodeCost(b)
		worst = max(worst, cost)
		if cost > maxDecodeCost {
			t.Fatalf("mangled row %d (%d bytes) allocated %.1f MB", i, len(b), float64(cost)/(1<<20))
		}
	}
	t.Logf("real row %d bytes; worst of 1000 mangled rows allocated %.2f MB", len(real), float64(worst)/(1<<20))
}

// mangle applies one to four random edits to b.
func mangle(rng *rand.Rand, b []byte) []byte {
	for range 1 + rng.IntN(4) {
		i, j := rng.IntN(len(b)), rng.IntN(len(b))
		i, j = min(i, j), max(i, j)
		switch rng.IntN(5) {
		case 0:
			b[i] = byte(rng.IntN(256))
		case 1:
			b = b[:i]
		case 2:
			b = append(b[:i:i], b[j:]...)
		case 3:
			b = append(b[:j:j], append(bytes.Clone(b[i:j]), b[j:]...)...)
		default:
			b[i] = "[]{}\",:0-\\"[rng.IntN(10)]
		}
		if len(b) == 0 {
			return b
		}
	}
	return b
}

// FuzzDecodeState: DecodeState never panics; what it accepts is cleaned
// and encodes again.
func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"format":"` + stateFormat + `","state":{}}`))
	f.Add([]byte(`{"format":"` + stateFormat + `","state":{"items":[{"id":"S1"}],"snapshot":{"samples":[{"value":"NaN"}]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeState(b)
		if err != nil {
			return
		}
		if _, err := EncodeState(s); err != nil {
			t.Errorf("an accepted row does not encode again: %v", err)
		}
	})
}

// A real row costs little, and a row its followers would refuse (over
// the cap, a list past its limit) is refused when it is published, not
// only when it is read.
func TestARealRowCostsLittleAndTheCapHoldsAtPublishing(t *testing.T) {
	real := realRow(t)
	if _, err, cost := decodeCost(real); err != nil || cost > maxDecodeCost {
		t.Fatalf("a real row: %v, %d bytes allocated", err, cost)
	}
	var s State
	fill(t, reflect.ValueOf(&s).Elem(), "State")
	s.Env = strings.Repeat("x", MaxWireBytes)
	if _, err := EncodeState(s); err == nil || !strings.Contains(err.Error(), "over the feed's") {
		t.Fatalf("encoding a state over the cap: %v, want refused", err)
	}
	s.Env = "staging"
	s.Snapshot.Samples = map[string]metrics.Sample{}
	for i := range 65 {
		s.Snapshot.Samples[fmt.Sprint("signal_", i)] = metrics.Sample{}
	}
	if _, err := EncodeState(s); err == nil || !strings.Contains(err.Error(), "its followers would refuse it: decoding the observation: more than 64 samples") {
		t.Fatalf("encoding 65 signals: %v, want refused as its followers would", err)
	}
	var env struct{ State json.RawMessage }
	if err := json.Unmarshal(real, &env); err != nil || !json.Valid(env.State) {
		t.Fatalf("the row is not JSON with a state: %v", err)
	}
}
