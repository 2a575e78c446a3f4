// Package retention is regprune's core: the configuration's types and
// their validation, the policy language (patterns, keep rules, protect,
// minAge), ranking by semantic version and creation time, the pure
// decision over one repository's listing, and the plan with its books
// (mode, summary, clone, skipping what is pending). It does no I/O: no
// network, no viper, no net/http (internal/lint's dependency check
// guards it).
//
// The data flows one way:
//
//	config file ─config (viper)─> Config ─Compile─> Rules
//	  -> job:      a run: the registries, then the local caches
//	  -> planner:  expand patterns, list each repository through the
//	               registry.Router and its providers (oci, github,
//	               dockerhub) into a Listing
//	  -> Decide:   pure policy evaluation -> RepoPlan: a TagDecision with
//	               its reasons per tag, and Deletions in a safe order
//	  -> Plan:     what a dry run prints and a saved plan file holds
//	  -> execute:  per repository a fresh plan under the rules in force,
//	               then the gate before every request (the rules, the
//	               manifest itself, a resolution within verifyWindow),
//	               deletions in order -> the Plan as a report (statuses);
//	               state keeps the cache, the journal and what restore reads
//	  -> report:   text | json | markdown; the CLI maps it to an exit code
//
// Local caches (local/docker, local/layout) produce the same Listing and
// RepoPlan records and reuse Decide, the plan and the reports.
//
// Files: config.go (what the user writes), compile.go (validating it
// into Rules; the pattern language is retention/pattern), decide.go,
// evaluate.go and rank.go (each tag's decision: the overrides, each
// policy's keep rules, the rankings), deletions.go (the deletion plan,
// which alone changes it) with untagged.go (pure helpers for untagged
// manifests), listing.go and attachment.go (what a registry tells the
// decision, and how attachments follow their subject; media types,
// creation times and the cosign tag scheme are retention/manifest's),
// plan.go, summary.go and clone.go (the plan and its books: counts,
// copies; retention/report writes its JSON form and reads it back),
// errors.go (the sentinels the planner and the executor read in a
// provider's errors), local.go and localrules.go (local caches'
// configuration and rules), host.go (registry host spellings),
// duration.go and bytesize.go (units; the registry APIs the
// configuration accepts, and the settings each takes, are
// retention/apis'), unmatched.go (policies that match nothing).
package retention
