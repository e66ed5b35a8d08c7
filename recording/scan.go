package recording

import (
	"bytes"
	"encoding/json"
	"errors"
)

// The cutter walks JSON that encoding/json wrote (runbook.EncodeState), one
// light pass per level: decoding each level into maps of raw messages
// validated every subtree once per level, and was most of a round's cost.
// Malformed input is an error, never a panic.

var errBadJSON = errors.New("malformed JSON")

// skipSpace is the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue is the index just past the JSON value starting at i.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errBadJSON
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		return skipNested(b, i)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' {
		j++
	}
	if j == i {
		return 0, errBadJSON
	}
	return j, nil
}

// skipString is the index just past the string starting at i.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errBadJSON
}

// skipNested is the index just past the object or list starting at i.
func skipNested(b []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			end, err := skipString(b, j)
			if err != nil {
				return 0, err
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, errBadJSON
}

// field is one member of an object: its name and its value's text.
type field struct {
	name  string
	value []byte
}

// objectFields splits the object b into its members, in order.
func objectFields(b []byte) ([]field, error) {
	var out []field
	err := members(b, '{', '}', func(i int) (int, error) {
		end, err := skipString(b, i)
		if err != nil || b[i] != '"' {
			return 0, errBadJSON
		}
		name, err := unquote(b[i:end])
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, errBadJSON
		}
		start := skipSpace(b, i+1)
		if end, err = skipValue(b, start); err != nil {
			return 0, err
		}
		out = append(out, field{name: name, value: b[start:end]})
		return end, nil
	})
	return out, err
}

// listElems splits the list b into its elements' texts.
func listElems(b []byte) ([][]byte, error) {
	var out [][]byte
	err := members(b, '[', ']', func(i int) (int, error) {
		end, err := skipValue(b, i)
		if err != nil {
			return 0, err
		}
		out = append(out, b[i:end])
		return end, nil
	})
	return out, err
}

// members calls member at the start of each comma-separated member of
// the object or list b (open … closing), which returns where it ended.
func members(b []byte, open, closing byte, member func(int) (int, error)) error {
	if len(b) < 2 || b[0] != open || b[len(b)-1] != closing {
		return errBadJSON
	}
	i := skipSpace(b, 1)
	if i == len(b)-1 {
		return nil
	}
	for {
		end, err := member(i)
		if err != nil {
			return err
		}
		i = skipSpace(b, end)
		switch {
		case i == len(b)-1:
			return nil
		case b[i] != ',':
			return errBadJSON
		}
		i = skipSpace(b, i+1)
	}
}

// unquote is the JSON string s's value; most names hold no escape.
func unquote(s []byte) (string, error) {
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s[1 : len(s)-1]), nil
	}
	var v string
	if err := json.Unmarshal(s, &v); err != nil {
		return "", errBadJSON
	}
	return v, nil
}
