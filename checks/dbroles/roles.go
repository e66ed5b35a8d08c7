// Package dbroles verifies runbook precondition P4, DB role isolation, the
// way apps/runtime/deploy/cloudrun/verify-db-role-isolation.sh does, without
// its blind spots: role names travel only as bound parameters, grants are read
// from the system catalogs that every login can see in full (not only from
// information_schema, which hides grants from an unprivileged login), PUBLIC's
// privileges on schema runtime are checked, and every check is reported
// instead of stopping at the first failure.
package dbroles

// Roles names the four authority-plane roles. Each is overridable because
// deployments rename them (the script reads them from environment variables).
type Roles struct {
	Owner     string // owns schema runtime
	RuntimeRW string // the Rust runtime's read-write role
	KhalaRO   string // Khala's read-only role on the runtime sync tables
	ControlRW string // the control plane's read-write role
}

// DefaultRoles are the script's defaults.
func DefaultRoles() Roles {
	return Roles{
		Owner:     "oa_runtime_owner",
		RuntimeRW: "oa_runtime_rw",
		KhalaRO:   "oa_khala_ro",
		ControlRW: "oa_control_rw",
	}
}

// names lists the roles in the script's order.
func (r Roles) names() []string {
	return []string{r.Owner, r.RuntimeRW, r.KhalaRO, r.ControlRW}
}
