package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/internal/seed"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/state"
)

// TestKilledApplyFinishedByTheNext kills apply with SIGKILL right after
// its k-th DELETE, for every k, on the real Distribution registry, then
// runs apply again with the same state directory. Each time the end
// state is an uninterrupted run's: the kept tags, each on its manifest
// and whole (an index with its children), and nothing the plan deleted
// left behind: no index, image, child or referrer, tagged or not.
func TestKilledApplyFinishedByTheNext(t *testing.T) {
	t.Parallel()
	// One deletion of each kind at concurrency 1: the index (with two
	// children), two images, a referrer tag: 6 DELETEs.
	for k := 1; k <= 5; k++ {
		t.Run(fmt.Sprintf("killed after DELETE %d", k), func(t *testing.T) {
			t.Parallel()
			killedAfter(t, k)
		})
	}
}

func killedAfter(t *testing.T, k int) {
	reg := registrytest.StartDistribution(t)
	proxy := registrytest.NewProxy(t, reg)
	now := time.Now()
	ago := func(days int) time.Time { return now.Add(-time.Duration(days) * 24 * time.Hour) }
	repo := proxy.Repo("acme/app")
	digests, err := seed.History(context.Background(), reg.Repo("acme/app"), []seed.Entry{
		{Tag: "v1.0.0", Kind: seed.KindIndex, Created: ago(90)},
		{Tag: "v1.1.0", Created: ago(60)},
		{Kind: seed.KindSignature, Of: "v1.1.0"},
		{Tag: "v1.2.0", Created: ago(30)},
		{Tag: "v2.0.0", Kind: seed.KindIndex, Created: ago(5)},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`concurrency: 1
registries: [{host: %q, insecure: true}]
policies:
  - name: p
    repositories: [%q]
    keep: [{semver: {highest: 1}}]
`, proxy.Host, repo))
	dir := t.TempDir()
	stateDir := filepath.Join(dir, "state")

	// The plan, to know what must be gone at the end.
	r := runCLI(t, nil, "plan", "-c", cfg, "-o", "json")
	var plan retention.Plan
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("plan: %v\n%s", err, r.stderr)
	}
	var gone []string
	kinds := map[retention.Kind]int{}
	for _, d := range plan.Repositories[0].Deletions {
		gone = append(gone, d.Digest)
		kinds[d.Kind]++
	}
	if len(gone) != 6 || kinds[retention.KindChild] != 2 || kinds[retention.KindReferrer] != 1 {
		t.Fatalf("the plan should delete an index, its 2 children, 2 images and a referrer: %v", kinds)
	}

	// The first apply dies on its DELETE number k+1, before the registry
	// sees it: k DELETEs were done.
	var (
		mu      sync.Mutex
		deletes int
		cmd     *exec.Cmd
		refused *http.Request
		pid     atomic.Int64 // set once the process runs
	)
	dead := make(chan struct{})
	// The process is made before the hook that may kill it is set.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd = exec.CommandContext(ctx, os.Args[0], "apply", "-c", cfg, "--state-dir", stateDir, "-o", "json")
	cmd.Env = []string{envRunMain + "=1", "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	proxy.Before(func(r *http.Request) {
		if r.Method != http.MethodDelete {
			return
		}
		mu.Lock()
		deletes++
		n := deletes
		mu.Unlock()
		if n == k+1 {
			if p := pid.Load(); p > 0 { // never 0: that would be our own group
				_ = syscall.Kill(int(p), syscall.SIGKILL)
			}
			<-dead
			mu.Lock()
			refused = r
			mu.Unlock()
		}
	})
	proxy.Inject(registrytest.Fault{Match: func(r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		return r == refused
	}, Status: http.StatusServiceUnavailable})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid.Store(int64(cmd.Process.Pid))
	go func() { _ = cmd.Wait(); close(dead) }()
	select {
	case <-dead:
	case <-ctx.Done():
		t.Fatalf("the first apply did not end\n%s", stderr.String())
	}
	mu.Lock()
	done := deletes
	mu.Unlock()
	if done <= k && k < 6 {
		t.Fatalf("the first apply sent %d DELETEs and ended before the kill\n%s", done, stderr.String())
	}
	proxy.Before(nil)

	// The next apply, with the same state directory.
	r = runCLI(t, nil, "apply", "-c", cfg, "--state-dir", stateDir, "-o", "json")
	if r.code != 0 {
		t.Fatalf("the next apply: exit %d\n%s", r.code, r.stderr)
	}

	// The end state.
	tags := listTags(t, reg.Repo("acme/app"))
	if want := []string{"v2.0.0"}; !slices.Equal(tags, want) {
		t.Errorf("tags %v, want %v", tags, want)
	}
	for _, d := range gone {
		if manifestExists(t, reg.Repo("acme/app"), d) {
			t.Errorf("%s, deleted by the plan, is still there", d)
		}
	}
	if !manifestExists(t, reg.Repo("acme/app"), digests["v2.0.0"]) {
		t.Errorf("the kept index v2.0.0 is gone")
	}
	idx, err := remote.Index(mustRef(t, reg.Repo("acme/app")+"@"+digests["v2.0.0"]))
	if err == nil {
		m, _ := idx.IndexManifest()
		for _, c := range m.Manifests {
			if !manifestExists(t, reg.Repo("acme/app"), c.Digest.String()) {
				t.Errorf("a child %s of the kept index is gone", c.Digest)
			}
		}
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func listTags(t *testing.T, repo string) []string {
	t.Helper()
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(tags)
	return tags
}

func manifestExists(t *testing.T, repo, digest string) bool {
	t.Helper()
	_, err := remote.Head(mustRef(t, repo+"@"+digest))
	if err != nil && !strings.Contains(err.Error(), "404") && !strings.Contains(err.Error(), "MANIFEST_UNKNOWN") {
		t.Fatalf("HEAD %s: %v", digest, err)
	}
	return err == nil
}

// TestStateDirectoryUnusable: a state directory named by --state-dir,
// REGPRUNE_STATE_DIR or stateDir that is not a directory, or cannot be
// created (a file stands where its parent would be, which fails for root
// too), stops the run with exit 2 before any registry is contacted. The
// default location that cannot be made (a read-only container) gives one
// warning saying the run cannot be restored or resumed, and apply goes on.
func TestStateDirectoryUnusable(t *testing.T) {
	t.Parallel()
	reg := registrytest.StartDistribution(t)
	seedReleases(t, reg, 3)
	proxy := registrytest.NewProxy(t, reg)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := releasesConfig(t, "", proxy.Host, proxy.Repo("acme/app"))
	for _, tc := range []struct {
		name, want string
		env        map[string]string
		args       []string
	}{
		{"--state-dir is a file", "--state-dir " + file + ": not a directory", nil, []string{"--state-dir", file}},
		{"--state-dir cannot be created", "--state-dir " + filepath.Join(file, "state") + ": the state directory cannot be created", nil, []string{"--state-dir", filepath.Join(file, "state")}},
		{"REGPRUNE_STATE_DIR is a file", "REGPRUNE_STATE_DIR " + file + ": not a directory", map[string]string{"REGPRUNE_STATE_DIR": file}, nil},
		{"stateDir cannot be created", "stateDir " + filepath.Join(file, "state") + ": the state directory cannot be created", nil,
			[]string{"-c", releasesConfig(t, "stateDir: "+filepath.Join(file, "state"), proxy.Host, proxy.Repo("acme/app"))}},
	} {
		for _, cmd := range []string{"plan", "apply", "restore"} {
			args := append([]string{cmd, "-c", cfg}, tc.args...)
			if cmd == "restore" {
				args = append(args, "--list")
			}
			r := runCLI(t, tc.env, args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%s: %s: exit %d, want %d saying %q:\n%s", tc.name, cmd, r.code, exitUsage, tc.want, r.stderr)
			}
		}
	}
	if n := len(proxy.Requests()); n != 0 {
		t.Errorf("an unusable state directory that was named let %d requests reach the registry, want none", n)
	}

	r := runCLI(t, map[string]string{"XDG_CACHE_HOME": file}, "apply", "-c", cfg, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stderr, "going on without state: this run cannot be restored (regprune restore) or resumed"); n != 1 {
		t.Errorf("%d warnings about the default state directory saying the run cannot be restored or resumed, want 1:\n%s", n, r.stderr)
	}
	var p retention.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.Summary.Deleted != 2 || p.RunID != "" {
		t.Errorf("apply without state: %v %+v runId %q", err, p.Summary, p.RunID)
	}
}

// TestStateDirectoryHeld: a state directory another run holds makes
// apply wait, then go on without state and say so. Not parallel: it
// shortens the wait for the whole package.
func TestStateDirectoryHeld(t *testing.T) {
	defer func(w time.Duration) { stateWait = w }(stateWait)
	stateWait = 200 * time.Millisecond
	reg := registrytest.StartDistribution(t)
	seedReleases(t, reg, 3)
	dir := filepath.Join(t.TempDir(), "state")
	held, _, err := state.Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	cfg := releasesConfig(t, "", reg.Host, reg.Repo("acme/app"))
	r := runCLI(t, nil, "apply", "-c", cfg, "--state-dir", dir, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "another regprune run holds the state directory") || !strings.Contains(r.stderr, "going on without state") {
		t.Errorf("the run should say it goes on without state because another holds it:\n%s", r.stderr)
	}
	var p retention.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.Summary.Deleted != 2 || p.RunID != "" {
		t.Errorf("apply without state: %v %+v runId %q", err, p.Summary, p.RunID)
	}
}
