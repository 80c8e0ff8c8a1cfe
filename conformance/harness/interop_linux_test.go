package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/syncbuf"
)

// interopBytes is what each side sends in the interop tests.
const interopBytes = 30 << 20

var (
	tcpdialOnce sync.Once
	tcpdialPath string
	tcpdialErr  error
)

// buildTcpdial builds the tcpdial command once for the package's tests.
func buildTcpdial(t *testing.T) string {
	t.Helper()
	tcpdialOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tcpdial-")
		if err != nil {
			tcpdialErr = err
			return
		}
		tcpdialPath = filepath.Join(dir, "tcpdial")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", tcpdialPath, "tcpregress.dev/tools/cmd/tcpdial").CombinedOutput()
		if err != nil {
			tcpdialErr = fmt.Errorf("go build tcpdial: %v\n%s", err, out)
		}
	})
	if tcpdialErr != nil {
		t.Fatal(tcpdialErr)
	}
	return tcpdialPath
}

// foreignPair is a namespace pair with a foreign stack on side B (whose
// kernel has no address) and its backend.
func foreignPair(t *testing.T, kind string) (*netns.Pair, agent.Backend, netip.Addr) {
	t.Helper()
	p := netns.NewTestPair(t, netns.Config{NoAddrA: true})
	addr := p.UnusedAddr(1)
	b, stop, err := openForeignOnB(p, kind, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return p, b, addr.Addr()
}

// drain reads fd to EOF, hashing what came.
func drain(ctx context.Context, b agent.Backend, fd agent.FD) ([32]byte, int, error) {
	h := sha256.New()
	n := 0
	for {
		d, err := b.Read(ctx, fd, 1<<16, 30*time.Second)
		if err != nil {
			return [32]byte{}, n, err
		}
		if len(d) == 0 {
			return [32]byte(h.Sum(nil)), n, nil
		}
		h.Write(d)
		n += len(d)
	}
}

// TestInteropTcpdial: our tcpdial (tcpstack, side A) and each foreign
// stack (side B) move 30 MiB each way, intact, over one connection in each
// direction of opening: tcpdial dials the foreign stack's listener (which
// echoes), and the foreign stack dials tcpdial -l.
func TestInteropTcpdial(t *testing.T) {
	netns.RequireRoot(t)
	for _, kind := range ForeignStacks() {
		t.Run(kind, func(t *testing.T) {
			tcpdial := buildTcpdial(t)
			p, b, target := foreignPair(t, kind)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			data := make([]byte, interopBytes)
			rng := rand.NewChaCha8([32]byte{byte(len(kind))})
			rng.Read(data)
			want := sha256.Sum256(data)
			port := uint16(20000 + rand.IntN(20000))
			src := p.UnusedAddr(0).Addr().String()

			t.Run("tcpdial-dials", func(t *testing.T) {
				lfd, err := b.Socket()
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close(lfd)
				if _, err := b.Bind(lfd, netip.AddrPortFrom(target, port)); err != nil {
					t.Fatal(err)
				}
				if err := b.Listen(lfd, 4); err != nil {
					t.Fatal(err)
				}
				echoed := make(chan error, 1)
				go func() {
					fd, _, err := b.Accept(ctx, lfd, 30*time.Second)
					if err != nil {
						echoed <- fmt.Errorf("accept: %w", err)
						return
					}
					defer b.Close(fd)
					for {
						d, err := b.Read(ctx, fd, 1<<16, 30*time.Second)
						if err != nil {
							echoed <- fmt.Errorf("read: %w", err)
							return
						}
						if len(d) == 0 {
							echoed <- b.Shutdown(fd, "wr")
							return
						}
						if _, err := b.Write(ctx, fd, d); err != nil {
							echoed <- fmt.Errorf("write: %w", err)
							return
						}
					}
				}()
				cmd := exec.CommandContext(ctx, tcpdial, "--netns", p.A.NS.Name, "-s", src, target.String(), fmt.Sprint(port))
				var stdout, stderr bytes.Buffer
				cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(data), &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("tcpdial: %v; stderr %s", err, stderr.String())
				}
				if err := <-echoed; err != nil {
					t.Errorf("%s echo: %v", kind, err)
				}
				if got := sha256.Sum256(stdout.Bytes()); got != want {
					t.Errorf("tcpdial got back %d bytes (SHA-256 %x), sent %d (%x)", stdout.Len(), got, len(data), want)
				}
			})

			t.Run("stack-dials", func(t *testing.T) {
				reply := make([]byte, interopBytes)
				rand.NewChaCha8([32]byte{2}).Read(reply)
				cmd := exec.CommandContext(ctx, tcpdial, "-l", "--netns", p.A.NS.Name, "-s", src, fmt.Sprint(port+1))
				var stdout, stderr syncbuf.Buffer
				cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(reply), &stdout, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				waited := make(chan error, 1)
				go func() { waited <- cmd.Wait() }()
				fd, err := b.Socket()
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close(fd)
				// tcpdial -l listens once it has opened its link: retry a
				// refused connect on a fresh socket until then.
				peer := netip.AddrPortFrom(p.UnusedAddr(0).Addr(), port+1)
				for {
					err = b.Connect(ctx, fd, peer, 10*time.Second)
					if err == nil || !errors.Is(err, errRefused) || ctx.Err() != nil {
						break
					}
					b.Close(fd)
					if fd, err = b.Socket(); err != nil {
						t.Fatal(err)
					}
					select {
					case err := <-waited:
						t.Fatalf("tcpdial -l ended: %v; stderr %s", err, stderr.String())
					case <-time.After(50 * time.Millisecond):
					}
				}
				if err != nil {
					t.Fatalf("%s connect: %v; tcpdial stderr %s", kind, err, stderr.String())
				}
				// tcpdial closes when the peer's FIN comes, even with stdin
				// left: ours goes out once tcpdial's FIN is in.
				wrote := make(chan error, 1)
				go func() {
					_, err := b.Write(ctx, fd, data)
					wrote <- err
				}()
				got, n, err := drain(ctx, b, fd)
				if err != nil {
					t.Fatalf("%s read: %v after %d bytes", kind, err, n)
				}
				if err := <-wrote; err != nil {
					t.Fatalf("%s write: %v", kind, err)
				}
				if err := b.Shutdown(fd, "wr"); err != nil {
					t.Fatalf("%s shutdown: %v", kind, err)
				}
				if got != sha256.Sum256(reply) {
					t.Errorf("%s got %d bytes from tcpdial (SHA-256 %x), it sent %d", kind, n, got, len(reply))
				}
				b.Close(fd)
				if err := <-waited; err != nil {
					t.Fatalf("tcpdial -l: %v; stderr %s", err, stderr.String())
				}
				if s := sha256.Sum256(stdout.Bytes()); s != want {
					t.Errorf("tcpdial -l got %d bytes (SHA-256 %x), %s sent %d (%x)", stdout.Len(), s, kind, len(data), want)
				}
			})
		})
	}
}

// errRefused matches a refused connect.
var errRefused = errorsRefused{}

type errorsRefused struct{}

func (errorsRefused) Error() string { return "connection refused" }
func (errorsRefused) Is(err error) bool {
	return strings.Contains(err.Error(), "connection refused")
}
