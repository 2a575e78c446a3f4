// Package report renders a retention.Plan as text for terminals and CI
// logs, as JSON (the saved plan that apply executes later), and as
// Markdown for a GitHub job summary. It also reads a saved JSON plan back,
// and is the one place where a plan's summary counts are computed.
//
// Rendering is deterministic: repositories, tags and deletions appear in
// the order the plan holds them (Markdown moves failed repositories first,
// keeping their relative order).
package report
