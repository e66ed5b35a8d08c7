package dbroles

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openagents/cockpit/checks"
	"github.com/openagents/cockpit/internal/safetext"
)

// Check IDs, in the script's order, then the two checks the script lacks.
const (
	IDRolesExist             = "db.roles_exist"
	IDSchemaOwner            = "db.schema_owner"
	IDControlNoRuntimeWrites = "db.control_no_runtime_writes"
	IDKhalaNoRuntimeWrites   = "db.khala_no_runtime_writes"
	IDRuntimeNoControlWrites = "db.runtime_no_control_writes"
	IDKhalaReadsSync         = "db.khala_reads_sync"
	IDPublicNoRuntimePrivs   = "db.public_no_runtime_privileges"
	IDGrantVisibility        = "db.grant_visibility"
)

const (
	fixGrantVisibility       = "connect as the schema owner or a superuser"
	notApplicableReason      = "skipped, as the script skips it"
	maxListedItems           = 5
	writePrivilegesDescribed = "INSERT/UPDATE/DELETE/TRUNCATE/REFERENCES/TRIGGER"
	effectiveGrantsDescribed = "directly, through membership, PUBLIC, ownership or a column grant"
)

// definition is what a result says before anything is observed, so that a
// connection failure can still name every check it could not run.
type definition struct {
	id, title, source, rule string
}

func definitions(r Roles) []definition {
	return []definition{
		{IDRolesExist, "required authority-plane roles must exist",
			"SELECT rolname FROM pg_roles WHERE rolname = ANY($1)",
			fmt.Sprintf("roles %s, %s, %s, %s all exist", show(r.Owner), show(r.RuntimeRW), show(r.KhalaRO), show(r.ControlRW))},
		{IDSchemaOwner, "runtime schema owner must match runtime owner role",
			"SELECT nspowner FROM pg_namespace WHERE nspname = 'runtime'",
			fmt.Sprintf("schema runtime is owned by %s", show(r.Owner))},
		{IDControlNoRuntimeWrites, "control role must not have runtime write privileges",
			"has_table_privilege(control role, runtime tables); information_schema.role_table_grants cross-check",
			fmt.Sprintf("%s holds no %s on a runtime table (%s)", show(r.ControlRW), writePrivilegesDescribed, effectiveGrantsDescribed)},
		{IDKhalaNoRuntimeWrites, "khala role must remain read-only on runtime schema",
			"has_table_privilege(khala role, runtime tables); information_schema.role_table_grants cross-check",
			fmt.Sprintf("%s holds no %s on a runtime table (%s)", show(r.KhalaRO), writePrivilegesDescribed, effectiveGrantsDescribed)},
		{IDRuntimeNoControlWrites, "runtime role must not have control schema write privileges",
			"has_table_privilege(runtime role, control tables); information_schema.role_table_grants cross-check",
			fmt.Sprintf("if schema control exists, %s holds no %s on a control table (%s)", show(r.RuntimeRW), writePrivilegesDescribed, effectiveGrantsDescribed)},
		{IDKhalaReadsSync, "khala role must have SELECT on runtime sync tables",
			"has_table_privilege(khala role, runtime.sync_stream_events/sync_topic_sequences, SELECT); information_schema cross-check",
			fmt.Sprintf("if runtime sync tables exist, %s has SELECT on each (actual ≤ max)", show(r.KhalaRO))},
		{IDPublicNoRuntimePrivs, "PUBLIC must hold no privilege on runtime schema",
			"aclexplode(pg_namespace.nspacl, pg_class.relacl, pg_attribute.attacl) for grantee PUBLIC in schema runtime",
			"PUBLIC holds no privilege on schema runtime, its relations or their columns"},
		{IDGrantVisibility, "the login must see every grant the checks rely on",
			"information_schema.role_table_grants/tables vs pg_class.relacl",
			"information_schema (the script's source) shows this login every grant and table the catalog holds"},
	}
}

// evaluate turns one observation into the results, in definition order.
//
// Verdicts rest on the catalogs, which every login can read in full. The
// script's information_schema view is compared with them: where it shows the
// login fewer grants or tables than the catalog holds, the script could not
// have verified that check with this login. Such a check never passes: a PASS
// becomes UNKNOWN (the witnesses disagree and the runbook's own tool would be
// blind, so the gate holds until someone connects with a login that sees), and
// a FAIL stays FAIL, since the catalog proves the violation, with a note that
// the script would have missed it. db.grant_visibility says what was hidden.
func evaluate(defs []definition, r Roles, o observation, at time.Time) []checks.Result {
	syncHidden := o.syncVisible < len(o.syncPresent) || o.khalaSyncSelect.visible < o.khalaSyncSelect.direct
	outcomes := map[string]outcome{
		IDRolesExist:             rolesExist(r, o),
		IDSchemaOwner:            schemaOwner(r, o),
		IDControlNoRuntimeWrites: noWrites(o.controlRuntimeWrites),
		IDKhalaNoRuntimeWrites:   noWrites(o.khalaRuntimeWrites),
		IDRuntimeNoControlWrites: runtimeNoControlWrites(o),
		IDKhalaReadsSync:         blindTo(khalaReadsSync(o), syncHidden),
		IDPublicNoRuntimePrivs:   publicNoRuntimePrivileges(o),
		IDGrantVisibility:        grantVisibility(r, o),
	}
	results := make([]checks.Result, 0, len(defs))
	for _, d := range defs {
		oc := outcomes[d.id]
		results = append(results, checks.Result{
			ID:      d.id,
			Title:   d.title,
			Verdict: oc.verdict,
			Evidence: checks.Evidence{
				Source: d.source,
				Value:  oc.value,
				Rule:   d.rule,
				Reason: oc.reason,
			},
			ObservedAt: at,
		})
	}
	return results
}

// unknownAll reports every check as UNKNOWN for one reason: nothing observed
// is not a pass.
func unknownAll(defs []definition, err error, at time.Time) []checks.Result {
	results := make([]checks.Result, 0, len(defs))
	for _, d := range defs {
		results = append(results, checks.Result{
			ID:      d.id,
			Title:   d.title,
			Verdict: checks.Unknown,
			// PostgreSQL's messages can quote names and values it was sent.
			Evidence:   checks.Evidence{Source: d.source, Rule: d.rule, Reason: safetext.Clean(err.Error())},
			ObservedAt: at,
		})
	}
	return results
}

// outcome is a verdict with the raw value (in the script's words) and why.
type outcome struct {
	verdict checks.Verdict
	value   string
	reason  string
}

func passIf(ok bool, value string) outcome {
	if ok {
		return outcome{verdict: checks.Pass, value: value}
	}
	return outcome{verdict: checks.Fail, value: value}
}

func notApplicable(what string) outcome {
	return outcome{verdict: checks.Pass, value: "not applicable: " + what, reason: notApplicableReason}
}

func rolesExist(r Roles, o observation) outcome {
	var missing []string
	for _, name := range r.names() {
		if !slices.Contains(o.presentRoles, name) {
			missing = append(missing, show(name))
		}
	}
	value := fmt.Sprintf("expected=%d, actual=%d", len(r.names()), len(r.names())-len(missing))
	if len(missing) > 0 {
		value += " (missing: " + list(missing) + ")"
	}
	return passIf(len(missing) == 0, value)
}

func schemaOwner(r Roles, o observation) outcome {
	if !o.runtimeExists {
		return passIf(false, fmt.Sprintf("expected=%s, actual=none (schema runtime absent)", show(r.Owner)))
	}
	return passIf(o.runtimeOwner == r.Owner, fmt.Sprintf("expected=%s, actual=%s", show(r.Owner), show(o.runtimeOwner)))
}

func noWrites(g grantView) outcome {
	value := fmt.Sprintf("expected=0, actual=%d", len(g.effective))
	if len(g.effective) > 0 {
		value += " (" + list(g.effective) + ")"
	}
	return blindTo(passIf(len(g.effective) == 0, value), g.visible < g.direct)
}

func runtimeNoControlWrites(o observation) outcome {
	if !o.controlExists {
		return notApplicable("schema control absent")
	}
	return noWrites(o.runtimeControlWrites)
}

func khalaReadsSync(o observation) outcome {
	if len(o.syncPresent) == 0 {
		return notApplicable("runtime sync tables absent")
	}
	// effective entries read "SELECT on <table>", tables formatted as in syncPresent.
	readable := make(map[string]bool, len(o.khalaSyncSelect.effective))
	for _, e := range o.khalaSyncSelect.effective {
		readable[strings.TrimPrefix(e, "SELECT on ")] = true
	}
	var unreadable []string
	for _, t := range o.syncPresent {
		if !readable[t] {
			unreadable = append(unreadable, t)
		}
	}
	value := fmt.Sprintf("actual=%d, max=%d", len(o.syncPresent), len(o.syncPresent)-len(unreadable))
	if len(unreadable) > 0 {
		value += " (no SELECT on " + list(unreadable) + ")"
	}
	return passIf(len(unreadable) == 0, value)
}

func publicNoRuntimePrivileges(o observation) outcome {
	if !o.runtimeExists {
		return notApplicable("schema runtime absent")
	}
	value := fmt.Sprintf("expected=0, actual=%d", len(o.publicRuntime))
	if len(o.publicRuntime) > 0 {
		value += " (" + list(o.publicRuntime) + ")"
	}
	return passIf(len(o.publicRuntime) == 0, value)
}

// blindTo applies information_schema's blindness to a catalog verdict: a
// PASS the script could not have confirmed becomes UNKNOWN; a FAIL stays, with
// the note that the script, blind to it, would have missed it.
func blindTo(oc outcome, hidden bool) outcome {
	switch {
	case !hidden:
		return oc
	case oc.verdict == checks.Pass:
		oc.verdict = checks.Unknown
		oc.reason = "information_schema hides part of this from the login, so it is unverified; see " + IDGrantVisibility
	default:
		oc.reason = "the catalog proves it, but information_schema hides part of it from the login, so the script could miss it; see " + IDGrantVisibility
	}
	return oc
}

// grantVisibility compares, scope by scope, what the catalog holds with what
// information_schema shows the current login.
func grantVisibility(r Roles, o observation) outcome {
	type scope struct {
		what            string
		direct, visible int
	}
	scopes := []scope{
		{fmt.Sprintf("write grants to %s on runtime", show(r.ControlRW)), o.controlRuntimeWrites.direct, o.controlRuntimeWrites.visible},
		{fmt.Sprintf("write grants to %s on runtime", show(r.KhalaRO)), o.khalaRuntimeWrites.direct, o.khalaRuntimeWrites.visible},
		{fmt.Sprintf("write grants to %s on control", show(r.RuntimeRW)), o.runtimeControlWrites.direct, o.runtimeControlWrites.visible},
		{fmt.Sprintf("SELECT grants to %s on runtime sync tables", show(r.KhalaRO)), o.khalaSyncSelect.direct, o.khalaSyncSelect.visible},
		{"runtime sync tables", len(o.syncPresent), o.syncVisible},
	}
	var expected, actual int
	var hidden []string
	for _, s := range scopes {
		expected += s.direct
		actual += min(s.visible, s.direct)
		if s.visible < s.direct {
			hidden = append(hidden, fmt.Sprintf("%d of %d %s", s.direct-s.visible, s.direct, s.what))
		}
	}
	value := fmt.Sprintf("login=%s, expected=%d, actual=%d", show(o.login), expected, actual)
	if len(hidden) == 0 {
		return outcome{verdict: checks.Pass, value: value}
	}
	return outcome{
		verdict: checks.Unknown,
		value:   value + " (hidden: " + strings.Join(hidden, "; ") + ")",
		reason:  fmt.Sprintf("login %s cannot see these in information_schema: %s", show(o.login), fixGrantVisibility),
	}
}

// show prints a role or table name as is when it is a plain identifier, and
// quoted otherwise, so evidence stays on one line and is unambiguous.
func show(name string) string {
	for _, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return strconv.Quote(name)
		}
	}
	if name == "" {
		return `""`
	}
	return name
}

// list joins items, eliding past maxListedItems so one line stays readable.
// Items are names read from the catalogs (tables, grants): whoever may create
// a table chooses them, so each is cleaned for the screen.
func list(items []string) string {
	shown := make([]string, 0, min(len(items), maxListedItems))
	for _, it := range items[:min(len(items), maxListedItems)] {
		shown = append(shown, safetext.Clean(it))
	}
	if len(items) <= maxListedItems {
		return strings.Join(shown, ", ")
	}
	return strings.Join(shown, ", ") + fmt.Sprintf(", and %d more", len(items)-maxListedItems)
}
