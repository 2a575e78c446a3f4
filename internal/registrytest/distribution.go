package registrytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Option configures StartDistribution.
type Option func(*distConfig)

type distConfig struct {
	deleteDisabled bool
	maxTags        int
}

// WithDeleteDisabled leaves storage.delete.enabled false, so the registry
// answers every DELETE with 405 UNSUPPORTED, as many production registries
// do. Default: deletes enabled.
func WithDeleteDisabled() Option {
	return func(c *distConfig) { c.deleteDisabled = true }
}

// WithMaxTags sets tags.maxtags, the most tags one tags/list page holds.
// Distribution applies it only when the client asks for a page size (n),
// clamping n and sending a Link header to the next page; without n it
// returns every tag. Default 1000 (Distribution's).
func WithMaxTags(n int) Option {
	return func(c *distConfig) { c.maxTags = n }
}

// startTimeout bounds the wait for GET /v2/ to answer.
const startTimeout = 20 * time.Second

// StartDistribution starts the CNCF Distribution registry (v3.1.2) on a
// free port of 127.0.0.1 with filesystem storage in a temporary directory
// and deletes enabled, and kills it when the test ends. Without the binary
// (see Binary) the test is skipped, or fails when CI=true.
func StartDistribution(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	var c distConfig
	for _, opt := range opts {
		opt(&c)
	}
	bin := Binary(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "storage")
	cfgPath := filepath.Join(dir, "config.yml")
	var (
		host string
		d    *distribution
		err  error
	)
	// The free port may be taken before the registry binds it; another
	// port then does.
	for range 3 {
		var port int
		port, err = freePort()
		if err != nil {
			break
		}
		host = fmt.Sprintf("127.0.0.1:%d", port)
		if err = os.WriteFile(cfgPath, []byte(c.yaml(root, host)), 0o600); err != nil {
			err = fmt.Errorf("writing config: %w", err)
			break
		}
		d = &distribution{bin: bin, config: cfgPath, url: "http://" + host}
		if err = d.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("starting distribution: %v", err)
	}
	t.Cleanup(func() {
		d.stop()
		if t.Failed() {
			t.Logf("distribution output:\n%s", d.output())
		}
	})
	return &Registry{Host: host, URL: d.url, ConfigPath: cfgPath, RootDir: root, dist: d}
}

// yaml renders the registry configuration. The secret only silences the
// warning about a random one; uploads are purged rarely and never during
// a test.
func (c distConfig) yaml(root, host string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 0.1\n")
	fmt.Fprintf(&b, "log:\n  level: warn\n  accesslog:\n    disabled: true\n")
	fmt.Fprintf(&b, "storage:\n  filesystem:\n    rootdirectory: %q\n", root)
	fmt.Fprintf(&b, "  delete:\n    enabled: %t\n", !c.deleteDisabled)
	fmt.Fprintf(&b, "  maintenance:\n    uploadpurging:\n      enabled: false\n")
	fmt.Fprintf(&b, "http:\n  addr: %q\n  secret: regprune-registrytest\n", host)
	if c.maxTags > 0 {
		fmt.Fprintf(&b, "tags:\n  maxtags: %d\n", c.maxTags)
	}
	return b.String()
}

// distribution is one registry process, restartable on the same config.
type distribution struct {
	bin, config, url string

	mu  sync.Mutex
	cmd *exec.Cmd
	out bytes.Buffer // guarded by lockedWriter
}

type lockedWriter struct{ d *distribution }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	return w.d.out.Write(p)
}

func (d *distribution) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.String()
}

func (d *distribution) start() error {
	cmd := exec.Command(d.bin, "serve", d.config)
	cmd.Stdout, cmd.Stderr = lockedWriter{d}, lockedWriter{d}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running %s: %w", d.bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	d.mu.Lock()
	d.cmd = cmd
	d.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if ping(ctx, d.url) {
			go d.reap(cmd, exited)
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("waiting for registry: exited (%v):\n%s", err, d.output())
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("waiting for registry: no answer from %s/v2/ in %s:\n%s", d.url, startTimeout, d.output())
		case <-tick.C:
		}
	}
}

// reap collects the process's exit so stop can wait for it.
func (d *distribution) reap(cmd *exec.Cmd, exited <-chan error) {
	<-exited
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == cmd {
		d.cmd = nil
	}
}

func (d *distribution) stop() {
	d.mu.Lock()
	cmd := d.cmd
	d.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Kill()
	// Wait until the port is free and the files closed.
	for range 200 {
		d.mu.Lock()
		gone := d.cmd != cmd
		d.mu.Unlock()
		if gone {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ping(ctx context.Context, base string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v2/", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// GarbageCollect stops the registry (garbage collection must not run
// while it serves), runs `registry garbage-collect` with the given flags
// (such as "--delete-untagged") on its configuration, starts it again on
// the same address, and returns the command's output. Distribution only.
func (r *Registry) GarbageCollect(t testing.TB, flags ...string) string {
	t.Helper()
	if r.dist == nil {
		t.Fatal("garbage collecting: not a Distribution registry")
	}
	r.dist.stop()
	args := append([]string{"garbage-collect"}, flags...)
	args = append(args, r.ConfigPath)
	out, err := exec.Command(r.dist.bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("garbage collecting: %v\n%s", err, out)
	}
	if err := r.dist.start(); err != nil {
		t.Fatalf("garbage collecting: restarting registry: %v", err)
	}
	return string(out)
}

// Blobs counts the blobs in a Distribution registry's storage (layers,
// configs and manifests), to observe what garbage collection frees.
func (r *Registry) Blobs(t testing.TB) int {
	t.Helper()
	if r.RootDir == "" {
		t.Fatal("counting blobs: not a Distribution registry")
	}
	n := 0
	dir := filepath.Join(r.RootDir, "docker", "registry", "v2", "blobs")
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && e.Name() == "data" {
			n++
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("counting blobs: %v", err)
	}
	return n
}
