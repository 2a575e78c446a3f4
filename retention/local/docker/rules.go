package docker

import "github.com/regprune/regprune/retention"

// RulesFor returns the local.docker rules of r, or nil when there are
// none (no rules, or no local section, or none for the engine).
func RulesFor(r *retention.Rules) *retention.DockerRules {
	if r == nil || r.Local == nil {
		return nil
	}
	return r.Local.Docker
}
