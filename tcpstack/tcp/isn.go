// Initial sequence numbers and timestamp offsets.
//
// Read before editing: RFC9293 §3.4.1 (ISN = M + F(localip, localport,
// remoteip, remoteport, secretkey), M a 4-microsecond timer; MUST-8 clock-driven
// generator, SHLD-1 PRF, MUST-9 the PRF not computable from outside),
// RFC6528 §3 (the same, with advice on the PRF and the key), RFC7323 §5.4 and
// §7.1 (per-connection random offsets for the Timestamps clock).

package tcp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"time"
)

// ISNGenerator chooses the initial send sequence number of a connection.
// Nondeterminism enters the engine only through it (and the time passed in).
type ISNGenerator interface {
	ISN(local, remote netip.AddrPort, now time.Time) Value
}

// TSOffsetter is implemented by ISN generators that also choose a
// per-connection offset for the Timestamps clock (RFC7323 §5.4: "the TSval
// ... SHOULD be randomized per connection"). Without it the offset is zero.
type TSOffsetter interface {
	TSOffset(local, remote netip.AddrPort) uint32
}

// KeyedISN is the RFC6528 generator: ISN = M + F(4-tuple, key), where M is a
// timer ticking every 4 microseconds, taken from the time the caller passes,
// and F is HMAC-SHA256 keyed with a secret and truncated to 32 bits
// (RFC9293 §3.4.1, SHLD-1; MUST-9 holds while the key stays secret).
// Share one KeyedISN among all connections of a stack, so that successive
// incarnations of a 4-tuple get increasing ISNs.
type KeyedISN struct {
	key [32]byte
}

// NewKeyedISN returns a generator keyed with key. RFC6528 §3 asks for a key of
// at least 128 bits from a good random source.
func NewKeyedISN(key []byte) *KeyedISN {
	g := &KeyedISN{}
	sum := sha256.Sum256(key)
	g.key = sum
	return g
}

// NewRandomISN returns a KeyedISN with a fresh key from crypto/rand.
func NewRandomISN() *KeyedISN {
	var key [32]byte
	_, _ = rand.Read(key[:]) // crypto/rand.Read never fails (Go 1.24+).
	return &KeyedISN{key: key}
}

// ISN implements ISNGenerator.
func (g *KeyedISN) ISN(local, remote netip.AddrPort, now time.Time) Value {
	// M: "a timer that ticks every 4 microseconds" (RFC9293 §3.4.1).
	m := uint32(now.UnixNano() / 4000)
	return Value(m + g.prf('I', local, remote))
}

// TSOffset implements TSOffsetter with the same PRF in a different domain.
func (g *KeyedISN) TSOffset(local, remote netip.AddrPort) uint32 {
	return g.prf('T', local, remote)
}

func (g *KeyedISN) prf(domain byte, local, remote netip.AddrPort) uint32 {
	h := hmac.New(sha256.New, g.key[:])
	var b [1 + 2*(16+2)]byte
	b[0] = domain
	l, r := local.Addr().As16(), remote.Addr().As16()
	copy(b[1:], l[:])
	binary.BigEndian.PutUint16(b[17:], local.Port())
	copy(b[19:], r[:])
	binary.BigEndian.PutUint16(b[35:], remote.Port())
	h.Write(b[:])
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint32(h.Sum(sum[:0]))
}

// FixedISN always returns its own value. It is for tests and for the
// conformance suite, which need to know the ISN in advance; it defeats
// RFC6528 and must not be used on a real network.
type FixedISN Value

// ISN implements ISNGenerator.
func (f FixedISN) ISN(netip.AddrPort, netip.AddrPort, time.Time) Value { return Value(f) }
