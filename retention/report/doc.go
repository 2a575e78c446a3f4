// Package report renders a retention.Plan as text for terminals and CI
// logs, as JSON (the saved plan that apply executes later), and as
// Markdown for a GitHub job summary, and reads the JSON form back
// (ReadPlan), refusing a document that is not safe to act on. The
// summary counts are the plan's own (Plan.Summarize).
//
// Rendering is deterministic: repositories, tags and deletions appear in
// the order the plan holds them (Markdown moves failed repositories first,
// keeping their relative order).
package report
