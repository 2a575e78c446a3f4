package job_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/regprune/regprune/internal/registrytest"
	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
	"github.com/regprune/regprune/retention/job"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry/oci"
)

// TestGlobsOnGitHub expands globs on a github registry through "list
// packages" of the owner the glob names, names with slashes included;
// a glob without a literal owner and a GITHUB_TOKEN are refused with
// what to do instead, and the literal names still come through.
func TestGlobsOnGitHub(t *testing.T) {
	const pat, actions = "ghp_pat", "ghs_actions"
	g := registrytest.NewGHCR(t, registrytest.WithGHCROrg("acme", "other"),
		registrytest.WithGHCRToken(pat, "octo", registrytest.TokenClassic, "read:packages", "write:packages"),
		registrytest.WithGHCRToken(actions, "github-actions", registrytest.TokenActions, "read:packages", "write:packages"))
	for _, repo := range []string{g.Repo("acme", "app"), g.Repo("acme", "app/worker"), g.Repo("acme", "web"), g.Repo("other", "app")} {
		registrytest.PushImage(t, repo+":v1", remote.WithAuth(&authn.Basic{Username: "octo", Password: pat}))
	}
	expand := func(tok string, patterns ...string) ([]string, error) {
		cfg := &retention.Config{
			Registries: []retention.Registry{{Host: g.Host, Insecure: true, API: apis.GitHub, Settings: map[string]any{"apiURL": g.APIURL}, Username: "octo", Password: retention.Secret(tok)}},
			Policies:   []retention.Policy{{Repositories: patterns, Keep: []retention.KeepRule{{Newest: 1}}}},
		}
		rules, _, r := routed(t, cfg)
		return planner.Expand(context.Background(), r, rules)
	}

	got, err := expand(pat, g.Host+"/acme/app/*")
	want := []string{g.Repo("acme", "app/worker")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("acme/app/*: got %v, %v; want %v", got, err, want)
	}
	got, err = expand(pat, g.Host+"/acme/**")
	if err != nil || len(got) != 3 {
		t.Errorf("acme/**: got %v, %v; want acme's three packages", got, err)
	}

	_, err = expand(pat, g.Host+"/*/app")
	if err == nil || !strings.Contains(err.Error(), "must name its owner") {
		t.Errorf("a glob over owners: want it refused naming the owner, got %v", err)
	}

	got, err = expand(actions, g.Host+"/acme/*", g.Repo("acme", "web"))
	if !errors.Is(err, retention.ErrDenied) || !strings.Contains(err.Error(), "a GITHUB_TOKEN cannot list packages; name the packages exactly, or use a classic PAT") {
		t.Errorf("a glob with a GITHUB_TOKEN: want the advice, got %v", err)
	}
	if !slices.Equal(got, []string{g.Repo("acme", "web")}) {
		t.Errorf("the literal name should still come through, got %v", got)
	}
}

// TestDockerHubThroughTheRouter: a glob on a dockerhub registry expands
// through the namespace's repositories, and without a username in the
// configuration the Docker config's credentials log in to the Hub API.
func TestDockerHubThroughTheRouter(t *testing.T) {
	h := registrytest.NewHub(t, registrytest.WithHubAccount("octo", "dckr_pat_cfg"))
	for _, repo := range []string{h.Repo("octo", "app"), h.Repo("octo", "web"), h.Repo("other", "app")} {
		registrytest.PushImage(t, repo+":v1")
	}
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("octo:dckr_pat_cfg"))
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths":{"https://index.docker.io/v1/":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	cfg := &retention.Config{
		Registries: []retention.Registry{{Host: h.Host, Insecure: true, API: apis.DockerHub, Settings: map[string]any{"apiURL": h.APIURL}}},
		Policies:   []retention.Policy{{Repositories: []string{h.Host + "/octo/*"}, Keep: []retention.KeepRule{{Newest: 1}}}},
	}
	rules, _, r := routed(t, cfg)
	got, err := planner.Expand(context.Background(), r, rules)
	if want := []string{h.Repo("octo", "app"), h.Repo("octo", "web")}; err != nil || !slices.Equal(got, want) {
		t.Errorf("octo/*: %v, %v; want %v", got, err, want)
	}
}

// pendingJournal is a journal holding what an interrupted apply left.
type pendingJournal struct{ entries []retention.Deletion }

func (j pendingJournal) Begin(string, []retention.Deletion) error     { return nil }
func (j pendingJournal) Settle(string, retention.Deletion) error      { return nil }
func (j pendingJournal) Pending(string) ([]retention.Deletion, error) { return j.entries, nil }
func (j pendingJournal) Clear(string) error                           { return nil }

// TestPlanListsPending: a plan shows, in their own list and a note, the
// deletions an interrupted apply left pending (not the deleted parent
// records, not tags alone).
func TestPlanListsPending(t *testing.T) {
	t.Parallel()
	reg := registrytest.InMemory(t, false)
	registrytest.PushImage(t, reg.Repo("app")+":v1")
	repo := reg.Repo("app")
	rules, err := (&retention.Config{Policies: []retention.Policy{{Repositories: []string{repo}, Keep: []retention.KeepRule{{Newest: 5}}}}}).Compile()
	if err != nil {
		t.Fatal(err)
	}
	client, err := oci.New([]retention.Registry{{Host: retention.Host(repo), Insecure: true}})
	if err != nil {
		t.Fatal(err)
	}
	parent, child := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	j := pendingJournal{entries: []retention.Deletion{
		{Digest: parent, Kind: retention.KindIndex, Tags: []string{"old"}, Status: retention.StatusDeleted},
		{Digest: child, Kind: retention.KindChild, Parent: parent},
		{Digest: parent, Kind: retention.KindTag, Tags: []string{"x"}},
	}}
	p := job.Plan(t.Context(), client, job.Options{Rules: rules, Scope: job.ScopeRemote, Journal: j})
	rp := p.Repositories[0]
	if len(rp.Pending) != 1 || rp.Pending[0].Digest != child || !strings.Contains(strings.Join(rp.Notes, "\n"), "1 deletion(s) left pending") {
		t.Errorf("pending %+v, notes %q; want the child alone, and a note", rp.Pending, rp.Notes)
	}
}
