// Package report renders a retention.Plan as text for terminals and CI
// logs, as JSON (the saved plan that apply executes later), and as
// Markdown for a GitHub job summary. It only renders: a saved plan is
// read back with retention.ReadPlan, and the summary counts are the
// plan's own (Plan.Summarize).
//
// Rendering is deterministic: repositories, tags and deletions appear in
// the order the plan holds them (Markdown moves failed repositories first,
// keeping their relative order).
package report
