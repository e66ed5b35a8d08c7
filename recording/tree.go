package recording

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// A round is recorded as the parts of its wire JSON that changed since the
// round before: most of a state (item titles, rules, thresholds, journaled
// history) is the same from one second to the next, and only its values,
// ages and times move. The JSON is cut into a tree of parts: objects by
// field, lists of objects that carry an "id" or "name" by that key, and
// everything else (numbers, strings, lists without keys, deeper levels)
// as a leaf holding its JSON text. Each object or keyed list is also a
// part, its shape: its field names or keys in order. A part is recorded
// when its text changed; the reader keeps every part and rebuilds the JSON.

// maxDepth is how deep the tree is cut: past it a value is one leaf. A
// sample's fields sit at depth 5 (state, snapshot, samples, name, field).
const maxDepth = 6

// Part kinds, the first byte of a part's text in a tree.
const (
	kindLeaf   = 'v' // JSON text
	kindObject = 'o' // field names, NUL-separated
	kindList   = 'l' // element keys, NUL-separated
)

// tree is a round cut into parts: path → kind byte + content. A path is
// its parent's path, "/", and the field name or element key ("~" and "/"
// escaped as in JSON pointers); the root's path is "".
type tree map[string]string

// cut parses a JSON document into its parts.
func cut(doc []byte) (tree, error) {
	t := tree{}
	if err := t.add("", doc, 0); err != nil {
		return nil, fmt.Errorf("cutting the round into parts: %w", err)
	}
	return t, nil
}

func (t tree) add(path string, raw []byte, depth int) error {
	raw = bytes.TrimSpace(raw)
	if depth >= maxDepth || len(raw) == 0 {
		t[path] = string(kindLeaf) + string(raw)
		return nil
	}
	switch raw[0] {
	case '{':
		return t.addObject(path, raw, depth)
	case '[':
		return t.addList(path, raw, depth)
	}
	t[path] = string(kindLeaf) + string(raw)
	return nil
}

func (t tree) addObject(path string, raw []byte, depth int) error {
	fields, err := objectFields(raw)
	if err != nil {
		return err
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		if f.name == "" || strings.ContainsRune(f.name, 0) || slices.Contains(names[:i], f.name) {
			t[path] = string(kindLeaf) + string(raw) // a name a shape cannot hold
			return nil
		}
		names[i] = f.name
	}
	t[path] = string(kindObject) + strings.Join(names, "\x00")
	for _, f := range fields {
		if err := t.add(child(path, f.name), f.value, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// addList cuts a list whose elements are objects with a unique "id" (or
// "name") by that key; any other list is a leaf.
func (t tree) addList(path string, raw []byte, depth int) error {
	elems, err := listElems(raw)
	if err != nil {
		return err
	}
	keys, ok := listKeys(elems)
	if !ok {
		t[path] = string(kindLeaf) + string(raw)
		return nil
	}
	t[path] = string(kindList) + strings.Join(keys, "\x00")
	for i, e := range elems {
		if err := t.add(child(path, keys[i]), e, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// listKeys is each element's "id", else each one's "name"; false when the
// list is empty or an element has neither, a key repeats, or one is empty
// or holds a NUL.
func listKeys(elems [][]byte) ([]string, bool) {
	if len(elems) == 0 || len(elems[0]) == 0 || elems[0][0] != '{' {
		return nil, false
	}
	for _, name := range []string{"id", "name"} {
		if keys, ok := keysBy(elems, name); ok {
			return keys, true
		}
	}
	return nil, false
}

func keysBy(elems [][]byte, name string) ([]string, bool) {
	keys := make([]string, len(elems))
	seen := make(map[string]bool, len(elems))
	for i, e := range elems {
		key, ok := stringField(e, name)
		if !ok || key == "" || seen[key] || strings.ContainsRune(key, 0) {
			return nil, false
		}
		keys[i], seen[key] = key, true
	}
	return keys, true
}

// stringField is the string value of the object b's member name.
func stringField(b []byte, name string) (string, bool) {
	if len(b) == 0 || b[0] != '{' {
		return "", false
	}
	fields, err := objectFields(b)
	if err != nil {
		return "", false
	}
	for _, f := range fields {
		if f.name == name {
			var s string
			if json.Unmarshal(f.value, &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	return "", false
}

var pathEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func child(path, name string) string { return path + "/" + pathEscaper.Replace(name) }

// changed is every part of next whose text differs from prev's.
func changed(prev, next tree) map[string]string {
	out := map[string]string{}
	for p, v := range next {
		if prev[p] != v {
			out[p] = v
		}
	}
	return out
}

// errMissingPart is a round that names a part no frame recorded: a segment
// cut short before its first full round, or written by a broken recorder.
var errMissingPart = errors.New("a part of the round was never recorded")

// build rebuilds the JSON document of the tree.
func (t tree) build() ([]byte, error) {
	var b bytes.Buffer
	if err := t.write(&b, "", 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (t tree) write(b *bytes.Buffer, path string, depth int) error {
	part, ok := t[path]
	if !ok || part == "" || depth > maxDepth {
		return fmt.Errorf("%w: %q", errMissingPart, path)
	}
	body := part[1:]
	switch part[0] {
	case kindLeaf:
		b.WriteString(body)
		return nil
	case kindObject:
		return t.writeChildren(b, path, body, depth, '{', '}', true)
	case kindList:
		return t.writeChildren(b, path, body, depth, '[', ']', false)
	}
	return fmt.Errorf("part %q has unknown kind %q", path, part[0])
}

func (t tree) writeChildren(b *bytes.Buffer, path, names string, depth int, open, closing byte, named bool) error {
	b.WriteByte(open)
	if names != "" {
		for i, name := range strings.Split(names, "\x00") {
			if i > 0 {
				b.WriteByte(',')
			}
			if named {
				key, _ := json.Marshal(name)
				b.Write(key)
				b.WriteByte(':')
			}
			if err := t.write(b, child(path, name), depth+1); err != nil {
				return err
			}
		}
	}
	b.WriteByte(closing)
	return nil
}
