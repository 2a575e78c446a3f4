package oci

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/regprune/regprune/retention"
)

// cloudHosts says which cloud login serves each host ("" for none).
var cloudHosts = []struct{ host, cloud string }{
	{"gcr.io", "google"},
	{"eu.gcr.io", "google"},
	{"GCR.io:443", "google"},
	{"us-docker.pkg.dev", "google"},
	{"europe-west4-docker.pkg.dev", "google"},
	{"pkg.dev", ""},
	{"evilgcr.io", ""},
	{"gcr.io.example.com", ""},
	{"us-docker.pkg.dev.example.com", ""},

	{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "ecr"},
	{"123456789012.dkr.ecr.us-east-1.amazonaws.com:443", "ecr"},
	{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "ecr"},
	{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "ecr"},
	{"123456789012.dkr-ecr.eu-west-1.on.aws", "ecr"},
	{"public.ecr.aws", "ecr"},
	{"12345.dkr.ecr.us-east-1.amazonaws.com", ""},
	{"x123456789012.dkr.ecr.us-east-1.amazonaws.com", ""},
	{"123456789012.dkr.ecr.us-east-1.amazonaws.com.example.com", ""},
	{"dkr.ecr.us-east-1.amazonaws.com", ""},

	{"myregistry.azurecr.io", "acr"},
	{"MyRegistry.azurecr.io", "acr"},
	{"myregistry.azurecr.cn", "acr"},
	{"myregistry.azurecr.us", "acr"},
	{"azurecr.io", ""},
	{"myregistry.azurecr.io.example.com", ""},
	{"myregistry.azurecr.me", ""},
	{"mcr.microsoft.com", ""},

	{"docker.io", ""},
	{"index.docker.io", ""},
	{"ghcr.io", ""},
	{"quay.io", ""},
	{"registry.example.com", ""},
	{"localhost:5000", ""},
	{"127.0.0.1:5000", ""},
	{"[::1]:5000", ""},
}

// TestCloudLoginHosts: each cloud login claims exactly its own hosts.
func TestCloudLoginHosts(t *testing.T) {
	t.Parallel()
	for _, tc := range cloudHosts {
		for _, c := range cloudLogins {
			if got, want := c.match(tc.host), c.name == tc.cloud; got != want {
				t.Errorf("%s login matches %q: %v, want %v", c.name, tc.host, got, want)
			}
		}
	}
}

// recordingLogin stands in for a cloud's keychain: it records the hosts
// it is asked about, fails the test when asked about a host that is not
// its cloud's, and answers with a password naming the cloud.
type recordingLogin struct {
	t     *testing.T
	cloud string
	want  func(host string) string // the cloud that should serve host

	mu    sync.Mutex
	asked []string
}

func (r *recordingLogin) Resolve(target authn.Resource) (authn.Authenticator, error) {
	host := target.RegistryStr()
	r.mu.Lock()
	r.asked = append(r.asked, host)
	r.mu.Unlock()
	if w := r.want(host); w != r.cloud {
		r.t.Errorf("the %s login was asked about %s (a host of %q)", r.cloud, host, w)
	}
	return authn.FromConfig(authn.AuthConfig{Username: "cloud", Password: r.cloud}), nil
}

// isolate clears the environment and home a keychain reads, so that no
// credentials of the machine running the tests take part.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		for _, p := range []string{"AWS_", "GOOGLE_", "AZURE_", "CLOUDSDK_", "GCE_", "DOCKER_", "GITHUB_", "REGISTRY_AUTH_FILE"} {
			if strings.HasPrefix(k, p) {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
		}
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("DOCKER_CONFIG", filepath.Join(home, ".docker"))
	return home
}

// TestDefaultKeychainOrder: the Docker config wins, then GITHUB_TOKEN for
// ghcr.io, then each cloud login, asked only about its own hosts; every
// other host is anonymous without any cloud login being asked.
func TestDefaultKeychainOrder(t *testing.T) {
	home := isolate(t)
	t.Setenv("GITHUB_TOKEN", "ghs_test-token")
	loggedIn := "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	docker := `{"auths": {"` + loggedIn + `": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("AWS:from-docker-login")) + `"}}}`
	if err := os.MkdirAll(filepath.Join(home, ".docker"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".docker", "config.json"), []byte(docker), 0o600); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, tc := range cloudHosts {
		want[tc.host] = tc.cloud
	}
	recorders := map[string]*recordingLogin{}
	var clouds []cloudLogin
	for _, c := range cloudLogins {
		r := &recordingLogin{t: t, cloud: c.name, want: func(h string) string { return want[h] }}
		recorders[c.name] = r
		clouds = append(clouds, cloudLogin{name: c.name, match: c.match, open: func(*slog.Logger) authn.Keychain { return r }})
	}
	kc := keychainOf(clouds, slog.New(slog.DiscardHandler))

	cases := map[string]string{loggedIn: "from-docker-login", "ghcr.io": "ghs_test-token"}
	for _, tc := range cloudHosts {
		if _, ok := cases[tc.host]; !ok {
			cases[tc.host] = tc.cloud // the cloud's name, or "" for anonymous
		}
	}
	wantAsked := map[string][]string{}
	for host, password := range cases {
		if c := want[host]; c != "" && host != loggedIn {
			wantAsked[c] = append(wantAsked[c], host)
		}
		reg, err := name.NewRegistry(host)
		if err != nil {
			t.Fatal(err)
		}
		a, err := kc.Resolve(reg)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		cfg, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Password != password {
			t.Errorf("%s: password %q, want %q", host, cfg.Password, password)
		}
	}
	// Each login is asked once per host, whatever its case: the answer
	// is kept (cachedKeychain).
	for c, r := range recorders {
		if diff := cmp.Diff(lowerUnique(wantAsked[c]), lowerUnique(r.asked)); diff != "" {
			t.Errorf("hosts the %s login was asked about (-want +got):\n%s", c, diff)
		}
	}
}

// lowerUnique is s in lower case, sorted, without repeats.
func lowerUnique(s []string) []string {
	var out []string
	for _, h := range s {
		out = append(out, strings.ToLower(h))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestCloudLoginsCanBeTurnedOff: WithCloudLogins(false) leaves the
// Docker config and GITHUB_TOKEN only.
func TestCloudLoginsCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	names := func(opts ...Option) []string {
		o := defaultOptions()
		for _, opt := range opts {
			if err := opt(&o); err != nil {
				t.Fatal(err)
			}
		}
		var out []string
		for _, c := range o.clouds() {
			out = append(out, c.name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"google", "ecr", "acr"}, names()); diff != "" {
		t.Errorf("default cloud logins (-want +got):\n%s", diff)
	}
	if got := names(WithCloudLogins(false)); len(got) != 0 {
		t.Errorf("WithCloudLogins(false): cloud logins %v, want none", got)
	}
	if diff := cmp.Diff([]string{"google", "ecr", "acr"}, names(WithCloudLogins(false), WithCloudLogins(true))); diff != "" {
		t.Errorf("WithCloudLogins(true) after false (-want +got):\n%s", diff)
	}
}

type failingHelper struct{ err error }

func (f failingHelper) Get(string) (string, string, error) { return "", "", f.err }

// TestLoggedHelperSaysWhy: a helper's error, which go-containerregistry
// drops on its way to anonymous, is a warning naming the helper, the
// registry and the reason.
func TestLoggedHelperSaysWhy(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	h := loggedHelper{name: "acr-env", h: failingHelper{errors.New("failed to acquire sp token")}, log: slog.New(slog.NewTextHandler(&buf, nil))}
	a, err := authn.NewKeychainFromHelper(h).Resolve(name.MustParseReference("myregistry.azurecr.io/app").Context().Registry)
	if err != nil || a != authn.Anonymous {
		t.Fatalf("Resolve = %v, %v; want anonymous", a, err)
	}
	for _, want := range []string{"level=WARN", "helper=acr-env", "registry=myregistry.azurecr.io", `reason="failed to acquire sp token"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log %q lacks %s", buf.String(), want)
		}
	}
}

// TestCloudLoginsOn: the cloud logins are on unless the configuration
// turns them off, also in a Config built in Go without cloudLogins.
func TestCloudLoginsOn(t *testing.T) {
	t.Parallel()
	off, on := false, true
	for _, tc := range []struct {
		cfg  retention.Config
		want bool
	}{{retention.Config{}, true}, {retention.Config{CloudLogins: &on}, true}, {retention.Config{CloudLogins: &off}, false}} {
		if got := CloudLoginsOn(&tc.cfg); got != tc.want {
			t.Errorf("CloudLoginsOn(cloudLogins %v) = %v, want %v", tc.cfg.CloudLogins, got, tc.want)
		}
	}
}
