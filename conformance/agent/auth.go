package agent

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"
)

// ProtocolVersion is the version of the agent protocol this package speaks.
// Version 1 (before the handshake) had no version field; version 2 opens
// every control connection with hello and, when the agent has a secret,
// auth (see the package doc).
const ProtocolVersion = 2

// SecretEnv is the environment variable that holds the agent's pre-shared
// secret when no secret file is named.
const SecretEnv = "TCPREGRESS_AGENT_SECRET"

// MinSecret is the shortest secret the agent and the tester accept.
const MinSecret = 16

// nonceSize is the length of the agent's and the tester's nonces.
const nonceSize = 32

// The labels that make the agent's and the tester's proofs different
// messages, so that neither side's proof can be replayed as the other's.
const (
	agentLabel  = "tcpregress agent v2: agent proof\x00"
	testerLabel = "tcpregress agent v2: tester proof\x00"
)

// LoadSecret returns the pre-shared secret from file, or from the
// environment variable TCPREGRESS_AGENT_SECRET when file is "", with
// surrounding white space (a trailing newline) removed. It returns nil and
// no error when neither is set, and an error when both are, or when the
// secret is shorter than [MinSecret] bytes.
func LoadSecret(file string) ([]byte, error) {
	env, inEnv := os.LookupEnv(SecretEnv)
	var secret []byte
	switch {
	case file != "" && inEnv:
		return nil, fmt.Errorf("both --secret-file and %s are set: use one", SecretEnv)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		secret = bytes.TrimSpace(b)
		if err := checkSecret(secret, "--secret-file "+file); err != nil {
			return nil, err
		}
	case inEnv:
		secret = bytes.TrimSpace([]byte(env))
		if err := checkSecret(secret, SecretEnv); err != nil {
			return nil, err
		}
	}
	return secret, nil
}

func checkSecret(secret []byte, from string) error {
	if len(secret) < MinSecret {
		return fmt.Errorf("secret from %s: %d bytes; want at least %d (make one with: head -c 32 /dev/urandom | base64)", from, len(secret), MinSecret)
	}
	return nil
}

// NewSecret returns a fresh random secret, as the local harness makes for
// each run.
func NewSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

func newNonce() []byte {
	b := make([]byte, nonceSize)
	rand.Read(b)
	return b
}

// proof is HMAC-SHA256 keyed with secret over label, then the prover's
// peer's nonce, then the prover's own: the tester proves with
// proof(testerLabel, agent nonce, tester nonce), then the agent with
// proof(agentLabel, tester nonce, agent nonce). Each side's proof covers
// the nonce the other side just chose, so it cannot be replayed.
func proof(secret []byte, label string, theirs, ours []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	m.Write(theirs)
	m.Write(ours)
	return m.Sum(nil)
}

// ErrAuth matches the errors of a handshake that failed because the two
// sides do not share a secret: a wrong secret on either side, or a secret on
// one side only.
var ErrAuth = errors.New("agent: authentication failed")

// ErrVersion matches the errors of a handshake with an agent that speaks
// another protocol version.
var ErrVersion = errors.New("agent: protocol version mismatch")

// handshake answers a request of a control connection that has not
// finished its handshake: hello, then auth when the agent has a secret.
// end says to close the connection after the answer.
func (s *session) handshake(ctx context.Context, line []byte) (resp *Response, end bool) {
	fail := func(errno, format string, args ...any) (*Response, bool) {
		resp.Errno, resp.Error = errno, fmt.Sprintf(format, args...)
		s.log.Warn().Str("errno", errno).Str("error", resp.Error).Msg("agent: handshake refused")
		return resp, true
	}
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		resp = &Response{ID: peekID(line)}
		return fail("EPROTO", "bad handshake: %v; a control connection starts with {\"op\": \"hello\", \"version\": %d, \"nonce\": ...}", err, ProtocolVersion)
	}
	resp = &Response{ID: req.ID}
	secret := s.sv.Secret
	switch {
	case s.stage == stageHello && req.Op == "hello":
		switch {
		case req.Version == 0:
			return fail("EPROTO", "the tester speaks protocol version 1 (its hello has no version); this agent speaks version %d, which authenticates: use the same tcpregress release on both sides", ProtocolVersion)
		case req.Version != ProtocolVersion:
			return fail("EPROTO", "the tester speaks protocol version %d, this agent version %d: use the same tcpregress release on both sides", req.Version, ProtocolVersion)
		case len(req.Nonce) != nonceSize:
			return fail("EINVAL", "hello: a nonce of %d bytes; want %d", len(req.Nonce), nonceSize)
		}
		s.testerNonce, s.nonce = req.Nonce, newNonce()
		resp.Version, resp.Nonce = ProtocolVersion, s.nonce
		if len(secret) == 0 {
			return s.admit(resp)
		}
		// The agent proves itself only to a tester that has proved
		// itself: strangers get nothing to guess the secret from.
		resp.OK, resp.Auth = true, true
		s.stage = stageAuth
		return resp, false
	case s.stage == stageAuth && req.Op == "auth":
		if !hmac.Equal(req.Proof, proof(secret, testerLabel, s.nonce, s.testerNonce)) {
			s.log.Warn().Msg("agent: authentication failed")
			select {
			case <-time.After(s.sv.lim.AuthFailDelay):
			case <-ctx.Done():
			}
			return fail("EACCES", "authentication failed: the tester does not know the agent's secret (give both the same --secret-file or %s)", SecretEnv)
		}
		s.log.Info().Msg("agent: authenticated")
		resp.Proof = proof(secret, agentLabel, s.testerNonce, s.nonce)
		return s.admit(resp)
	}
	want := "hello"
	if s.stage == stageAuth {
		want = "auth"
	}
	return fail("EPROTO", "op %q before the handshake ended: want %s (protocol version %d starts with hello, then auth when the agent has a secret; a version 1 tester does not: use the same tcpregress release on both sides)", req.Op, want, ProtocolVersion)
}

// admit ends a successful handshake: the connection counts among the
// authenticated ones, unless there are too many already.
func (s *session) admit(resp *Response) (*Response, bool) {
	if !s.sv.conns.admit(s.c) {
		resp.OK = false
		resp.Errno = "EUSERS"
		resp.Error = fmt.Sprintf("the agent serves %d control connections at once (its --max-conns): try again when one has ended", s.sv.lim.MaxConns)
		s.log.Warn().Int("max_conns", s.sv.lim.MaxConns).Msg("agent: too many control connections: refused")
		return resp, true
	}
	s.admitted = true
	s.stage = stageReady
	s.hello(resp)
	resp.OK = true
	return resp, false
}

// hello fills resp with what hello answers on a ready connection.
func (s *session) hello(resp *Response) {
	h := s.b.Hello()
	resp.OS, resp.Kernel, resp.Stack, resp.StackVersion, resp.Options = h.OS, h.Kernel, h.Stack, h.StackVersion, h.Options
	if s.sv.AllowSysctl && h.Stack == "kernel" && sysctlSupported {
		resp.Options = append(append([]string(nil), h.Options...), sysctlName)
	}
	resp.Version = ProtocolVersion
	resp.MaxLine, resp.MaxSockets = s.sv.lim.MaxLine, s.sv.lim.MaxSockets
	if s.scope.peer.IsValid() {
		resp.AllowPeers = append(resp.AllowPeers, netip.PrefixFrom(s.scope.peer, s.scope.peer.BitLen()))
	}
	resp.AllowPeers = append(resp.AllowPeers, s.scope.allow...)
	resp.TestAddrs = s.scope.test
}

// timedOut answers a control connection closed for its silence.
func (s *session) timedOut() *Response {
	if s.stage != stageReady {
		s.log.Warn().Dur("timeout", s.sv.lim.HandshakeTimeout).Msg("agent: handshake not finished in time: closing")
		return &Response{Errno: "ETIMEDOUT", Error: fmt.Sprintf("the handshake did not end within %v: closing", s.sv.lim.HandshakeTimeout)}
	}
	s.log.Warn().Dur("idle_timeout", s.sv.lim.IdleTimeout).Msg("agent: control connection idle: closing")
	return &Response{Errno: "ETIMEDOUT", Error: fmt.Sprintf("no request for %v (the agent's --idle-timeout): closing the control connection", s.sv.lim.IdleTimeout)}
}
