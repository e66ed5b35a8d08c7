package runbook

import (
	"reflect"
	"strings"
	"testing"

	"github.com/openagents/cockpit/checks"
)

// writers lists what, among the types reachable from t (through fields,
// pointers, elements, map keys, function parameters and results), can
// write to a runtime: the write probe (checks.WriteProber, or any type
// with a WriteProbe method) and anything of the executor's package (its
// actuators). seen is every type reached.
func writers(t reflect.Type) (found []string, seen map[reflect.Type]bool) {
	seen = map[reflect.Type]bool{}
	writer := reflect.TypeFor[checks.WriteProber]()
	var walk func(reflect.Type, string)
	walk = func(t reflect.Type, path string) {
		if seen[t] {
			return
		}
		seen[t] = true
		_, m1 := t.MethodByName("WriteProbe")
		_, m2 := reflect.PointerTo(t).MethodByName("WriteProbe")
		if t == writer || m1 || m2 || strings.HasSuffix(t.PkgPath(), "/cockpit/executor") {
			found = append(found, path+" ("+t.String()+")")
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
			walk(t.Elem(), path)
		case reflect.Map:
			walk(t.Key(), path+"[key]")
			walk(t.Elem(), path+"[]")
		case reflect.Struct:
			for f := range t.Fields() {
				walk(f.Type, path+"."+f.Name)
			}
		case reflect.Func:
			for i := range t.NumIn() {
				walk(t.In(i), path+"(in)")
			}
			for i := range t.NumOut() {
				walk(t.Out(i), path+"(out)")
			}
		}
	}
	walk(t, t.String())
	return found, seen
}

// Read-only is a type, not a flag: nothing an engine holds, down to its
// probes, its projector watch and the shared feed it reads, can write a
// run or run an actuator, whatever ReadOnly says. Every process (watch
// included) builds an Engine; only the acting path builds the write probe
// and hands it to the executor (executor.NewWriteProbe), so a watch process
// holds no value that can write. The probes type itself has no write
// method. Bad day beside: the walk finds a write probe held however deep.
func TestTheEngineHoldsNothingThatWrites(t *testing.T) {
	if _, ok := reflect.TypeFor[*checks.Probes]().MethodByName("WriteProbe"); ok {
		t.Error("*checks.Probes has a WriteProbe method: every engine could write a run")
	}
	for _, root := range []reflect.Type{reflect.TypeFor[*Engine](), reflect.TypeFor[*SharedFeed]()} {
		found, seen := writers(root)
		if len(found) != 0 {
			t.Errorf("%s holds what can write: %s", root, strings.Join(found, ", "))
		}
		if root == reflect.TypeFor[*Engine]() {
			for _, held := range []reflect.Type{reflect.TypeFor[*checks.Probes](), reflect.TypeFor[*checks.ProjectorWatch](), reflect.TypeFor[*SharedFeed]()} {
				if !seen[held] {
					t.Errorf("the walk from %s never reached %s: it proves nothing", root, held)
				}
			}
		}
	}
	type deep struct {
		m map[string][]func() *checks.WriteProber
	}
	type prober interface {
		WriteProbe()
	}
	for _, bad := range []reflect.Type{reflect.TypeFor[*deep](), reflect.TypeFor[struct{ p prober }]()} {
		if found, _ := writers(bad); len(found) == 0 {
			t.Errorf("the walk missed the write probe in %s", bad)
		}
	}
}
