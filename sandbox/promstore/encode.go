package promstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
)

// errHistogramResult is returned for native-histogram results, which this
// store cannot hold: it scrapes only the text formats.
var errHistogramResult = errors.New("native histogram results are not supported by the embedded store")

// encodeResult renders a query result byte for byte as Prometheus's API
// does (web/api/v1/json_codec.go and util/jsonutil): timestamps as seconds
// with up to three decimals, values as strings ("NaN", "+Inf", exponent
// form outside [1e-6, 1e21)). Scalars and strings use promql's own
// MarshalJSON, as Prometheus does.
func encodeResult(v parser.Value) (json.RawMessage, error) {
	switch v := v.(type) {
	case promql.Vector:
		b := []byte{'['}
		for i, s := range v {
			if s.H != nil {
				return nil, errHistogramResult
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"metric":`...)
			b = appendLabels(b, s.Metric)
			b = append(b, `,"value":`...)
			b = appendPoint(b, s.T, s.F)
			b = append(b, '}')
		}
		return append(b, ']'), nil
	case promql.Matrix:
		b := []byte{'['}
		for i, s := range v {
			if len(s.Histograms) > 0 {
				return nil, errHistogramResult
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"metric":`...)
			b = appendLabels(b, s.Metric)
			if len(s.Floats) > 0 {
				b = append(b, `,"values":[`...)
				for j, p := range s.Floats {
					if j > 0 {
						b = append(b, ',')
					}
					b = appendPoint(b, p.T, p.F)
				}
				b = append(b, ']')
			}
			b = append(b, '}')
		}
		return append(b, ']'), nil
	case promql.Scalar, promql.String:
		return json.Marshal(v)
	default:
		return nil, fmt.Errorf("unexpected result type %T", v)
	}
}

func appendLabels(b []byte, ls labels.Labels) []byte {
	b = append(b, '{')
	first := true
	ls.Range(func(l labels.Label) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, l.Name)
		b = append(b, ':')
		b = appendString(b, l.Value)
	})
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// appendPoint writes `[<ts>,"<value>"]`.
func appendPoint(b []byte, t int64, f float64) []byte {
	b = append(b, '[')
	b = appendTimestamp(b, t)
	b = append(b, ',', '"')
	b = appendFloat(b, f)
	return append(b, '"', ']')
}

// appendTimestamp mirrors jsonutil.MarshalTimestamp: milliseconds as
// seconds, the fraction only when non-zero, never in exponent form.
func appendTimestamp(b []byte, t int64) []byte {
	if t < 0 {
		b = append(b, '-')
		t = -t
	}
	b = strconv.AppendInt(b, t/1000, 10)
	if frac := t % 1000; frac != 0 {
		b = append(b, '.')
		if frac < 100 {
			b = append(b, '0')
		}
		if frac < 10 {
			b = append(b, '0')
		}
		b = strconv.AppendInt(b, frac, 10)
	}
	return b
}

// appendFloat mirrors jsonutil.MarshalFloat.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}
