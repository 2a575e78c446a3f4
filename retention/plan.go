package retention

import "time"

// SchemaVersion is the version of the JSON plan and report documents.
// A reader refuses any other version.
const SchemaVersion = 1

// Action is what happens to a tag.
type Action string

const (
	Keep   Action = "keep"
	Delete Action = "delete"
)

// Kind says what a deletion removes.
type Kind string

const (
	// KindImage deletes an image manifest by digest, with all its tags.
	KindImage Kind = "image"
	// KindIndex deletes an image index by digest, with all its tags.
	KindIndex Kind = "index"
	// KindChild deletes a child manifest of a deleted index.
	KindChild Kind = "child"
	// KindReferrer deletes a signature, attestation or SBOM whose subject goes.
	KindReferrer Kind = "referrer"
	// KindTag deletes tags alone; the manifest stays for its other tags.
	KindTag Kind = "tag"
	// KindUntagged deletes a manifest no tag points at, older than a
	// policy's untagged.olderThan, that nothing which stays references.
	KindUntagged Kind = "untagged"
)

// Status is the outcome of one deletion in an apply report.
type Status string

const (
	StatusDeleted Status = "deleted"
	StatusSkipped Status = "skipped"
	StatusFailed  Status = "failed"
	// StatusUntagged: a local image's references were removed, but the
	// image itself was kept (the engine refused to remove it, or it
	// gained a reference right before): part of the deletion happened.
	StatusUntagged Status = "untagged"
)

// Mode says what a plan document is: a plan, or an apply's report.
type Mode string

const (
	// ModePlan: what a run would do.
	ModePlan Mode = "plan"
	// ModeApply: what a run did (with DryRun, what it would have done
	// once re-read right before deleting).
	ModeApply Mode = "apply"
)

// Plan is what a run would do (mode "plan") or did (mode "apply"). Its
// JSON form is a contract: a saved plan is executed later by apply.
type Plan struct {
	SchemaVersion int  `json:"schemaVersion"`
	Mode          Mode `json:"mode"`
	// RunID names an apply whose deleted manifests were recorded in the
	// state directory: `regprune restore --run RUNID` puts them back.
	RunID        string     `json:"runId,omitempty"`
	DryRun       bool       `json:"dryRun,omitempty"`
	GeneratedAt  time.Time  `json:"generatedAt"`
	Repositories []RepoPlan `json:"repositories"`
	Summary      Summary    `json:"summary"`
	Aborted      string     `json:"aborted,omitempty"`
	// Local holds the plans of local caches, when the configuration has
	// a local section and the scope includes it.
	Local []CachePlan `json:"local,omitempty"`
	// Notes are remarks on the run as a whole (such as followRemote
	// having nothing to follow under --scope local).
	Notes []string `json:"notes,omitempty"`
	// Warnings are what the run would otherwise do silently: a policy
	// that reached nothing (see Unmatched). Always an array in JSON.
	Warnings []Warning `json:"warnings"`
	// Waited is how long the run was held back by a provider's rate
	// limits; absent when it never was.
	Waited *Waited `json:"waited,omitempty"`
}

// Waited splits a run's waiting: Paced is the provider's own pacing
// (staying under limits before they are hit), Limited the waits after
// answers that a limit was hit (retry-after, a reset time, backoff).
type Waited struct {
	Paced   Duration `json:"paced"`
	Limited Duration `json:"limited"`
}

// CachePlan is the plan (or report) for one local cache. Its repositories
// hold the same records as a registry's.
type CachePlan struct {
	// Cache names the cache: "docker <host>" or "layout <path>".
	Cache string `json:"cache"`
	// Kind is docker or layout.
	Kind string `json:"kind"`
	// Error is set when the cache could not be read or written; such a
	// cache has no deletions (or, in a report, stopped safely).
	Error string `json:"error,omitempty"`
	// Notes explain what the cache did beyond its repositories (engine
	// and API versions, followRemote, a size limit).
	Notes        []string   `json:"notes,omitempty"`
	Repositories []RepoPlan `json:"repositories"`
	// BuildCache is the Docker build cache prune, when configured.
	BuildCache *BuildCachePlan `json:"buildCache,omitempty"`
	// EstimatedBytes is what the deletions would free, counted from blobs
	// or layers that nothing kept shares (never the sum of image sizes).
	EstimatedBytes int64 `json:"estimatedBytes"`
	// ReclaimedBytes is measured by apply: the engine's disk usage before
	// and after, or the sizes of the files a layout sweep removed.
	ReclaimedBytes *int64 `json:"reclaimedBytes,omitempty"`
}

// BuildCachePlan is the Docker build cache prune.
type BuildCachePlan struct {
	OlderThan   string `json:"olderThan,omitempty"`
	KeepStorage int64  `json:"keepStorage,omitempty"`
	Status      Status `json:"status,omitempty"`
	Error       string `json:"error,omitempty"`
	// ReclaimedBytes is what the engine reported freed.
	ReclaimedBytes int64 `json:"reclaimedBytes,omitempty"`
}

// RepoPlan is the plan for one repository.
type RepoPlan struct {
	// Repository is the full name with the registry host.
	Repository string `json:"repository"`
	// Error is set when the repository could not be listed or resolved;
	// such a repository has no deletions.
	Error string `json:"error,omitempty"`
	// Notes are remarks on the repository, such as tags that vanished
	// while it was listed.
	Notes []string `json:"notes,omitempty"`
	// Policies names the policies that govern this repository.
	Policies []string `json:"policies"`
	// Tags holds a decision for every tag.
	Tags []TagDecision `json:"tags"`
	// Deletions are the requests that carry out the decisions, in the
	// order they are safe to run.
	Deletions []Deletion `json:"deletions"`
	// Pending lists, in a plan, what an interrupted apply left pending
	// here (the children and referrers of a manifest it deleted): apply
	// finishes those the gate still passes. Information only: apply
	// reads the journal itself, never this list.
	Pending []Deletion `json:"pending,omitempty"`
	// Gate says, in an apply report, how the gate resolved the
	// repository's tags before its deletions; absent when nothing was
	// sent.
	Gate *GateStats `json:"gate,omitempty"`
}

// GateStats describe the gate's resolution of one repository: how many
// full resolutions of every tag it took (rounds) and the longest time
// from a resolution's first request to a deletion's request relying on
// it (never more than verifyWindow).
type GateStats struct {
	Rounds        int      `json:"rounds"`
	LargestWindow Duration `json:"largestWindow"`
}

// TagDecision is the decision for one tag, with its reasons.
//
// Created is the time the rules read: the creation time for registries
// and layouts, the time of the image's clock for a local image (see
// Clock); null when unknown or when no rule needed it.
type TagDecision struct {
	Tag       string     `json:"tag"`
	Digest    string     `json:"digest"`
	MediaType string     `json:"mediaType,omitempty"`
	Created   *time.Time `json:"created"`
	// Pushed is when the registry received the manifest, where it says.
	Pushed *time.Time `json:"pushed,omitempty"`
	// FirstSeen is when regprune first saw the digest, given when the
	// creation time is unknown: minAge then reads it.
	FirstSeen *time.Time `json:"firstSeen,omitempty"`
	Action    Action     `json:"action"`
	Reasons   []string   `json:"reasons"`
	// Clock says which time decided a local image: arrived (the engine's
	// LastTagTime) or created; on a registry, pushed when the policies
	// that govern the tag rank by Pushed (clock: pushed), else empty
	// (Created).
	Clock string `json:"clock,omitempty"`
}

// Deletion is one manifest (or a set of tags) to delete.
type Deletion struct {
	Digest string `json:"digest"`
	// Tags are the tags removed: every tag of the manifest for image and
	// index deletions, the tags alone for kind "tag".
	Tags []string `json:"tags"`
	Kind Kind     `json:"kind"`
	// Parent is the digest a child or referrer follows (for an untagged
	// manifest, the untagged index it goes after).
	Parent string `json:"parent,omitempty"`
	// Pushed is the push time an untagged deletion was decided on; the
	// executor checks it against the rules in force.
	Pushed *time.Time `json:"pushed,omitempty"`
	// Created is the creation time the gate read for the manifest's tags
	// when it journaled the deletion: a later run checks a deleted
	// parent against minAge with it. Never read from a plan.
	Created *time.Time `json:"created,omitempty"`
	// Reason says why the deletion is planned, or why it was skipped.
	Reason string `json:"reason,omitempty"`
	Status Status `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Summary counts the plan or the report.
type Summary struct {
	Repositories int `json:"repositories"`
	Failed       int `json:"failedRepositories"`
	Tags         int `json:"tags"`
	Keep         int `json:"keep"`
	Delete       int `json:"delete"`
	// Manifests counts manifests deleted by digest that a listed tag
	// pointed at (what maxDeletions limits).
	Manifests int `json:"manifests"`
	// TagOnly counts tag-only deletions.
	TagOnly int `json:"tagOnly"`
	// Children and Referrers count the manifests that follow a parent.
	Children  int `json:"children"`
	Referrers int `json:"referrers"`
	// UntaggedManifests counts untagged manifests deleted by a policy's
	// untagged rule (they count toward maxDeletions too).
	UntaggedManifests int `json:"untaggedManifests,omitempty"`
	// Deleted, Skipped and DeletionsFailed count apply outcomes (always
	// present; 0 in a plan).
	Deleted         int `json:"deleted"`
	Skipped         int `json:"skipped"`
	DeletionsFailed int `json:"failed"`
	// Untagged counts local images whose references were removed while
	// the image stayed (StatusUntagged).
	Untagged int `json:"untagged,omitempty"`
	// Local caches: how many, how many failed, the bytes the plan
	// estimates and the bytes apply measured.
	LocalCaches    int   `json:"localCaches,omitempty"`
	LocalFailed    int   `json:"localFailed,omitempty"`
	EstimatedBytes int64 `json:"estimatedBytes,omitempty"`
	ReclaimedBytes int64 `json:"reclaimedBytes,omitempty"`
}
