package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/regprune/regprune/retention"
)

// TestUnreachable: a socket nobody listens on is an error that names the
// host, at Connect and when the engine goes away before Plan.
func TestUnreachable(t *testing.T) {
	host := "unix://" + filepath.Join(t.TempDir(), "no-engine.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Connect(ctx, host)
	if err == nil {
		t.Fatalf("Connect(%s) succeeded", host)
	}
	cp := FailedPlan(err)
	if cp.Cache != "docker "+host || !strings.Contains(cp.Error, host) || cp.Kind != Kind {
		t.Errorf("FailedPlan = %+v, want cache and error naming %s", cp, host)
	}

	cli, err := client.New(client.WithHost(host))
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{Host: host, cli: cli}
	cp = Plan(ctx, e, rules(t, retention.DockerCache{}, 0), nil, time.Now())
	if !strings.Contains(cp.Error, host) || len(cp.Repositories) != 0 {
		t.Errorf("Plan on a dead engine = %+v, want an error naming %s", cp, host)
	}
}

// TestResolveHost follows the docker CLI: configured host, DOCKER_HOST,
// the current context's endpoint, then the default socket.
func TestResolveHost(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONTEXT", "")

	check := func(host, want, source string) {
		t.Helper()
		ep, err := resolveHost(host)
		if err != nil {
			t.Fatalf("resolveHost(%q): %v", host, err)
		}
		if ep.host != want || ep.source != source {
			t.Errorf("resolveHost(%q) = %s (%s), want %s (%s)", host, ep.host, ep.source, want, source)
		}
	}
	check("", client.DefaultDockerHost, "platform default")

	sum := sha256.Sum256([]byte("colima"))
	meta := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]))
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(meta, "meta.json"), []byte(`{"Name":"colima","Endpoints":{"docker":{"Host":"unix:///home/u/.colima/default/docker.sock","SkipTLSVerify":false}}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths":{},"currentContext":"colima"}`), 0o644)
	check("", "unix:///home/u/.colima/default/docker.sock", "docker context colima")

	t.Setenv("DOCKER_CONTEXT", "missing")
	if _, err := resolveHost(""); err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("a missing context: err = %v, want one naming it", err)
	}
	t.Setenv("DOCKER_CONTEXT", "default")
	check("", client.DefaultDockerHost, "platform default")

	t.Setenv("DOCKER_HOST", "tcp://10.0.0.1:2375")
	check("", "tcp://10.0.0.1:2375", "DOCKER_HOST")
	check("unix:///run/user/1000/docker.sock", "unix:///run/user/1000/docker.sock", "configuration")
}
