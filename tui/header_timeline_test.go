package tui

import (
	"strings"
	"testing"
)

// A cockpit that cannot publish says so in the header: in full where there
// is room, as UNPUBLISHED at 80 columns (production included), and never
// instead of the cutover's own values: when those fill the line (two
// writers) it is the one to go.
func TestTheHeaderSaysTheTimelineIsNotPublished(t *testing.T) {
	problem := "not published: permission denied"
	o := Options{Mode: Operate, Actor: &fakeActor{}, Timeline: func() string { return problem }}
	wide := strings.Split(newTestModel(t, o, healthyState(), 200, 50).View().Content, "\n")[0]
	if !strings.Contains(wide, "timeline: not published: permission denied") {
		t.Errorf("200 columns: the header does not say the timeline is not published: %q", wide)
	}
	for _, prod := range []bool{false, true} {
		o.Production = prod
		narrow := newTestModel(t, o, healthyState(), 80, 24).View().Content
		checkGuarantees(t, narrow, 80, 24)
		if head := strings.Split(narrow, "\n")[0]; !strings.Contains(head, "UNPUBLISHED") {
			t.Errorf("80 columns (production %v): the header does not say UNPUBLISHED: %q", prod, head)
		}
	}
	o.Production = false
	checkGuarantees(t, newTestModel(t, o, twoWritersState(), 80, 24).View().Content, 80, 24)

	problem = ""
	if head := strings.Split(newTestModel(t, o, healthyState(), 200, 50).View().Content, "\n")[0]; strings.Contains(head, "timeline") {
		t.Errorf("publishing works, yet the header speaks of the timeline: %q", head)
	}
}
