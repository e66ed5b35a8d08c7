package signing

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Keyring is the team's public keys by operator (config team_keys): the
// only signatures a shared record is believed on.
type Keyring map[string]ed25519.PublicKey

// NewKeyring parses team_keys; its error names every operator whose name
// or key does not parse, and any two operators listing one key.
func NewKeyring(keys map[string]string) (Keyring, error) {
	ring := make(Keyring, len(keys))
	owner := map[string]string{}
	var errs []error
	for _, op := range slices.Sorted(maps.Keys(keys)) {
		k, err := ParsePublic(keys[op])
		if verr := ValidOperator(op); verr != nil {
			err = verr
		}
		if other, dup := owner[string(k)]; err == nil && dup {
			err = fmt.Errorf("the same key as %s's: each operator signs with a key of their own", other)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", op, err))
			continue
		}
		owner[string(k)] = op
		ring[op] = k
	}
	return ring, errors.Join(errs...)
}

// owner is the operator whose listed key is k ("" for none).
func (r Keyring) owner(k ed25519.PublicKey) string {
	for op, listed := range r {
		if listed.Equal(k) {
			return op
		}
	}
	return ""
}

// Check returns nil when sig is a signature of msg by key (as FormatPublic
// writes it), key is listed, and it is the key of operator, the operator
// the signed record names. Otherwise its error says which of these failed.
func (r Keyring) Check(operator, key string, msg, sig []byte) error {
	if key == "" || len(sig) == 0 {
		return fmt.Errorf("unsigned")
	}
	k, err := ParsePublic(key)
	if err != nil {
		return fmt.Errorf("signed with %w", err)
	}
	owner := r.owner(k)
	switch {
	case owner == "":
		return fmt.Errorf("signed by a key not in team_keys (%s)", short(key))
	case owner != operator:
		return fmt.Errorf("signed with %s's key but names operator %q", owner, operator)
	case !ed25519.Verify(k, msg, sig):
		return fmt.Errorf("signature does not match the record (altered after signing?)")
	}
	return nil
}

// WithOwn is the ring plus this machine's own signer, when the ring lists
// neither its operator nor its key: a cockpit believes what its own key
// signed as it believes its own journal (whoever can read the key can
// write the journal), so one machine's operate and watch --follow agree
// before anyone edits team_keys. A listed operator keeps the listed key.
func (r Keyring) WithOwn(own *Signer) Keyring {
	if own == nil {
		return r
	}
	pub := own.key.Public().(ed25519.PublicKey)
	if _, listed := r[own.Operator]; listed || r.owner(pub) != "" {
		return r
	}
	out := maps.Clone(r)
	if out == nil {
		out = Keyring{}
	}
	out[own.Operator] = pub
	return out
}
