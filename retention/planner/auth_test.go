package planner_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/planner"
	"github.com/regprune/regprune/retention/registry"
)

// deniedLister refuses every repository of deny.example, and fails the
// others with an outage.
type deniedLister struct{}

func (deniedLister) Catalog(context.Context, string) ([]string, error) { return nil, nil }

func (deniedLister) List(_ context.Context, repo string, _ bool, _ time.Time) (retention.Listing, error) {
	if strings.HasPrefix(repo, "deny.example/") {
		return retention.Listing{}, fmt.Errorf("listing %s: %w: 401 UNAUTHORIZED", repo, retention.ErrDenied)
	}
	return retention.Listing{}, fmt.Errorf("listing %s: %w", repo, registry.ErrUnreachable)
}

// TestAuthFailureLoggedOncePerRegistry: three repositories of a registry
// whose credentials are refused are three failures in the report and
// one error in the log; other failures are logged per repository.
func TestAuthFailureLoggedOncePerRegistry(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	repos := []string{"deny.example/a", "deny.example/b", "deny.example/c", "down.example/a", "down.example/b"}
	rules, err := (&retention.Config{Policies: []retention.Policy{{Repositories: repos, Keep: []retention.KeepRule{{Newest: 1}}}}}).Compile()
	if err != nil {
		t.Fatal(err)
	}
	p := planner.Plan(context.Background(), deniedLister{}, rules, time.Now(), planner.Options{Concurrency: 2, Logger: log})
	if p.Summary.Failed != 5 {
		t.Errorf("%d repositories failed, want 5", p.Summary.Failed)
	}
	if n := strings.Count(buf.String(), "authentication to deny.example failed"); n != 1 {
		t.Errorf("%d authentication errors logged, want 1:\n%s", n, buf.String())
	}
	if n := strings.Count(buf.String(), "listing failed; nothing in this repository"); n != 2 {
		t.Errorf("%d other failures logged, want 2 (one per repository):\n%s", n, buf.String())
	}
}
