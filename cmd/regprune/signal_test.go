package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
)

// envRunMain makes the test binary run main() instead of the tests, so
// that a test can run the real process: signal handling, os.Exit.
const envRunMain = "REGPRUNE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSIGTERMEndToEnd stops a running apply as Kubernetes stops a
// CronJob's pod: SIGTERM to the process while a DELETE is in flight. The
// deletion in flight finishes, no new one starts, the report and the
// metrics are still written and pushed, and the process exits 1.
func TestSIGTERMEndToEnd(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	digests := seedReleases(t, reg, 6)

	// The first DELETE blocks until the test has signalled the process.
	var (
		once     sync.Once
		inFlight = make(chan struct{})
		release  = make(chan struct{})
	)
	proxy.Before(func(r *http.Request) {
		if r.Method == http.MethodDelete {
			first := false
			once.Do(func() { first = true; close(inFlight) })
			if first {
				<-release
			}
		}
	})

	gw := newGateway(t)

	dir := t.TempDir()
	reportFile := filepath.Join(dir, "report.json")
	cfg := releasesConfig(t, "concurrency: 1", proxy.Host, proxy.Repo("acme/app"))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "apply", "-c", cfg, "-o", "json", "--output-file", reportFile,
		"--pushgateway", gw.URL, "--metrics-file", filepath.Join(dir, "regprune.prom"))
	// A clean environment: nothing of the CI job running the tests (a
	// GITHUB_STEP_SUMMARY, REGPRUNE_* settings) reaches the process.
	cmd.Env = []string{envRunMain + "=1", "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-inFlight:
	case <-ctx.Done():
		close(release)
		t.Fatalf("no DELETE reached the registry\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Give the process time to see the signal before the DELETE in
	// flight is answered.
	time.Sleep(500 * time.Millisecond)
	close(release)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want exit code 1\nstderr:\n%s", err, stderr.String())
	}

	b, err := os.ReadFile(reportFile)
	if err != nil {
		t.Fatalf("the report was not written: %v\nstderr:\n%s", err, stderr.String())
	}
	var p retention.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("the report is not whole: %v\n%s", err, b)
	}
	if p.Summary.Deleted != 1 || p.Summary.Skipped != 4 {
		t.Errorf("want the deletion in flight done and the 4 others skipped, got %+v", p.Summary)
	}
	// The deletion in flight (the oldest image: its tag, then its
	// digest) is the only one.
	var deletes int
	for _, r := range proxy.Requests() {
		if r.Method != http.MethodDelete {
			continue
		}
		deletes++
		if !strings.HasSuffix(r.Path, "/manifests/v1.0.0") && !strings.HasSuffix(r.Path, "/manifests/"+digests["v1.0.0"]) {
			t.Errorf("DELETE %s started after the signal; only the deletion of v1.0.0 was in flight", r.Path)
		}
		if r.Status != http.StatusAccepted {
			t.Errorf("DELETE %s got %d, want 202 (finished)", r.Path, r.Status)
		}
	}
	if deletes == 0 {
		t.Errorf("no DELETE finished")
	}
	pushed, _ := gw.last()
	if pushed == nil {
		t.Fatalf("an interrupted run pushed no metrics\nstderr:\n%s", stderr.String())
	}
	if _, ok := pushed["regprune_last_success_timestamp_seconds"]; ok {
		t.Errorf("an interrupted run must not set regprune_last_success_timestamp_seconds")
	}
	if _, ok := pushed["regprune_deletions"]; !ok {
		t.Errorf("pushed metrics lack regprune_deletions: %v", pushed)
	}
}

// lockedBuffer is a bytes.Buffer safe for a process's writer goroutine
// and the test reading it.
type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
