package sharedlog

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/openagents/cockpit/internal/signing"
	"github.com/openagents/cockpit/journal"
)

// signature is what a publisher adds to a record's JSON on the shared
// timeline: the signer's public key and its ed25519 signature of
// signedBytes.
type signature struct {
	Key string `json:"key"`
	Sig []byte `json:"ed25519"`
}

// storedRecord is a record as a row holds it: its fields and, from a
// signing publisher, its signature.
type storedRecord struct {
	journal.Record
	Sig *signature `json:"sig,omitempty"`
}

// signedBytes is what a signature covers: the record's JSON, bound to its
// environment and its place (origin, offset), so a signed record copied
// into another environment or another row no longer verifies. The record's
// Shared is the reader's, never signed.
func signedBytes(env, origin string, offset int64, r journal.Record) ([]byte, error) {
	r.Shared = nil
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	head := "cockpit shared record v1\n" + env + "\n" + origin + "\n" + strconv.FormatInt(offset, 10) + "\n"
	return append([]byte(head), b...), nil
}

// Trust is what a reader believes of the rows it reads: a record signed by
// one of Keys for the operator it names, dated no more than MaxSkew after
// the database's clock, is verified; every other record is delivered
// marked unverified, with why.
type Trust struct {
	Keys    signing.Keyring
	MaxSkew time.Duration
}

// signers signs each record with the key of the operator it names: the
// publishing operator's key (created on first use), or another operator's
// (an earlier process on this machine) when it is in the state dir. A
// record of an operator with no usable key here goes unsigned, and its
// readers see it unverified, as they should: nobody here vouches for it.
type signers struct {
	stateDir string
	keys     map[string]*signing.Signer // nil entry: no key for that operator
	// own is the publishing operator's key, read without keys' map so the
	// observation rounds may sign beside the journal's Run.
	own *signing.Signer
}

// newSigners loads (creating on first use) the publishing operator's key.
func newSigners(stateDir, operator string) (*signers, error) {
	own, err := signing.Load(stateDir, operator, true)
	if err != nil {
		return nil, err
	}
	return &signers{stateDir: stateDir, keys: map[string]*signing.Signer{operator: own}, own: own}, nil
}

// ownKey is the publishing operator's key, nil when s signs nothing.
func (s *signers) ownKey() *signing.Signer {
	if s == nil {
		return nil
	}
	return s.own
}

func (s *signers) of(operator string) *signing.Signer {
	k, ok := s.keys[operator]
	if !ok {
		k, _ = signing.Load(s.stateDir, operator, false) // none here, or unusable: unsigned
		s.keys[operator] = k
	}
	return k
}

// seal is r as a row stores it: its JSON, signed when a key for its
// operator is at hand (s may be nil: a publisher that signs nothing).
func (s *signers) seal(env, origin string, offset int64, r journal.Record) ([]byte, error) {
	r.Shared = nil
	out := storedRecord{Record: r}
	if k := s.signer(r.Operator); k != nil {
		msg, err := signedBytes(env, origin, offset, r)
		if err != nil {
			return nil, err
		}
		out.Sig = &signature{Key: k.Public(), Sig: k.Sign(msg)}
	}
	return json.Marshal(out)
}

func (s *signers) signer(operator string) *signing.Signer {
	if s == nil {
		return nil
	}
	return s.of(operator)
}
