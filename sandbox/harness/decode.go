package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// decodeRequired unmarshals data into v after checking that every required
// key is present and not null. encoding/json silently zero-fills missing
// fields; serde in the real harness refuses them, and a capture missing
// last_seq must fail loudly rather than compare as 0.
func decodeRequired(data []byte, v any, required ...string) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	for _, name := range required {
		raw, ok := fields[name]
		if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return fmt.Errorf("missing field %q", name)
		}
	}
	return json.Unmarshal(data, v)
}

// marshalPretty renders v like serde_json::to_vec_pretty: two-space indent,
// no HTML escaping, no trailing newline.
func marshalPretty(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
