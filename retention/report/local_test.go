package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/regprune/regprune/retention"
)

func localPlan() *retention.Plan {
	reclaimed := int64(3 << 20)
	created := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	p := &retention.Plan{
		SchemaVersion: retention.SchemaVersion, Mode: "apply", GeneratedAt: created,
		Repositories: []retention.RepoPlan{},
		Notes:        []string{"followRemote: nothing to follow under --scope local"},
		Local: []retention.CachePlan{{
			Cache: "docker unix:///var/run/docker.sock", Kind: "docker",
			Notes: []string{"engine 20.10.24, API 1.41"},
			Repositories: []retention.RepoPlan{{
				Repository: "acme/api", Policies: []string{"local-api"},
				Tags: []retention.TagDecision{
					{Tag: "v1", Digest: "sha256:" + strings.Repeat("a", 64), Created: &created, Action: retention.Delete, Reasons: []string{"deleted by policy local-api"}, Clock: "arrived"},
					{Tag: "v2", Digest: "sha256:" + strings.Repeat("b", 64), Action: retention.Keep, Reasons: []string{"used by container web"}, Clock: "created"},
				},
				Deletions: []retention.Deletion{{Digest: "sha256:" + strings.Repeat("a", 64), Tags: []string{"acme/api:v1"}, Kind: retention.KindImage, Status: retention.StatusDeleted}},
			}},
			BuildCache:     &retention.BuildCachePlan{OlderThan: "7d", KeepStorage: 10 << 30, Status: retention.StatusDeleted, ReclaimedBytes: 1 << 20},
			EstimatedBytes: 2 << 20,
			ReclaimedBytes: &reclaimed,
		}, {
			Cache: "layout /var/cache/oci", Kind: "layout", Error: "layout /var/cache/oci: locked by another process",
			Repositories: []retention.RepoPlan{},
		}},
	}
	p.Summarize()
	return p
}

func TestLocalSummary(t *testing.T) {
	t.Parallel()
	p := localPlan()
	want := retention.Summary{Tags: 2, Keep: 1, Delete: 1, Manifests: 1, Deleted: 1, LocalCaches: 2, LocalFailed: 1, EstimatedBytes: 2 << 20, ReclaimedBytes: 3 << 20}
	if diff := cmp.Diff(want, p.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestLocalRendering(t *testing.T) {
	t.Parallel()
	p := localPlan()
	for _, f := range []Format{Text, Markdown, JSON} {
		var b bytes.Buffer
		if err := Write(&b, p, f, WithView(ViewFull)); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		wants := []string{"docker unix:///var/run/docker.sock", "locked by another process", "engine 20.10.24, API 1.41", "acme/api", "nothing to follow"}
		if f != JSON {
			wants = append(wants, "(arrived)")
		}
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("%s output lacks %q:\n%s", f, want, out)
			}
		}
		if f == JSON {
			continue
		}
		if !strings.Contains(out, "3MiB") {
			t.Errorf("%s output does not show the measured bytes:\n%s", f, out)
		}
	}
	var b bytes.Buffer
	if err := Write(&b, p, JSON); err != nil {
		t.Fatal(err)
	}
	back, err := ReadPlan(&b)
	if err != nil {
		t.Fatalf("ReadPlan: %v", err)
	}
	if diff := cmp.Diff(p.Local, back.Local); diff != "" {
		t.Errorf("local caches do not round-trip (-want +got):\n%s", diff)
	}
}
