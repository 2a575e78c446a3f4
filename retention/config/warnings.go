package config

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/apis"
)

// HostWarnings names pairs of registry hosts in c that may be one
// registry although no rule of retention.CanonicalHost makes them one:
// two names on the same explicit port (one may resolve to the other), or
// two names whose first labels agree (registry and registry.corp). Such
// pairs are two registries to regprune, so keep-wins does not cross
// them; the user should write one spelling.
func HostWarnings(c *retention.Config) []string {
	var hosts []string
	seen := map[string]bool{}
	add := func(h string) {
		if h = retention.CanonicalHost(h); h != "" && !seen[h] {
			seen[h] = true
			hosts = append(hosts, h)
		}
	}
	for _, r := range c.Registries {
		add(r.Host)
	}
	for _, p := range c.Policies {
		for _, r := range append(append([]string{}, p.Repositories...), p.Exclude...) {
			add(retention.Host(r))
		}
	}
	var out []string
	for i, a := range hosts {
		for _, b := range hosts[i+1:] {
			if mayBeOne(a, b) {
				out = append(out, fmt.Sprintf("registry hosts %q and %q may be one registry; they are treated as two, so a keep policy on one does not protect tags from a delete policy on the other: write one spelling", a, b))
			}
		}
	}
	return out
}

// mayBeOne reports whether two canonical hosts may name one registry.
func mayBeOne(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil {
		ha, pa = a, ""
	}
	if errB != nil {
		hb, pb = b, ""
	}
	if pa != "" && pa == pb {
		return true
	}
	la, _, _ := strings.Cut(ha, ".")
	lb, _, _ := strings.Cut(hb, ".")
	return pa == pb && la == lb && net.ParseIP(ha) == nil && net.ParseIP(hb) == nil
}

// ProviderWarnings names policies whose keys do nothing on the
// registries they govern: clock: pushed and untagged need push times and
// untagged manifests, which only the github API lists (on a plain OCI
// registry every push time is unknown, so a policy ranking by it keeps
// everything it ranks, and untagged deletes nothing).
func ProviderWarnings(c *retention.Config) []string {
	var out []string
	for i, p := range c.Policies {
		var hosts []string
		for _, r := range p.Repositories {
			h := retention.Host(r)
			if c.APIFor(h) == apis.OCI && !slices.Contains(hosts, h) {
				hosts = append(hosts, h)
			}
		}
		if len(hosts) == 0 {
			continue
		}
		if p.Clock == retention.ClockPushed {
			out = append(out, fmt.Sprintf("policies[%d].clock: pushed: %s gives no push times over the OCI API, so every tag this policy ranks there is kept", i, strings.Join(hosts, ", ")))
		}
		if p.Untagged != nil {
			out = append(out, fmt.Sprintf("policies[%d].untagged: %s cannot list untagged manifests over the OCI API, so nothing untagged is deleted there", i, strings.Join(hosts, ", ")))
		}
	}
	for i, p := range c.Policies {
		var hosts []string
		for _, r := range p.Repositories {
			if h := retention.Host(r); c.APIFor(h) != apis.DockerHub && !slices.Contains(hosts, h) {
				hosts = append(hosts, h)
			}
		}
		for j, k := range p.Keep {
			if k.PulledWithin > 0 && len(hosts) > 0 {
				out = append(out, fmt.Sprintf("policies[%d].keep[%d].pulledWithin: %s reports no pull times, so the rule keeps every tag it selects there", i, j, strings.Join(hosts, ", ")))
			}
		}
	}
	return out
}
