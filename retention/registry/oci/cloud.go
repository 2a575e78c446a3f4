package oci

import (
	"context"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/awslabs/amazon-ecr-credential-helper/ecr-login"
	"github.com/chrismellard/docker-credential-acr-env/pkg/credhelper"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/authn/github"
	"github.com/google/go-containerregistry/pkg/v1/google"

	"github.com/regprune/regprune/internal/logbridge"
)

// cloudLogin is one cloud's own credential source and the registry hosts
// it serves. open builds the keychain; it contacts nothing.
type cloudLogin struct {
	name  string
	match func(host string) bool
	open  func(log *slog.Logger) authn.Keychain
}

// cloudLogins are the logins built in, as ko has them: each is asked only
// for its own hosts (hostKeychain), so that a registry of another cloud,
// or a self-hosted one, never makes a helper look for credentials or a
// metadata server.
var cloudLogins = []cloudLogin{
	// Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS,
	// the metadata server, so GKE Workload Identity), else gcloud.
	{name: "google", match: isGoogleHost, open: func(*slog.Logger) authn.Keychain { return google.Keychain }},
	// The AWS SDK's default chain (AWS_* variables, IRSA's web identity
	// token, ~/.aws, the instance role), caching tokens in ~/.ecr.
	{name: "ecr", match: isECRHost, open: openECR},
	// AZURE_* variables: a client secret, a federated token (Azure
	// workload identity), else the managed identity.
	{name: "acr", match: isACRHost, open: openACR},
}

// keychainOf is the default keychain: the Docker config (explicit logins
// and the credential helpers it names) first, then GITHUB_TOKEN for
// ghcr.io, then each cloud login for its own hosts.
func keychainOf(clouds []cloudLogin, log *slog.Logger) authn.Keychain {
	kcs := []authn.Keychain{authn.DefaultKeychain, github.Keychain}
	for _, c := range clouds {
		kcs = append(kcs, hostKeychain{match: c.match, kc: newCachedKeychain(c.open(log), cloudLoginTTL, time.Now)})
	}
	return authn.NewMultiKeychain(kcs...)
}

// cloudLoginTTL is how long a cloud login's answer for a host is used
// before the helper is asked again: well under the shortest lifetime of
// the tokens it hands out (an ACR refresh token lasts about 3 h, an ECR
// token 12 h; Google's authenticator renews its own token).
const cloudLoginTTL = 10 * time.Minute

// hostKeychain consults kc only for the hosts match accepts; any other
// host is anonymous to it without kc being called.
type hostKeychain struct {
	match func(host string) bool
	kc    authn.Keychain
}

// cachedKeychain asks kc once per registry host and reuses the answer
// for ttl. The client resolves credentials once per repository; without
// it a run over 500 ECR repositories would call GetAuthorizationToken
// 500 times, and the ACR helper would exchange an Azure AD token twice
// per repository. Concurrent callers for one host wait for the first;
// an error is not kept, so the next caller asks again.
type cachedKeychain struct {
	kc  authn.Keychain
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	hosts map[string]*cachedAuth
}

type cachedAuth struct {
	mu   sync.Mutex
	auth authn.Authenticator
	at   time.Time
}

func newCachedKeychain(kc authn.Keychain, ttl time.Duration, now func() time.Time) *cachedKeychain {
	return &cachedKeychain{kc: kc, ttl: ttl, now: now, hosts: map[string]*cachedAuth{}}
}

var _ authn.ContextKeychain = (*cachedKeychain)(nil)

func (c *cachedKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return c.ResolveContext(context.Background(), target)
}

func (c *cachedKeychain) ResolveContext(ctx context.Context, target authn.Resource) (authn.Authenticator, error) {
	host := strings.ToLower(target.RegistryStr())
	c.mu.Lock()
	e, ok := c.hosts[host]
	if !ok {
		e = &cachedAuth{}
		c.hosts[host] = e
	}
	c.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.auth != nil && c.now().Sub(e.at) < c.ttl {
		return e.auth, nil
	}
	a, err := authn.Resolve(ctx, c.kc, target)
	if err != nil {
		e.auth = nil
		return nil, err
	}
	e.auth, e.at = a, c.now()
	return a, nil
}

var _ authn.ContextKeychain = hostKeychain{}

func (h hostKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return h.ResolveContext(context.Background(), target)
}

func (h hostKeychain) ResolveContext(ctx context.Context, target authn.Resource) (authn.Authenticator, error) {
	if !h.match(target.RegistryStr()) {
		return authn.Anonymous, nil
	}
	return authn.Resolve(ctx, h.kc, target)
}

// hostname is host without its port, in lower case.
func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(host)
}

// hasSubdomain reports whether h is a name under domain (not domain
// itself): "eu.gcr.io" is under "gcr.io", "evilgcr.io" is not.
func hasSubdomain(h, domain string) bool {
	return len(h) > len(domain)+1 && strings.HasSuffix(h, "."+domain)
}

// isGoogleHost: Container Registry (gcr.io and its regional hosts such
// as eu.gcr.io) and Artifact Registry (LOCATION-docker.pkg.dev; pkg.dev
// is Google's).
func isGoogleHost(host string) bool {
	h := hostname(host)
	return h == "gcr.io" || hasSubdomain(h, "gcr.io") || hasSubdomain(h, "pkg.dev")
}

// ecrHost matches a private ECR registry, ACCOUNT.dkr.ecr.REGION.DOMAIN,
// with the FIPS (dkr.ecr-fips) and dual-stack (dkr-ecr, on.aws) forms, in
// the commercial, China, European sovereign and isolated partitions.
var ecrHost = regexp.MustCompile(`^[0-9]{12}\.dkr[.-]ecr(-fips)?\.[a-z0-9][a-z0-9-]*\.` +
	`(amazonaws\.com|amazonaws\.com\.cn|amazonaws\.eu|on\.aws|on\.amazonwebservices\.com\.cn|` +
	`c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$`)

// isECRHost: a private ECR registry, or ECR Public (public.ecr.aws).
func isECRHost(host string) bool {
	h := hostname(host)
	return h == "public.ecr.aws" || ecrHost.MatchString(h)
}

// isACRHost: an Azure Container Registry, NAME.azurecr.io, or in the
// sovereign clouds NAME.azurecr.cn (China) and NAME.azurecr.us (US
// Government). The helper's own check is a pattern without anchors
// (x.azurecr.io.example.com would pass it); this one is not.
func isACRHost(host string) bool {
	h := hostname(host)
	return hasSubdomain(h, "azurecr.io") || hasSubdomain(h, "azurecr.cn") || hasSubdomain(h, "azurecr.us")
}

// openECR builds the ECR keychain. The helper logs why it found no
// credentials (it then answers "not found" and the registry is tried
// anonymously); those lines become warnings of the client's logger.
func openECR(log *slog.Logger) authn.Keychain {
	w := logbridge.Writer(log, slog.LevelWarn, "credential helper", "helper", "ecr-login")
	return authn.NewKeychainFromHelper(ecr.NewECRHelper(ecr.WithLogger(w)))
}

// openACR builds the ACR keychain, logging the helper's errors, which
// go-containerregistry's helper keychain drops on its way to anonymous.
func openACR(log *slog.Logger) authn.Keychain {
	return authn.NewKeychainFromHelper(loggedHelper{name: "acr-env", h: credhelper.NewACRCredentialsHelper(), log: log})
}

// loggedHelper logs, as a warning, why a credential helper has no
// credentials for a host it was asked about.
type loggedHelper struct {
	name string
	h    authn.Helper
	log  *slog.Logger
}

func (l loggedHelper) Get(serverURL string) (string, string, error) {
	user, secret, err := l.h.Get(serverURL)
	if err != nil {
		l.log.Warn("credential helper found no credentials; the registry is tried anonymously", "helper", l.name, "registry", serverURL, "reason", err.Error())
	}
	return user, secret, err
}
