// Package safetext is the one place that turns outside text (a runtime's
// body, a parity report, Prometheus, an actuator, the journal) into text that
// is safe to put on a terminal: data, never commands (docs/design.md §2,
// principle 10).
//
// Clean is for one line of evidence; CleanLines keeps line breaks for output
// that is read as a whole (an actuator's). Both drop every escape sequence
// (CSI, OSC ended by BEL or ST, DCS, SOS, PM, APC, and the short ESC forms),
// every C0 and C1 control and DEL, bidi overrides and isolates, and replace
// invalid UTF-8 with U+FFFD. A tab becomes a space.
package safetext

import (
	"reflect"
	"strings"
	"unicode/utf8"
)

// Newline is what a line break (CR, LF, CRLF, NEL, U+2028/9) becomes in a
// single line: visible, so text after it cannot pass for a line of its own.
const Newline = "⏎"

const newline = '⏎'

// Ellipsis ends text that was cut to its bound.
const Ellipsis = "…"

// MaxLen bounds Clean, in runes: longer than any evidence value an operator
// reads on one line, short enough that a hostile field cannot flood a pane.
const MaxLen = 512

// MaxLinesLen bounds CleanLines, in bytes: actuators keep a 4 KiB tail, the
// journal may hold anything.
const MaxLinesLen = 64 << 10

// Clean returns s as one line of screen-safe text of at most MaxLen runes.
func Clean(s string) string { return CleanN(s, MaxLen) }

// CleanN is Clean bounded to max runes (the ellipsis included); max < 1
// means no bound.
func CleanN(s string, max int) string {
	if max > 0 && len(s) <= max && plain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*max+len(Ellipsis)))
	w := writer{b: &b, max: max}
	scan(s, &w, true)
	return w.done()
}

// CleanLines keeps the line structure of s (CRLF and a lone CR become LF)
// and cleans each line as Clean does, without a per-line bound; the whole is
// bounded to MaxLinesLen bytes.
func CleanLines(s string) string {
	if len(s) <= MaxLinesLen && plainLines(s) {
		return s
	}
	cut := len(s) > MaxLinesLen
	s = cutBytes(s, MaxLinesLen)
	var b strings.Builder
	b.Grow(len(s) + len(Ellipsis))
	for i, line := range SplitLines(s) {
		if i > 0 {
			b.WriteByte('\n')
		}
		scan(line, &writer{b: &b}, false)
	}
	out := b.String()
	if cut || len(out) > MaxLinesLen {
		return cutBytes(out, MaxLinesLen) + Ellipsis
	}
	return out
}

// SplitLines splits s at LF, CRLF, a lone CR, NEL and U+2028/9, so a CR
// cannot overwrite a line (a progress bar's frames become lines).
func SplitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n := 0
		switch {
		case r == '\r' && i+1 < len(s) && s[i+1] == '\n':
			n = 2
		case r == '\r' || r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029:
			n = size
		}
		if n == 0 {
			i += size
			continue
		}
		out = append(out, s[start:i])
		i += n
		start = i
	}
	return append(out, s[start:])
}

// FirstLine is the first line of s with how many lines follow, for a
// screen that shows one line and keeps the rest a key away. Blank leading
// and trailing lines are not counted.
func FirstLine(s string) (string, int) {
	lines := SplitLines(strings.TrimSpace(s))
	return lines[0], len(lines) - 1
}

// Strings cleans, in place and with Clean, every settable string reachable
// from v (a pointer): struct fields, slice, array and map elements, map keys,
// values held in interfaces. It is for values just decoded from outside JSON,
// which have no cycles; unexported fields are left alone.
func Strings(v any) {
	walk(reflect.ValueOf(v))
}

func walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walk(v.Elem())
		}
	case reflect.Interface:
		if v.IsNil() || !v.CanSet() {
			return
		}
		e := v.Elem()
		c := reflect.New(e.Type()).Elem()
		c.Set(e)
		walk(c)
		v.Set(c)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				walk(f)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes (json.RawMessage) are not text yet
		}
		for i := range v.Len() {
			walk(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		iter := v.MapRange()
		type entry struct{ k, v reflect.Value }
		var entries []entry
		for iter.Next() {
			entries = append(entries, entry{iter.Key(), iter.Value()})
		}
		for _, e := range entries {
			k := reflect.New(e.k.Type()).Elem()
			k.Set(e.k)
			walk(k)
			val := reflect.New(e.v.Type()).Elem()
			val.Set(e.v)
			walk(val)
			if !k.Equal(e.k) {
				v.SetMapIndex(e.k, reflect.Value{})
			}
			v.SetMapIndex(k, val)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(Clean(v.String()))
		}
	}
}

// writer collects visible runes up to max.
type writer struct {
	b   *strings.Builder
	max int // runes; 0 is unbounded
	n   int
	cut bool
}

func (w *writer) rune(r rune) {
	if w.max > 0 && w.n >= w.max {
		w.cut = true
		return
	}
	w.b.WriteRune(r)
	w.n++
}

// done ends the text, trading its last rune for the ellipsis when it was
// cut, so the result stays within max runes.
func (w *writer) done() string {
	s := w.b.String()
	if !w.cut {
		return s
	}
	_, size := utf8.DecodeLastRuneInString(s)
	return s[:len(s)-size] + Ellipsis
}

// scan writes the visible part of s to w. With single, line breaks become
// Newline; otherwise s holds no line breaks (CleanLines split them) and any
// left are dropped as controls.
func scan(s string, w *writer, single bool) {
	for i := 0; i < len(s) && !w.cut; {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			w.rune(utf8.RuneError)
			i++
			continue
		}
		switch {
		case r == 0x1b:
			i = skipEscape(s, i+1)
			continue
		case r == 0x9b: // C1 CSI
			i = skipCSI(s, i+size)
			continue
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // C1 DCS, SOS, OSC, PM, APC
			i = skipString(s, i+size)
			continue
		case r == '\r' && i+1 < len(s) && s[i+1] == '\n':
			// CRLF is one break: the LF writes it
		case r == '\r' || r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029:
			if single {
				w.rune(newline)
			}
		case r == '\t':
			w.rune(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			// another control: dropped
		case bidi(r):
			// dropped: it would reorder what follows on screen
		default:
			w.rune(r)
		}
		i += size
	}
}

// bidi reports the explicit directional formatting characters: embeddings
// and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and marks.
func bidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// skipEscape returns the index after the escape sequence whose ESC ends
// just before i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC
		return skipString(s, i+1)
	}
	// ESC, intermediates 0x20–0x2F, one final 0x30–0x7E (ESC 7, ESC ( B, ESC c…).
	return skipSequence(s, i, 0x2f, 0x30)
}

// skipCSI skips parameter (0x30–0x3F) and intermediate (0x20–0x2F) bytes
// and the final byte (0x40–0x7E).
func skipCSI(s string, i int) int { return skipSequence(s, i, 0x3f, 0x40) }

// skipSequence skips bytes from 0x20 to last, then one final byte from
// first to 0x7E. Anything else ends the sequence where it stands and is
// judged on its own.
func skipSequence(s string, i int, last, first byte) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= last {
		i++
	}
	if i < len(s) && s[i] >= first && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipString skips a control string up to and including its terminator:
// BEL, ST (ESC \ or U+009C), or CAN/SUB, which abort it. An unterminated
// string runs to the end, as a terminal would swallow it.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07 || s[i] == 0x18 || s[i] == 0x1a:
			return i + 1
		case s[i] == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // another sequence starts: it ends this one
		case s[i] == 0xc2 && i+1 < len(s) && s[i+1] == 0x9c:
			return i + 2
		}
		i++
	}
	return i
}

// plain reports whether s needs no cleaning as one line: printable ASCII only.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// plainLines is plain, with LF allowed.
func plainLines(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n') || c >= 0x7f {
			return false
		}
	}
	return true
}

// cutBytes cuts s to at most n bytes on a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
