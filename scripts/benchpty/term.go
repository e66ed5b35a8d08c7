package main

import (
	"fmt"
	"io"
	"regexp"
)

// termReader follows what a screen writes to a terminal: it keeps the text
// (escape sequences taken out) to find the value marker, and, when it plays
// a real terminal, answers the queries a screen sends at start (background
// and foreground colour, cursor position, device attributes). A bare pty
// answers nothing, like a serial console or an SSH multiplexer that
// swallows queries.
type termReader struct {
	answer io.Writer // nil: a bare pty that never answers
	rows   int
	marker *regexp.Regexp
	ignore *regexp.Regexp // text that looks like a value but is configuration

	state byte   // ground, esc, csi, str (OSC/DCS/APC/PM/SOS), strEsc
	seq   []byte // the sequence being read (CSI parameters, OSC body)
	text  []byte // recent text, bounded, for the marker
	found bool
	match string // the text around the marker's first match
}

const (
	stGround = iota
	stEsc
	stCSI
	stStr
	stStrEsc
)

// textWindow bounds the text kept for the marker: a value is short.
const textWindow = 512

// feed reads one chunk the screen wrote; found is set once the marker
// has been seen.
func (t *termReader) feed(b []byte) {
	for _, c := range b {
		t.step(c)
	}
	t.look()
}

// look matches the marker on the text kept, until it is found.
func (t *termReader) look() {
	if t.found {
		return
	}
	text := t.ignore.ReplaceAllLiteral(t.text, []byte("~"))
	if at := t.marker.FindIndex(text); at != nil {
		t.found = true
		t.match = string(text[max(at[0]-40, 0):min(at[1]+20, len(text))])
	}
}

func (t *termReader) step(c byte) {
	switch t.state {
	case stGround:
		t.ground(c)
	case stEsc:
		t.escape(c)
	case stCSI:
		t.seq = append(t.seq, c)
		if c >= 0x40 && c <= 0x7e {
			t.csi()
			t.state = stGround
		}
	case stStr:
		switch c {
		case 0x07:
			t.str("\a")
			t.state = stGround
		case 0x1b:
			t.state = stStrEsc
		default:
			t.seq = append(t.seq, c)
		}
	case stStrEsc:
		if c == '\\' {
			t.str("\x1b\\")
		}
		t.state = stGround
	}
}

func (t *termReader) ground(c byte) {
	switch {
	case c == 0x1b:
		t.state, t.seq = stEsc, t.seq[:0]
	case c == '\r' || c == '\n':
		t.keep(' ') // a new line ends a value
	case c >= 0x20 && c != 0x7f:
		t.keep(c)
	}
}

func (t *termReader) escape(c byte) {
	switch c {
	case '[':
		t.state = stCSI
	case ']', 'P', '_', '^', 'X':
		t.state = stStr
		t.seq = append(t.seq[:0], c)
	default:
		t.state = stGround // a two-byte sequence (ESC 7, ESC =, ...)
	}
}

func (t *termReader) keep(c byte) {
	if len(t.text) >= textWindow {
		t.look() // before the older half is dropped
		t.text = append(t.text[:0], t.text[textWindow/2:]...)
	}
	t.text = append(t.text, c)
}

// csi answers a cursor position report and primary device attributes, as
// a terminal does. A cursor movement breaks the text: what follows is
// elsewhere on the screen.
func (t *termReader) csi() {
	seq := string(t.seq)
	if final := seq[len(seq)-1]; final != 'm' {
		t.keep(' ')
	}
	if t.answer == nil {
		return
	}
	switch seq {
	case "6n":
		fmt.Fprintf(t.answer, "\x1b[%d;1R", t.rows)
	case "c", "0c":
		io.WriteString(t.answer, "\x1b[?62;22c")
	}
}

// str answers the colour queries (OSC 10 and 11) with a dark terminal's
// colours, ended the way the query was.
func (t *termReader) str(end string) {
	if t.answer == nil {
		return
	}
	switch string(t.seq) {
	case "]11;?":
		io.WriteString(t.answer, "\x1b]11;rgb:0000/0000/0000"+end)
	case "]10;?":
		io.WriteString(t.answer, "\x1b]10;rgb:ffff/ffff/ffff"+end)
	}
}
