package tui

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/executor"
	"github.com/openagents/cockpit/journal"
)

// The evidence is built at the frame's clock on every message but wrapped
// and drawn only when its lines, scroll or width change: a message that
// changes nothing keeps the wrapped lines as they were; a second later the
// ages move, as the panes' do; another width wraps them again.
func TestTheEvidenceWrapsOnlyWhenItsLinesOrWidthChange(t *testing.T) {
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, firingState(), 200, 50)
	selectItem(t, m, "P3")
	m.Update(keyFor(m.keys.Evidence))
	if len(m.evidence.shown) == 0 {
		t.Fatal("the evidence shows no lines")
	}
	wrapped, view := &m.evidence.shown[0], m.View().Content
	m.Update(progressClosedMsg{}) // changes nothing shown
	if &m.evidence.shown[0] != wrapped || m.View().Content != view {
		t.Fatal("a message that changes nothing wrapped the evidence again")
	}
	ages := lineWith(view, "age ")
	later := clock.Add(10 * time.Second)
	m.c.now = func() time.Time { return later }
	m.Update(progressClosedMsg{})
	if &m.evidence.shown[0] == wrapped || lineWith(m.View().Content, "age ") == ages {
		t.Fatalf("ten seconds later the evidence still reads %q", ages)
	}
	m.Update(tea.WindowSizeMsg{Width: 130, Height: 50})
	for _, l := range strings.Split(m.evidence.View(), "\n") {
		if w := ansi.StringWidth(l); w != 130-m.listWidth()-2 {
			t.Fatalf("after a resize the evidence is %d cells wide: %q", w, l)
		}
	}
}

// A scrolled evidence pane stays where it is when a round lands; another
// item starts at the top.
func TestTheEvidenceKeepsItsScrollAcrossRounds(t *testing.T) {
	s := firingState()
	for i, it := range s.Items {
		if it.Item.ID != "P3" {
			continue
		}
		s.Items[i].Checks = slices.Clone(it.Checks)
		for k := range 20 {
			s.Items[i].Checks = append(s.Items[i].Checks, result(fmt.Sprintf("extra_%d", k), "extra check", checks.Pass, "ok", time.Second))
		}
	}
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}}, s, 80, 24)
	selectItem(t, m, "P3")
	m.Update(keyFor(m.keys.Evidence))
	m.Update(keyFor(m.keys.PageDown))
	off := m.evidence.pane.vp.YOffset()
	if off == 0 {
		t.Fatal("the evidence does not scroll at 80×24: the test shows nothing")
	}
	m.Update(StateMsg{Seq: m.obs.seq, State: s})
	if got := m.evidence.pane.vp.YOffset(); got != off {
		t.Fatalf("a round moved the evidence from line %d to %d", off, got)
	}
	m.Update(keyFor(m.keys.Down))
	if got := m.evidence.pane.vp.YOffset(); got != 0 {
		t.Fatalf("another item starts at line %d, want the top", got)
	}
}

// The dialog keeps its plan's scroll offset within the plan in Update: a
// page down past the end stops at the last page, so one page up moves the
// plan at once.
func TestTheDialogKeepsItsPlanOffsetWithinThePlan(t *testing.T) {
	p := greenPlan(false)
	for i := range 40 {
		p.Calls = append(p.Calls, executor.Call{Actuator: fmt.Sprintf("call_%02d", i), Argv: []string{"echo", fmt.Sprintf("step-%02d", i)}})
	}
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{plan: p}}, healthyState(), 80, 24)
	selectItem(t, m, "S1")
	_, cmd := m.Update(keyFor(m.keys.Run))
	m.Update(cmd())
	ck := DefaultConfirmKeyMap()
	for range 20 {
		m.Update(keyFor(ck.PageDown))
	}
	last := m.dialog.offset
	if last == 0 || last >= len(p.Calls)+1 {
		t.Fatalf("after paging down the plan's offset is %d", last)
	}
	shown := regexp.MustCompile(`lines \d+–(\d+) of (\d+) `).FindStringSubmatch(m.View().Content)
	if shown == nil || shown[1] != shown[2] || !strings.Contains(m.View().Content, "step-39") {
		t.Fatalf("the last page does not show the plan's end:\n%s", m.View().Content)
	}
	m.Update(keyFor(ck.PageUp))
	if got := m.dialog.offset; got != last-5 {
		t.Fatalf("one page up from the end moved the offset from %d to %d, want %d", last, got, last-5)
	}
}

// A journal read's reply is applied only if it is the newest read's; a
// read asked for while one is in flight waits for it and follows it, so
// reads never overlap and none is lost.
func TestJournalReadsAreAppliedInOrderOneAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	writeLines(t, path, rec("approval", "S1", "", ""))
	j := newJournalWindow(path, nil)
	first := j.start()
	if again := j.start(); again != nil {
		t.Fatal("a second read started while the first was in flight")
	}
	reply := first().(journalReadMsg)
	window, ok, next := j.apply(reply)
	if !ok || len(window.Records) != 1 {
		t.Fatalf("the newest read was not applied: ok %v, %d records", ok, len(window.Records))
	}
	if next == nil {
		t.Fatal("the read asked for meanwhile was not made")
	}
	if _, ok, _ := j.apply(reply); ok {
		t.Fatal("a stale reply was applied")
	}
	writeLines(t, path, rec("outcome", "S1", "", ""))
	if window, ok, _ = j.apply(next().(journalReadMsg)); !ok || len(window.Records) != 2 {
		t.Fatalf("the queued read: ok %v, %d records", ok, len(window.Records))
	}
}

// Through the screen: a stale journal read changes nothing shown.
func TestAStaleJournalReadChangesNothingShown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	writeLines(t, path, rec("approval", "S1", "", ""))
	m := newTestModel(t, Options{Mode: Operate, Actor: &fakeActor{}, JournalPath: path}, healthyState(), 200, 50)
	// newTestModel's Init started read 1: a reply numbered otherwise is stale.
	stale := journalReadMsg{Seq: m.obs.journal.seq - 1, Records: []journal.Record{{Time: clock, Kind: journal.KindApproval, Step: "S9"}}}
	m.Update(stale)
	if strings.Contains(m.View().Content, "approval S9") {
		t.Fatal("a stale journal read reached the timeline")
	}
	stale.Seq = m.obs.journal.seq
	m.Update(stale)
	if !strings.Contains(m.View().Content, "approval S9") {
		t.Fatalf("the newest read did not reach the timeline:\n%s", m.View().Content)
	}
}

// The instructor's menu says what each fault does; a fault without help
// shows its name alone.
func TestTheFaultMenuShowsWhatEachFaultDoes(t *testing.T) {
	noFault := func(context.Context, string, bool) error { return nil }
	m := newTestModel(t, Options{Mode: Rehearsal, Actor: &fakeActor{}, Faults: noFault,
		FaultNames: []string{"error-spike", "drift"}, FaultHelp: map[string]string{"error-spike": "30% of writes answer 500"}}, healthyState(), 200, 50)
	m.Update(keyFor(m.keys.Faults))
	view := m.View().Content
	if row := lineWith(view, "error-spike"); !strings.Contains(row, "error-spike · 30% of writes answer 500") {
		t.Errorf("the menu row %q does not say what the fault does", row)
	}
	if row := lineWith(view, "] drift"); strings.Contains(row, "·") {
		t.Errorf("a fault without help shows %q", row)
	}
}

// The root never reads or writes a part's fields: it routes messages and
// calls the parts' methods (component). Checked on the source: any
// m.<part>.<field> in a non-test file fails, naming the place.
func TestTheRootNeverReachesInsideAPart(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	// The parts that keep the contract (component.go's list).
	kept := map[string]bool{"livePanes": true, "runbookList": true, "evidenceView": true, "timeline": true, "confirmDialog": true, "faultMenu": true, "replayer": true}
	fields := map[string]map[string]bool{} // type → its fields
	parts := map[string]string{}           // Model field → its part's type
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			fields[ts.Name.Name] = map[string]bool{}
			for _, fl := range st.Fields.List {
				for _, id := range fl.Names {
					fields[ts.Name.Name][id.Name] = true
					if star, ok := fl.Type.(*ast.StarExpr); ok && ts.Name.Name == "Model" {
						if tid, ok := star.X.(*ast.Ident); ok && kept[tid.Name] {
							parts[id.Name] = tid.Name
						}
					}
				}
			}
			return true
		})
	}
	var found []string
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			outer, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			inner, ok := outer.X.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if recv, ok := inner.X.(*ast.Ident); !ok || recv.Name != "m" {
				return true
			}
			if typ, ok := parts[inner.Sel.Name]; ok && fields[typ][outer.Sel.Name] {
				found = append(found, fmt.Sprintf("%s: m.%s.%s", fset.Position(outer.Pos()), inner.Sel.Name, outer.Sel.Name))
			}
			return true
		})
	}
	if len(parts) != len(kept) {
		t.Fatalf("found only the parts %v: the check reads the wrong struct", parts)
	}
	if len(found) > 0 {
		t.Errorf("the root reaches inside its parts:\n%s", strings.Join(found, "\n"))
	}
}

// Every key a part takes (its help.KeyMap) is offered where the operator
// reads keys: the help overlay, or, for the fault menu, its own keys line
// (its ShortHelp).
func TestEveryPartsKeysAreOffered(t *testing.T) {
	noFault := func(context.Context, string, bool) error { return nil }
	m := newTestModel(t, Options{Mode: Rehearsal, Actor: &fakeActor{plan: greenPlan(false)}, Faults: noFault, FaultNames: []string{"drift"}}, healthyState(), 200, 50)
	selectItem(t, m, "S1")
	_, cmd := m.Update(keyFor(m.keys.Run))
	m.Update(cmd())
	overlay := strings.Join(helpOverlay(m.help, m.c.styles, m.offeredKeys(), m.confirm, false, m.width), "\n")
	parts := map[string]help.KeyMap{"panes": m.panes, "list": m.list, "evidence": m.evidence, "timeline": m.timeline, "dialog": m.dialog}
	for name, part := range parts {
		for _, group := range part.FullHelp() {
			for _, b := range group {
				if want := b.Help().Key + " " + b.Help().Desc; !strings.Contains(overlay, b.Help().Key) || !strings.Contains(overlay, b.Help().Desc) {
					t.Errorf("the %s takes %q, which the help overlay does not offer:\n%s", name, want, overlay)
				}
			}
		}
	}
	menu := m.faults.View()
	for _, b := range m.faults.ShortHelp() {
		if !strings.Contains(menu, b.Help().Key) {
			t.Errorf("the fault menu takes %q, which it does not offer:\n%s", b.Help().Key, menu)
		}
	}
}
