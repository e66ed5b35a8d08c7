package rustsim

import (
	"net/http"
	"slices"
	"strings"
)

// params holds the ":name" segments a route captured.
type params map[string]string

type route struct {
	method  string
	pattern []string
	handle  func(http.ResponseWriter, *http.Request, params)
}

// router matches like axum's: an unknown path is 404 with an empty body, a
// known path with the wrong method 405 with an empty body and an Allow
// header. net/http's ServeMux writes text bodies for both, so it is not used.
type router struct{ routes []route }

func (rt *router) add(method, pattern string, h func(http.ResponseWriter, *http.Request, params)) {
	rt.routes = append(rt.routes, route{method: method, pattern: strings.Split(pattern, "/"), handle: h})
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(r.URL.Path, "/")
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	var allow []string
	for _, rte := range rt.routes {
		p, ok := match(rte.pattern, segs)
		if !ok {
			continue
		}
		if rte.method == method {
			rte.handle(w, r, p)
			return
		}
		allow = append(allow, rte.method)
	}
	if len(allow) == 0 {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if slices.Contains(allow, http.MethodGet) {
		allow = append(allow, http.MethodHead)
	}
	w.Header().Set("Allow", strings.Join(allow, ","))
	w.WriteHeader(http.StatusMethodNotAllowed)
}

func match(pattern, segs []string) (params, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var p params
	for i, want := range pattern {
		if name, ok := strings.CutPrefix(want, ":"); ok {
			if segs[i] == "" {
				return nil, false
			}
			if p == nil {
				p = params{}
			}
			p[name] = segs[i]
			continue
		}
		if want != segs[i] {
			return nil, false
		}
	}
	return p, true
}
