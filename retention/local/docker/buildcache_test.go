package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"

	"github.com/regprune/regprune/retention"
)

// buildFromScratch builds FROM scratch with BuildKit from an in-memory
// context, which leaves build cache records (the copied file). It returns
// false when the engine's BuildKit refuses an uploaded context.
func (f *fixture) buildFromScratch(tag string) (bool, string) {
	f.t.Helper()
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	files := map[string]string{
		"Dockerfile": "FROM scratch\nCOPY data /data\n",
		"data":       strings.Repeat(f.prefix, 1000),
	}
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	tw.Close()
	res, err := f.e.cli.ImageBuild(context.Background(), &ctxTar, client.ImageBuildOptions{
		Version: build.BuilderBuildKit, Tags: []string{tag}, Dockerfile: "Dockerfile",
	})
	if err != nil {
		return false, err.Error()
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if bytes.Contains(out, []byte(`"error"`)) {
		return false, string(out)
	}
	return true, ""
}

// TestBuildCache: plan describes the prune without touching the cache;
// apply prunes with until and the storage limit only (checked on the
// request the engine receives: no label filter, no all) and reports the
// engine's result. The engine is shared, so the test prunes nothing real:
// an until of ten years keeps every record, including the ones its own
// BuildKit build just made.
func TestBuildCache(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var queries []url.Values
	f.e = recordingEngine(t, f.e, func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/build/prune") {
			queries = append(queries, r.URL.Query())
		}
	})
	// records lists the engine's build cache records that were used since
	// they were made (BuildKit may count one never used as old, whatever
	// until says), and the size of all of them.
	var total int64
	records := func() map[string]bool {
		du, err := f.e.cli.DiskUsage(ctx, client.DiskUsageOptions{BuildCache: true, Verbose: true})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		total = 0
		for _, r := range du.BuildCache.Items {
			total += r.Size
			if r.LastUsedAt != nil {
				ids[r.ID] = true
			}
		}
		return ids
	}
	foreign := records()
	built, why := f.buildFromScratch(f.repo("built:1"))
	if !built {
		t.Logf("no build cache records: BuildKit refused the build: %s", why)
	}
	// The engine is shared: only the records this build made are checked.
	before := records()
	for id := range foreign {
		delete(before, id)
	}
	if built && len(before) == 0 {
		t.Logf("the build left no build cache record that was used since it was made")
	}
	now := time.Now()
	tenYears := 10 * 365 * 24 * time.Hour
	// The engine is shared (CI's may hold gigabytes of cache): the limit
	// is above all of it, so that only until decides.
	keep := max(int64(1<<30), 2*total)
	bc := &retention.BuildCache{OlderThan: retention.Duration(tenYears), KeepStorage: retention.ByteSize(keep)}
	dr := rules(t, retention.DockerCache{BuildCache: bc}, 0)
	cp := Plan(ctx, f.e, dr, nil, now)
	noFailures(t, cp)
	if cp.BuildCache == nil || cp.BuildCache.OlderThan != "3650d" || cp.BuildCache.KeepStorage != keep || cp.BuildCache.Status != "" {
		t.Fatalf("planned build cache = %+v", cp.BuildCache)
	}
	if len(queries) != 0 {
		t.Fatalf("plan pruned the build cache")
	}

	rep := Apply(ctx, f.e, dr, cp, nil, now)
	noFailures(t, rep)
	if rep.BuildCache.Status != retention.StatusDeleted || rep.BuildCache.Error != "" || rep.BuildCache.ReclaimedBytes != 0 {
		t.Fatalf("build cache prune = %+v, want deleted with nothing reclaimed", rep.BuildCache)
	}
	after := records()
	for id := range before {
		if !after[id] {
			t.Errorf("until=%s removed record %s", tenYears, id)
		}
	}
	if len(queries) != 1 {
		t.Fatalf("want one POST /build/prune, got %d", len(queries))
	}
	q := queries[0]
	limit := "reserved-space"
	if versionAtMost(f.e.APIVersion, "1.47") {
		limit = "keep-storage"
	}
	if q.Get(limit) != strconv.FormatInt(keep, 10) || q.Get("all") != "" || q.Get("filters") != `{"until":{"87600h0m0s":true}}` {
		t.Errorf("POST /build/prune query %v: want %s=%d, filters until=87600h0m0s only, no all", q, limit, keep)
	}
}

// recordingEngine is e with a hook that sees every request.
func recordingEngine(t *testing.T, e *Engine, hook func(*http.Request)) *Engine {
	t.Helper()
	cli, err := client.New(client.WithHost(e.Host), client.WithHTTPRequestHook(func(r *http.Request) error {
		hook(r)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Ping(context.Background(), client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	r := *e
	r.cli = cli
	return &r
}

// versionAtMost compares API versions "1.41" and "1.47".
func versionAtMost(v, max string) bool {
	var a, b, c, d int
	fmt.Sscanf(v, "%d.%d", &a, &b)
	fmt.Sscanf(max, "%d.%d", &c, &d)
	return a < c || (a == c && b <= d)
}
