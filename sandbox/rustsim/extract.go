package rustsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// rejection is an axum extractor failure: a plain-text status and message
// produced before the handler (and so before the write-authority check).
type rejection struct {
	status int
	msg    string
}

func (rj *rejection) write(w http.ResponseWriter) { writeText(w, rj.status, rj.msg) }

func bodyRejection(status int, format string, args ...any) *rejection {
	return &rejection{status: status, msg: fmt.Sprintf(format, args...)}
}

// maxBody mirrors axum's default 2 MB body limit.
const maxBody = 2 << 20

// jsonBody is a decoded JSON object body with typed field accessors that
// reject like serde does (422 for a wrong type or a missing field).
type jsonBody struct {
	target string
	fields map[string]json.RawMessage
}

// extractJSON behaves like axum's Json<T> extractor for a struct T named
// target: 415 without a JSON content type, 400 for a syntax error, 422 for
// a body that is valid JSON but not an object.
func extractJSON(r *http.Request, target string) (*jsonBody, *rejection) {
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		return nil, bodyRejection(http.StatusUnsupportedMediaType, "Expected request with `Content-Type: application/json`")
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, bodyRejection(http.StatusBadRequest, "Failed to buffer the request body: %v", err)
	}
	if len(raw) > maxBody {
		return nil, bodyRejection(http.StatusRequestEntityTooLarge, "Failed to buffer the request body: length limit exceeded")
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		if err == nil {
			err = fmt.Errorf("trailing characters")
		}
		return nil, bodyRejection(http.StatusBadRequest, "Failed to parse the request body as JSON: %v", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, bodyRejection(http.StatusUnprocessableEntity,
			"Failed to deserialize the JSON body into the target type: invalid type: %s, expected struct %s", kindOf(v), target)
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields) // already validated as an object above
	return &jsonBody{target: target, fields: fields}, nil
}

func isJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	typ, sub, ok := strings.Cut(mt, "/")
	return ok && typ == "application" && (sub == "json" || strings.HasSuffix(sub, "+json"))
}

func (b *jsonBody) typeError(field, want string, got any) *rejection {
	return bodyRejection(http.StatusUnprocessableEntity,
		"Failed to deserialize the JSON body into the target type: %s: invalid type: %s, expected %s", field, kindOf(got), want)
}

// value decodes a field as free JSON; absent is nil (serde's Value::Null).
func (b *jsonBody) value(field string) any {
	raw, ok := b.fields[field]
	if !ok {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v)
	return v
}

// optString is an Option<String>: absent or null is nil.
func (b *jsonBody) optString(field string) (*string, *rejection) {
	v := b.value(field)
	if v == nil {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, b.typeError(field, "a string", v)
	}
	return &s, nil
}

// reqString is a required String field.
func (b *jsonBody) reqString(field string) (string, *rejection) {
	if _, ok := b.fields[field]; !ok {
		return "", bodyRejection(http.StatusUnprocessableEntity,
			"Failed to deserialize the JSON body into the target type: missing field `%s`", field)
	}
	s, rj := b.optString(field)
	if rj != nil {
		return "", rj
	}
	if s == nil {
		return "", b.typeError(field, "a string", nil)
	}
	return *s, nil
}

// optUint is an Option<u64>.
func (b *jsonBody) optUint(field string) (*uint64, *rejection) {
	v := b.value(field)
	if v == nil {
		return nil, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return nil, b.typeError(field, "u64", v)
	}
	u, err := strconv.ParseUint(n.String(), 10, 64)
	if err != nil {
		return nil, b.typeError(field, "u64", v)
	}
	return &u, nil
}

// kindOf names a JSON value the way serde's "invalid type" errors do.
func kindOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("boolean `%t`", x)
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return fmt.Sprintf("floating point `%s`", x)
		}
		return fmt.Sprintf("integer `%s`", x)
	case string:
		return fmt.Sprintf("string %q", x)
	case []any:
		return "sequence"
	default:
		return "map"
	}
}

// pathUUID is axum's Path<Uuid>: a bad id is a plain-text 400.
func pathUUID(p params, name string) (string, *rejection) {
	id, err := parseUUID(p[name])
	if err != nil {
		return "", bodyRejection(http.StatusBadRequest, "Invalid URL: %v", err)
	}
	return id, nil
}

// queryRejection is axum's Query<T> failure.
func queryRejection(format string, args ...any) *rejection {
	return bodyRejection(http.StatusBadRequest, "Failed to deserialize query string: "+format, args...)
}

// queryUint reads an optional unsigned query parameter.
func queryUint(q url.Values, name string) (*uint64, *rejection) {
	if !q.Has(name) {
		return nil, nil
	}
	u, err := strconv.ParseUint(q.Get(name), 10, 64)
	if err != nil {
		return nil, queryRejection("%s: invalid digit found in string", name)
	}
	return &u, nil
}

// queryString reads an optional string query parameter.
func queryString(q url.Values, name string) *string {
	if !q.Has(name) {
		return nil
	}
	s := q.Get(name)
	return &s
}
