package simmetrics

import (
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRequestsClassifyByMethodAndStatus(t *testing.T) {
	r := NewRequests("rust")
	if n := testutil.CollectAndCount(r.Collector()); n != 6 {
		t.Fatalf("%d series before any request, want all 6 at zero", n)
	}
	r.Count(http.MethodPost, http.StatusServiceUnavailable) // a frozen write
	r.Count(http.MethodPost, http.StatusCreated)
	r.Count(http.MethodGet, http.StatusNotFound)
	for _, c := range []struct {
		kind, class string
		want        float64
	}{{"write", "5xx", 1}, {"write", "2xx", 1}, {"read", "4xx", 1}, {"read", "2xx", 0}} {
		if got := testutil.ToFloat64(r.vec.WithLabelValues(c.kind, c.class)); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.kind, c.class, got, c.want)
		}
	}
}
