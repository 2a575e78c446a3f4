package retention

import "github.com/regprune/regprune/retention/apis"

// Config is regprune's configuration as decoded from the file, the
// environment and the flags. It holds plain values only; Compile turns it
// into Rules that the planner evaluates.
//
// The field names are the configuration keys (a contract: users and other
// tools write these files), so they never change without a new key.
type Config struct {
	// Concurrency bounds parallel registry requests. Default 8.
	Concurrency int `mapstructure:"concurrency" json:"concurrency" yaml:"concurrency"`
	// MaxDeletions aborts an apply before the first deletion when more
	// tagged manifests would be deleted by digest. 0 means no limit.
	MaxDeletions int `mapstructure:"maxDeletions" json:"maxDeletions" yaml:"maxDeletions"`
	// MinAge: nothing created less than this long ago is deleted, and
	// nothing whose creation time is unknown either. 0 disables it.
	MinAge Duration `mapstructure:"minAge" json:"minAge" yaml:"minAge"`
	// Protect names tags that are never deleted in any repository.
	Protect Protect `mapstructure:"protect" json:"protect" yaml:"protect"`
	// Registries holds per-host connection settings, matched by host.
	Registries []Registry `mapstructure:"registries" json:"registries,omitempty" yaml:"registries,omitempty"`
	// CloudLogins, when false, turns off the built-in cloud logins
	// (Google, Amazon ECR, Azure ACR, each used for its own hosts only),
	// leaving the Docker config and GITHUB_TOKEN. Default (nil) on.
	CloudLogins *bool `mapstructure:"cloudLogins" json:"cloudLogins,omitempty" yaml:"cloudLogins,omitempty"`
	// StateDir is the state directory (the journal of deletions in
	// progress); --state-dir and REGPRUNE_STATE_DIR override it. Default:
	// regprune/state under the user cache directory.
	StateDir string `mapstructure:"stateDir" json:"stateDir,omitempty" yaml:"stateDir,omitempty"`
	// CacheExpiry drops a manifest cached in the state directory that no
	// run has seen for this long. Default 30d.
	CacheExpiry Duration `mapstructure:"cacheExpiry" json:"cacheExpiry,omitempty" yaml:"cacheExpiry,omitempty"`
	// VerifyWindow is the most time between the start of a resolution of
	// every tag of a repository and a deletion there that relies on it;
	// apply resolves again (a round) when its last resolution is older.
	// Default 10s.
	VerifyWindow Duration `mapstructure:"verifyWindow" json:"verifyWindow,omitempty" yaml:"verifyWindow,omitempty"`
	// StateRetention drops a run recorded in the state directory (what
	// restore puts back) once its last deletion is this old. Default 30d:
	// GHCR's restore window, past which a deleted package version is
	// gone there anyway.
	StateRetention Duration `mapstructure:"stateRetention" json:"stateRetention,omitempty" yaml:"stateRetention,omitempty"`
	// FailOn names the kinds of warnings that fail a run (exit 1) instead
	// of only being reported: unmatched (a policy whose repositories, tags
	// or a keep rule's tags match nothing). --fail-on adds to it.
	FailOn []string `mapstructure:"failOn" json:"failOn,omitempty" yaml:"failOn,omitempty"`
	// Policies are the retention rules.
	Policies []Policy `mapstructure:"policies" json:"policies" yaml:"policies"`
	// Local configures the pruning of local caches.
	Local *Local `mapstructure:"local" json:"local,omitempty" yaml:"local,omitempty"`
}

// Protect lists what no policy may delete.
type Protect struct {
	// Tags are globs or /regex/ patterns, matched against the tag name.
	Tags []string `mapstructure:"tags" json:"tags,omitempty" yaml:"tags,omitempty"`
}

// Registry holds connection settings for one registry host.
type Registry struct {
	Host     string `mapstructure:"host" json:"host" yaml:"host"`
	Insecure bool   `mapstructure:"insecure" json:"insecure,omitempty" yaml:"insecure,omitempty"`
	Username string `mapstructure:"username" json:"username,omitempty" yaml:"username,omitempty"`
	// Password never appears in logs, reports or errors: its String and
	// JSON forms are redacted. For api: github it is the token of both
	// the OCI side and the REST side (else GITHUB_TOKEN, for ghcr.io).
	Password Secret `mapstructure:"password" json:"password,omitempty" yaml:"password,omitempty"`
	// API says how the registry is listed and how deletions are made:
	// oci (the OCI distribution API), github (the GitHub Packages API)
	// or dockerhub (the Docker Hub API). Default: github for ghcr.io,
	// dockerhub for docker.io (and index.docker.io, registry-1.docker.io),
	// oci for any other host. Manifests are read over the OCI API
	// whatever it says.
	API string `mapstructure:"api" json:"api,omitempty" yaml:"api,omitempty"`
	// Settings holds the entry's other keys: those of its api's provider
	// (apiURL for api: github and dockerhub, pacing for github) and those
	// every api takes (maxWait), as the configuration decoded them: keys
	// in any case (viper lowercases them), which the providers match
	// without regard to case (registry.DecodeSettings). Their types,
	// defaults, checks and documentation are their providers'
	// (retention/registry's Common, each provider's Settings), which
	// register them in retention/apis: Compile has each key checked by
	// an API that takes it, and the provider decodes them.
	Settings map[string]any `mapstructure:",remain" json:"-" yaml:"-"`
}

// apiOf is the registry's api: its key, else its host's default.
func (r Registry) apiOf() string {
	if r.API != "" {
		return r.API
	}
	if api, ok := apis.Default(CanonicalHost(r.Host)); ok {
		return api
	}
	return apis.OCI
}

// APIFor returns the API of a registry host under the configuration:
// its registries entry's api, else the host's default.
func (c *Config) APIFor(host string) string {
	for _, r := range c.Registries {
		if CanonicalHost(r.Host) == CanonicalHost(host) && r.API != "" {
			return r.API
		}
	}
	if api, ok := apis.Default(CanonicalHost(host)); ok {
		return api
	}
	return apis.OCI
}

// Policy governs the tags of the repositories it names.
type Policy struct {
	Name string `mapstructure:"name" json:"name" yaml:"name"`
	// Repositories are full names with the registry host: exact names or
	// globs (* within a path segment, ** across segments).
	Repositories []string `mapstructure:"repositories" json:"repositories" yaml:"repositories"`
	// Exclude removes repositories (exact names or globs) from the policy.
	Exclude []string `mapstructure:"exclude" json:"exclude,omitempty" yaml:"exclude,omitempty"`
	// Tags selects the tags this policy governs (globs or /regex/).
	// Empty means every tag.
	Tags []string `mapstructure:"tags" json:"tags,omitempty" yaml:"tags,omitempty"`
	// Keep rules: a governed tag is kept if any rule keeps it.
	Keep []KeepRule `mapstructure:"keep" json:"keep" yaml:"keep"`
	// Clock says which time ranks a tag. On registries: created (default:
	// the image's creation time, read from its config) or pushed (the
	// registry's push time, which GHCR and Docker Hub list; it needs no
	// manifest or config reads). In local.docker policies: arrived
	// (default: when the engine last tagged it, else created) or created.
	Clock string `mapstructure:"clock" json:"clock,omitempty" yaml:"clock,omitempty"`
	// Untagged deletes the repository's untagged manifests older than
	// OlderThan by push time that nothing which stays references, where
	// the registry can list them (GHCR). A policy may have untagged and no
	// keep rules: it then governs no tags.
	Untagged *UntaggedRule `mapstructure:"untagged" json:"untagged,omitempty" yaml:"untagged,omitempty"`
}

// UntaggedRule deletes untagged manifests by age.
type UntaggedRule struct {
	// OlderThan is the least time since the push; 0s deletes every
	// untagged manifest nothing references.
	OlderThan Duration `mapstructure:"olderThan" json:"olderThan" yaml:"olderThan"`
}

// KeepRule keeps some of the governed tags. Tags narrows the rule to a
// selection; at most one of Semver, Newest and YoungerThan ranks it. A
// rule with a selector and no ranking keeps everything it selects.
type KeepRule struct {
	Tags        []string    `mapstructure:"tags" json:"tags,omitempty" yaml:"tags,omitempty"`
	Semver      *SemverRule `mapstructure:"semver" json:"semver,omitempty" yaml:"semver,omitempty"`
	Newest      int         `mapstructure:"newest" json:"newest,omitempty" yaml:"newest,omitempty"`
	YoungerThan Duration    `mapstructure:"youngerThan" json:"youngerThan,omitempty" yaml:"youngerThan,omitempty"`
	// PulledWithin keeps tags pulled less than this long ago, where the
	// registry reports pull times (Docker Hub's tag_last_pulled). A tag
	// never pulled does not match; on a registry that reports no pull
	// times the rule keeps every tag it selects (unknown is not old).
	PulledWithin Duration `mapstructure:"pulledWithin" json:"pulledWithin,omitempty" yaml:"pulledWithin,omitempty"`
}

// SemverRule keeps the highest semantic versions of the selection.
type SemverRule struct {
	// Highest is how many versions to keep in each group.
	Highest int `mapstructure:"highest" json:"highest" yaml:"highest"`
	// GroupBy is none (default), major or minor.
	GroupBy string `mapstructure:"groupBy" json:"groupBy,omitempty" yaml:"groupBy,omitempty"`
	// Prerelease includes prereleases in the ranking. Default false:
	// prereleases are left out before ranking and not kept by the rule.
	Prerelease bool `mapstructure:"prerelease" json:"prerelease,omitempty" yaml:"prerelease,omitempty"`
}

// Secret is a string that never prints.
type Secret string

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "REDACTED"
}

// GoString redacts the secret under %#v too.
func (s Secret) GoString() string { return s.String() }

// MarshalText redacts the secret in JSON and YAML.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret's value, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }
