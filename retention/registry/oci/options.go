package oci

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/registry/internal/rest"
)

// Option configures a Client. An option given a value it cannot take
// fails New, naming the option; no value is silently replaced by a
// default.
type Option func(*options) error

type options struct {
	logger        *slog.Logger
	concurrency   int
	base          http.RoundTripper
	retryMax      int
	waitMin       time.Duration
	waitMax       time.Duration
	maxRetryAfter time.Duration
	// maxWaitHost caps the waits of hosts whose registries entry sets
	// maxWait (by canonical host); others get maxRetryAfter.
	maxWaitHost map[string]time.Duration
	keychain    authn.Keychain // nil: keychainOf(cloudLogins) unless cloud is off
	cloud       bool
	deleteScope bool
	userAgent   string
	// headerTimeout bounds the wait for a response's headers.
	headerTimeout time.Duration
	// bodyIdle bounds a pause in the middle of a response body.
	bodyIdle time.Duration
	// cache, when set, keeps manifests and creation times across runs.
	cache Cache
}

func defaultOptions() options {
	return options{
		logger:        slog.New(slog.DiscardHandler),
		concurrency:   retention.DefaultConcurrency,
		retryMax:      4,
		waitMin:       500 * time.Millisecond,
		waitMax:       20 * time.Second,
		maxRetryAfter: rest.MaxWait,
		cloud:         true,
		userAgent:     "regprune",
		headerTimeout: 60 * time.Second,
		bodyIdle:      DefaultBodyIdleTimeout,
	}
}

// WithResponseTimeout bounds how long a request waits for the registry to
// start answering; a request that times out is retried like a dropped
// connection. Default 60 s: a registry that hangs must not stall a
// scheduled job until its deadline, and no registry needs that long to
// start an answer (bodies may take longer; they are not bounded). d must
// be positive.
func WithResponseTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithResponseTimeout: %s is not a positive duration", d)
		}
		o.headerTimeout = d
		return nil
	}
}

// DefaultBodyIdleTimeout is how long a response body may send nothing.
// With the default retries (5 attempts, backoff 0.5+1+2+4 s), a registry
// that stalls in the middle of every body costs its repository at most
// 5 x 15 s + 7.5 s = 82.5 s, under 90 s; the other repositories go on.
const DefaultBodyIdleTimeout = 15 * time.Second

// WithBodyIdleTimeout bounds how long a response body (tags, manifests,
// blobs, catalog, DELETE answers) may pause: a body that sends nothing
// for d fails its request, which is retried like a dropped connection.
// Default DefaultBodyIdleTimeout. d must be positive.
func WithBodyIdleTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithBodyIdleTimeout: %s is not a positive duration", d)
		}
		o.bodyIdle = d
		return nil
	}
}

// WithLogger sets where the client logs. Default: nowhere, the library
// is silent and the binary decides. Keys are stable: repository, tag,
// digest, reason. l must not be nil.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithConcurrency bounds the requests in flight for the whole client,
// across repositories and tags, shared fairly: while requests of several
// repositories wait, a freed slot goes to the one holding the fewest.
// Default 8: enough to keep a registry busy without tripping rate
// limits. n must be at least 1.
func WithConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("WithConcurrency: %d, want at least 1", n)
		}
		o.concurrency = n
		return nil
	}
}

// WithBaseTransport sets the transport under the retry layer, so every
// attempt passes through it (tests count requests there). Default: a
// clone of go-containerregistry's remote.DefaultTransport (HTTP/2, pooled
// connections) with at least concurrency idle connections per host, and
// unverified TLS for insecure registries. A transport given here is used
// as is for every registry. rt must not be nil.
func WithBaseTransport(rt http.RoundTripper) Option {
	return func(o *options) error {
		if rt == nil {
			return errors.New("WithBaseTransport: nil transport")
		}
		o.base = rt
		return nil
	}
}

// WithRetry sets the only retry layer: retries after the first
// attempt, the exponential backoff bounds, and the longest Retry-After
// the client waits for. A registry asking for a longer wait fails the
// request at once with ErrRateLimited, naming the wait, instead of
// stalling the run. A DELETE or a PUT is never retried, whatever these
// say. Defaults: 4 retries, 500ms to 20s (rides out a registry restart
// or a short 5xx burst in well under a minute), Retry-After capped at
// rest.MaxWait (60s).
// No value may be negative, and waitMin may not exceed waitMax.
func WithRetry(retries int, waitMin, waitMax, maxRetryAfter time.Duration) Option {
	return func(o *options) error {
		if retries < 0 || waitMin < 0 || waitMax < 0 || maxRetryAfter < 0 || waitMin > waitMax {
			return fmt.Errorf("WithRetry(%d, %s, %s, %s): want no negative value and waitMin <= waitMax", retries, waitMin, waitMax, maxRetryAfter)
		}
		o.retryMax, o.waitMin, o.waitMax, o.maxRetryAfter = retries, waitMin, waitMax, maxRetryAfter
		return nil
	}
}

// WithKeychain sets where credentials come from for registries that have
// no username and password in the configuration (those always win), in
// place of the whole default keychain. Default: authn.DefaultKeychain
// (the Docker config file, docker login state and the credential helpers
// it names), then GITHUB_TOKEN for ghcr.io, then the cloud logins, each
// for its own hosts only (see WithCloudLogins).
func WithKeychain(kc authn.Keychain) Option {
	return func(o *options) error {
		if kc == nil {
			return errors.New("WithKeychain: nil keychain")
		}
		o.keychain = kc
		return nil
	}
}

// WithCloudLogins turns the default keychain's cloud logins on or off:
// Google (gcr.io, *.gcr.io, *.pkg.dev) with Application Default
// Credentials or gcloud, Amazon ECR (ACCOUNT.dkr.ecr.REGION.amazonaws.com
// and its China, FIPS, dual-stack and sovereign forms, public.ecr.aws)
// with the AWS SDK's default chain, and Azure (*.azurecr.io, .cn, .us)
// with the AZURE_* environment. They come after the Docker config and
// GITHUB_TOKEN, and no other host ever reaches them. Default on: off
// keeps a job from using the ambient identity of the machine it runs on
// (a node's instance role) when it should use only what it was given.
// With WithKeychain this option has no effect.
func WithCloudLogins(on bool) Option {
	return func(o *options) error { o.cloud = on; return nil }
}

// CloudLoginsOn reports whether cfg has the cloud logins on, the value
// WithCloudLogins takes: on unless cloudLogins is false (a Config built
// in Go without it has them on, as a loaded one does).
func CloudLoginsOn(cfg *retention.Config) bool { return cfg.CloudLogins == nil || *cfg.CloudLogins }

// clouds are the cloud logins of the default keychain.
func (o *options) clouds() []cloudLogin {
	if !o.cloud {
		return nil
	}
	return cloudLogins
}

// WithDeleteScope makes the client ask for tokens that may delete
// (push,pull,delete). Default: pull only, so a plan never holds more
// than read access, and token servers that refuse unknown actions for
// the whole token are not provoked.
func WithDeleteScope() Option {
	return func(o *options) error { o.deleteScope = true; return nil }
}

// WithUserAgent sets the User-Agent prefix (go-containerregistry appends
// its own). Default "regprune". ua must not be empty.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if ua == "" {
			return errors.New("WithUserAgent: empty user agent")
		}
		o.userAgent = ua
		return nil
	}
}

// maxWaitOf is the longest wait host may ask for: its registries
// entry's maxWait, else the client's (WithRetry, default rest.MaxWait).
func (o *options) maxWaitOf(host string) time.Duration {
	if d, ok := o.maxWaitHost[retention.CanonicalHost(host)]; ok {
		return d
	}
	return o.maxRetryAfter
}
