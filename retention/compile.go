package retention

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/regprune/regprune/retention/apis"
	"github.com/regprune/regprune/retention/pattern"
)

// DefaultConcurrency is used when the configuration leaves it unset: eight
// requests in flight keep a registry busy without tripping rate limits.
const DefaultConcurrency = 8

// Rules is a validated, compiled configuration, ready to evaluate.
type Rules struct {
	MinAge   time.Duration
	Protect  pattern.List
	Policies []*CompiledPolicy
	// Local is the compiled local section; nil without one.
	Local *LocalRules
}

// CompiledPolicy is a Policy with its patterns parsed.
type CompiledPolicy struct {
	Name string
	// Repositories is empty only for layout policies, which then govern
	// every entry of their layout.
	Repositories pattern.List
	Exclude      pattern.List
	Tags         pattern.List // empty: every tag
	// keep are the keep rules, which only the core reads (Decide,
	// Rules.NeedsTime).
	keep []compiledRule
	// Clock is arrived or created for local.docker policies, created or
	// pushed for registry policies, else "".
	Clock string
	// untagged is the policy's untagged rule, nil without one; others
	// read it through Rules.UntaggedRule.
	untagged *compiledUntagged
}

// compiledUntagged is an untagged rule.
type compiledUntagged struct {
	OlderThan time.Duration
}

// compiledRule is a KeepRule with its selector parsed.
type compiledRule struct {
	// Label describes the rule in reasons: "keep[0] semver highest 3 by minor".
	Label       string
	Tags        pattern.List // empty: every governed tag
	Semver      *SemverRule
	Newest      int
	YoungerThan time.Duration
	// PulledWithin keeps tags pulled less than this long ago.
	PulledWithin time.Duration
}

// timeBased reports whether the rule ranks or filters by creation time.
func (r compiledRule) timeBased() bool { return r.Newest > 0 || r.YoungerThan > 0 }

// FieldError is a configuration error at one key.
type FieldError struct {
	Key string
	Msg string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

// Compile validates the configuration and returns its rules. Every
// problem found is returned, each naming its key.
func (c *Config) Compile() (*Rules, error) {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Concurrency < 0 {
		add("concurrency", "must not be negative (got %d)", c.Concurrency)
	}
	if c.VerifyWindow < 0 {
		add("verifyWindow", "must not be negative (got %s)", c.VerifyWindow)
	}
	if c.MaxDeletions < 0 {
		add("maxDeletions", "must not be negative (got %d)", c.MaxDeletions)
	}
	if c.MinAge < 0 {
		add("minAge", "must not be negative")
	}
	if c.StateRetention < 0 {
		add("stateRetention", "must not be negative (leave it out for the default, 30d)")
	}
	r := &Rules{MinAge: time.Duration(c.MinAge)}
	var err error
	if r.Protect, err = pattern.CompileList(c.Protect.Tags); err != nil {
		eachPattern(err, func(index, msg string) { add("protect.tags"+index, "%s", msg) })
	}
	checkRegistries(c.Registries, add)
	for i, k := range c.FailOn {
		if err := CheckFailOn(k); err != nil {
			add(fmt.Sprintf("failOn[%d]", i), "%v", err)
		}
	}
	var perrs []error
	r.Policies, perrs = compilePolicies("policies", c.Policies, scopeRemote)
	errs = append(errs, perrs...)
	if c.Local != nil {
		var lerrs []error
		r.Local, lerrs = compileLocal(c.Local, r)
		errs = append(errs, lerrs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// checkRegistries adds an error for each problem of the registries
// entries: a host missing, malformed or configured twice, credentials
// without their other half, an unknown api, and the settings' own
// (apis.CheckCommon, apis.CheckSettings: a wrong value, a key the api
// takes not), each at its key.
func checkRegistries(regs []Registry, add func(key, format string, args ...any)) {
	hosts := map[string]string{}
	for i, reg := range regs {
		key := fmt.Sprintf("registries[%d]", i)
		if reg.Host == "" {
			add(key+".host", "is required")
			continue
		}
		if _, err := name.NewRegistry(reg.Host, name.StrictValidation); err != nil || strings.ContainsAny(reg.Host, "/ ") {
			add(key+".host", "%q is not a registry host (want host or host:port, no scheme or path)", reg.Host)
		}
		if first, ok := hosts[CanonicalHost(reg.Host)]; ok {
			add(key+".host", "%q is configured twice (as %q: the same registry)", reg.Host, first)
		} else {
			hosts[CanonicalHost(reg.Host)] = reg.Host
		}
		if (reg.Username == "") != (reg.Password == "") {
			add(key, "username and password go together")
		}
		for _, p := range apis.CheckCommon(reg.Settings) {
			add(settingKey(key, p), "%s", p.Msg)
		}
		if reg.API != "" && !apis.Known(reg.API) {
			add(key+".api", "must be %s (got %q)", apis.Names(), reg.API)
		}
		for _, p := range apis.CheckSettings(reg.apiOf(), reg.Settings) {
			add(settingKey(key, p), "%s", p.Msg)
		}
	}
}

// settingKey is the key path of a problem of the registries entry at key.
func settingKey(key string, p apis.Problem) string {
	if p.Key == "" {
		return key
	}
	return key + "." + p.Key
}

// scope says where a policy stands, which decides how its repositories
// are written and whether it takes a clock.
type scope int

const (
	scopeRemote scope = iota // full names with a registry host
	scopeDocker              // names as the engine shows them
	scopeLayout              // repositories optional
)

func compilePolicies(key string, ps []Policy, sc scope) ([]*CompiledPolicy, []error) {
	var out []*CompiledPolicy
	var errs []error
	names := map[string]bool{}
	for i, p := range ps {
		pkey := fmt.Sprintf("%s[%d]", key, i)
		cp, perrs := compilePolicy(pkey, p, sc)
		errs = append(errs, perrs...)
		if p.Name != "" {
			if names[p.Name] {
				errs = append(errs, &FieldError{Key: pkey + ".name", Msg: fmt.Sprintf("%q is used by another policy", p.Name)})
			}
			names[p.Name] = true
		}
		if cp != nil {
			out = append(out, cp)
		}
	}
	return out, errs
}

// fieldErrors collects the problems of one configuration section.
type fieldErrors []error

func (e *fieldErrors) add(key, format string, args ...any) {
	*e = append(*e, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

func compilePolicy(key string, p Policy, sc scope) (*CompiledPolicy, []error) {
	var errs fieldErrors
	cp := &CompiledPolicy{Name: p.Name}
	if cp.Name == "" {
		cp.Name = key
	}
	cp.Clock = compileClock(key, p.Clock, sc, &errs)
	compileRepo := compileRepoPattern
	if sc != scopeRemote {
		compileRepo = compileLocalRepoPattern
	}
	if len(p.Repositories) == 0 && sc != scopeLayout {
		errs.add(key+".repositories", "a policy needs at least one repository")
	}
	cp.Repositories = compileRepos(key+".repositories", p.Repositories, compileRepo, &errs)
	cp.Exclude = compileRepos(key+".exclude", p.Exclude, compileRepo, &errs)
	var err error
	if cp.Tags, err = pattern.CompileList(p.Tags); err != nil {
		eachPattern(err, func(index, msg string) { errs.add(key+".tags"+index, "%s", msg) })
	}
	cp.untagged = compileUntagged(key+".untagged", p.Untagged, sc, &errs)
	if len(p.Keep) == 0 && p.Untagged == nil {
		// A policy without keep rules deletes every tag it governs. That is
		// too easy to write by accident to accept silently. One with an
		// untagged rule and no keep rules governs no tags at all.
		errs.add(key+".keep", "a policy needs at least one keep rule (a policy that keeps nothing would delete every tag it governs; write `keep: [{tags: [\"no-such-tag\"]}]` if that is really meant)")
	}
	for j, k := range p.Keep {
		cp.keep = append(cp.keep, compileRule(fmt.Sprintf("%s.keep[%d]", key, j), j, k, &errs))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return cp, nil
}

// compileUntagged checks a policy's untagged rule: registry policies
// only, a duration that is not negative.
func compileUntagged(key string, u *UntaggedRule, sc scope, errs *fieldErrors) *compiledUntagged {
	switch {
	case u == nil:
		return nil
	case sc != scopeRemote:
		errs.add(key, "only registry policies take an untagged rule (a local cache's untagged images are pruned by the cache's own settings)")
		return nil
	case u.OlderThan < 0:
		errs.add(key+".olderThan", "must not be negative")
		return nil
	}
	return &compiledUntagged{OlderThan: time.Duration(u.OlderThan)}
}

// compileClock checks a policy's clock: created (default) or pushed on
// registries, arrived (default) or created in local.docker, none in
// layouts.
func compileClock(key, clock string, sc scope, errs *fieldErrors) string {
	switch {
	case sc == scopeRemote:
		switch clock {
		case "", clockCreated:
			return ""
		case ClockPushed:
			return ClockPushed
		default:
			errs.add(key+".clock", "must be created or pushed (got %q)", clock)
		}
	case sc == scopeDocker:
		switch clock {
		case "", clockArrived:
			return clockArrived
		case clockCreated:
			return clockCreated
		default:
			errs.add(key+".clock", "must be arrived or created (got %q)", clock)
		}
	case clock != "":
		errs.add(key+".clock", "layout policies take no clock (they rank by creation time)")
	}
	return ""
}

// compileRepos compiles the repository patterns of one list (key is its
// configuration key).
func compileRepos(key string, repos []string, compile func(string) (pattern.Pattern, error), errs *fieldErrors) []pattern.Pattern {
	var out []pattern.Pattern
	for j, repo := range repos {
		pat, err := compile(repo)
		if err != nil {
			errs.add(fmt.Sprintf("%s[%d]", key, j), "%v", err)
			continue
		}
		out = append(out, pat)
	}
	return out
}

// compileRule checks one keep rule (at key, the j-th of its policy) and
// labels it for the reasons it gives.
func compileRule(rk string, j int, k KeepRule, errs *fieldErrors) compiledRule {
	rule := compiledRule{Semver: k.Semver, Newest: k.Newest, YoungerThan: time.Duration(k.YoungerThan), PulledWithin: time.Duration(k.PulledWithin)}
	var err error
	if rule.Tags, err = pattern.CompileList(k.Tags); err != nil {
		eachPattern(err, func(index, msg string) { errs.add(rk+".tags"+index, "%s", msg) })
	}
	kinds := 0
	var label string
	if k.Semver != nil {
		kinds++
		s := k.Semver
		switch s.GroupBy {
		case "", "none", "major", "minor":
		default:
			errs.add(rk+".semver.groupBy", "must be none, major or minor (got %q)", s.GroupBy)
		}
		if s.Highest < 1 {
			errs.add(rk+".semver.highest", "must be at least 1 (got %d)", s.Highest)
		}
		label = fmt.Sprintf("semver highest %d", s.Highest)
		if s.GroupBy == "major" || s.GroupBy == "minor" {
			label += " per " + s.GroupBy
		}
	}
	if k.Newest < 0 {
		errs.add(rk+".newest", "must not be negative (got %d)", k.Newest)
	}
	if k.Newest > 0 {
		kinds++
		label = fmt.Sprintf("newest %d", k.Newest)
	}
	if k.YoungerThan < 0 {
		errs.add(rk+".youngerThan", "must not be negative")
	}
	if k.YoungerThan > 0 {
		kinds++
		label = "youngerThan " + k.YoungerThan.String()
	}
	if k.PulledWithin < 0 {
		errs.add(rk+".pulledWithin", "must not be negative")
	}
	if k.PulledWithin > 0 {
		kinds++
		label = "pulledWithin " + k.PulledWithin.String()
	}
	if kinds > 1 {
		errs.add(rk, "a rule takes one of semver, newest, youngerThan and pulledWithin; write two rules to keep what either keeps")
	}
	if kinds == 0 && len(k.Tags) == 0 {
		errs.add(rk, "an empty rule would keep every tag; give it tags, semver, newest, youngerThan or pulledWithin")
	}
	if kinds == 0 {
		label = "tags " + strings.Join(k.Tags, ", ")
	} else if len(k.Tags) > 0 {
		label += " of tags " + strings.Join(k.Tags, ", ")
	}
	rule.Label = fmt.Sprintf("keep[%d] (%s)", j, label)
	return rule
}

// compileRepoPattern checks that a repository pattern names a literal
// registry host and a valid repository path or glob.
func compileRepoPattern(s string) (pattern.Pattern, error) {
	host, path, ok := strings.Cut(s, "/")
	if !ok || path == "" {
		return pattern.Pattern{}, fmt.Errorf("%q must be a full name with the registry host, such as localhost:5000/team/app", s)
	}
	if strings.ContainsAny(host, "*?[]{}") {
		return pattern.Pattern{}, fmt.Errorf("%q: the registry host cannot be a glob", s)
	}
	if _, err := name.NewRegistry(host, name.StrictValidation); err != nil || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return pattern.Pattern{}, fmt.Errorf("%q must start with a registry host (host or host:port), such as localhost:5000/team/app", s)
	}
	p, err := pattern.Compile(s)
	if err != nil {
		return pattern.Pattern{}, err
	}
	p = p.WithCanonical(CanonicalName(s))
	if p.IsLiteral() {
		if _, err := name.NewRepository(s, name.StrictValidation); err != nil {
			return pattern.Pattern{}, fmt.Errorf("%q is not a valid repository name: %v", s, err)
		}
	}
	return p, nil
}

// compileLocalRepoPattern checks a repository pattern of a local cache:
// a glob or name as the engine or a layout's ref names show it, with or
// without a registry host.
func compileLocalRepoPattern(s string) (pattern.Pattern, error) {
	if strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/") && len(s) >= 2 {
		return pattern.Pattern{}, fmt.Errorf("%q: repositories are globs, not regular expressions", s)
	}
	return pattern.Compile(s)
}

// eachPattern calls add with the index ("[2]") and the message of each
// bad pattern of a compilePatterns error.
func eachPattern(err error, add func(index, msg string)) {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	for _, e := range list {
		var pe *pattern.IndexError
		if errors.As(e, &pe) {
			add(fmt.Sprintf("[%d]", pe.Index), pe.Err.Error())
			continue
		}
		add("", e.Error())
	}
}

// Host returns the registry host of a repository pattern or name.
func Host(repo string) string {
	h, _, _ := strings.Cut(repo, "/")
	return h
}

// PoliciesFor returns the policies that govern a repository known by
// the given names (a local image's repository has two: as the engine shows
// it and normalized), in config order.
func (r *Rules) PoliciesFor(names ...string) []*CompiledPolicy {
	var out []*CompiledPolicy
	for _, p := range r.Policies {
		if p.Governs(names...) {
			out = append(out, p)
		}
	}
	return out
}

// Governs reports whether the policy names the repository (by any of its
// names) and excludes none of them. A policy without repositories (a
// layout's) governs everything.
func (p *CompiledPolicy) Governs(names ...string) bool {
	named := len(p.Repositories) == 0
	for _, n := range names {
		if _, ok := p.Repositories.MatchRepository(n, CanonicalName); ok {
			named = true
		}
		if _, excluded := p.Exclude.MatchRepository(n, CanonicalName); excluded {
			return false
		}
	}
	return named
}

// NeedsTime reports whether deciding repo needs creation times: when a
// policy that governs it by creation time (not clock: pushed) has a
// time-based rule, or minAge is set and such a policy governs it. When it
// does not, the lister fetches no config blobs.
func (r *Rules) NeedsTime(names ...string) bool {
	for _, p := range r.PoliciesFor(names...) {
		if p.Clock == ClockPushed || len(p.keep) == 0 {
			continue // ranks by push time, or governs no tags
		}
		if r.MinAge > 0 {
			return true
		}
		for _, k := range p.keep {
			if k.timeBased() {
				return true
			}
		}
	}
	return false
}

// UntaggedRule returns the untagged rule for a repository known by names:
// the longest olderThan among the policies that govern it and have one
// (every such rule must agree that a manifest may go), and false when no
// policy has one.
func (r *Rules) UntaggedRule(names ...string) (time.Duration, bool) {
	var older time.Duration
	found := false
	for _, p := range r.PoliciesFor(names...) {
		if p.untagged == nil {
			continue
		}
		if !found || p.untagged.OlderThan > older {
			older = p.untagged.OlderThan
		}
		found = true
	}
	return older, found
}

// Forbidden says why the rules forbid deleting tag at now, or "": a
// protected tag, or one younger than minAge (or of unknown creation time
// while minAge is set). Executors check it again at execution time, also
// for saved plans made under other rules.
func (r *Rules) Forbidden(tag string, created *time.Time, now time.Time) string {
	if p, ok := r.Protect.Match(tag); ok {
		return fmt.Sprintf("tag %s is protected by protect.tags %q", tag, p.String())
	}
	if r.MinAge <= 0 {
		return ""
	}
	if created == nil {
		return fmt.Sprintf("tag %s: creation time unknown, so minAge %s cannot be checked", tag, Duration(r.MinAge))
	}
	if now.Sub(*created) < r.MinAge {
		return fmt.Sprintf("tag %s is younger than minAge %s", tag, Duration(r.MinAge))
	}
	return ""
}

// ForbiddenUntagged says why the rules forbid deleting an untagged
// manifest of repo pushed at pushed, at now, or "": no untagged rule
// governs repo, or the manifest is younger than it or than minAge, or
// its push time is unknown. Executors check it at execution time.
func (r *Rules) ForbiddenUntagged(repo string, pushed *time.Time, now time.Time) string {
	older, ok := r.UntaggedRule(repo)
	switch {
	case !ok:
		return "no untagged rule of the configuration in force governs this repository"
	case pushed == nil:
		return "its push time is unknown"
	case now.Sub(*pushed) < older:
		return fmt.Sprintf("pushed %s, younger than untagged.olderThan %s", Ago(now, *pushed), Duration(older))
	case now.Sub(*pushed) < r.MinAge:
		return fmt.Sprintf("pushed %s, younger than minAge %s", Ago(now, *pushed), Duration(r.MinAge))
	}
	return ""
}
