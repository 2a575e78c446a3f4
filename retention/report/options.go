package report

import (
	"errors"
	"fmt"

	"github.com/regprune/regprune/retention"
)

// View chooses how much of a plan the text and Markdown reports show. The
// JSON report is always the whole plan.
type View string

const (
	// ViewAuto is ViewFull for a plan and ViewDeletions for an apply,
	// which reports what it did rather than the plan again.
	ViewAuto View = ""
	// ViewFull shows every tag with its decision, then the deletions.
	ViewFull View = "full"
	// ViewDeletions shows the deletions only, per repository.
	ViewDeletions View = "deletions"
	// ViewSummary shows one row of counts per repository.
	ViewSummary View = "summary"
)

// DefaultWidth is the width the text report fits its tables to: the
// width of a GitHub Actions log line before it wraps, with room to spare
// on a terminal of 120 columns.
const DefaultWidth = 120

type options struct {
	view    View
	verbose bool
	width   int
	// maxBytes caps a Markdown report (0: no cap); fullReport says where
	// the rows left out can be read.
	maxBytes   int
	fullReport string
}

// Option configures Write.
type Option func(*options) error

// WithView sets what the report shows. Default: ViewAuto.
func WithView(v View) Option {
	return func(o *options) error {
		switch v {
		case ViewAuto, ViewFull, ViewDeletions, ViewSummary:
			o.view = v
			return nil
		}
		return fmt.Errorf("report view %q: valid views are full, deletions and summary", string(v))
	}
}

// WithVerbose shows every reason in full, with creation times to the
// second, in place of the compact table with its AGE column and its first
// reason shortened to fit. Default: compact. In Markdown it also lists the
// kept tags, which are otherwise counted.
func WithVerbose(v bool) Option {
	return func(o *options) error {
		o.verbose = v
		return nil
	}
}

// WithWidth sets the width the compact text tables fit, in columns.
// Default: DefaultWidth. Fewer than 100 columns cannot hold a row.
func WithWidth(n int) Option {
	return func(o *options) error {
		if n < 100 {
			return fmt.Errorf("report width %d: at least 100 columns", n)
		}
		o.width = n
		return nil
	}
}

// WithMaxBytes caps a Markdown report at about n bytes: rows beyond the
// cap are counted, not shown, and a last line says how many there were
// and where the full report is (fullReport, for example the path of the
// JSON report). GitHub drops a step summary over 1 MiB whole, so a cap
// keeps the summary of a large registry. Default: no cap.
func WithMaxBytes(n int, fullReport string) Option {
	return func(o *options) error {
		if n < 4096 {
			return fmt.Errorf("report cap %d bytes: at least 4096", n)
		}
		o.maxBytes, o.fullReport = n, fullReport
		return nil
	}
}

func buildOptions(opts []Option) (options, error) {
	o := options{width: DefaultWidth}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// viewOf resolves ViewAuto for p.
func (o options) viewOf(m retention.Mode) View {
	if o.view != ViewAuto {
		return o.view
	}
	if m == modeApply {
		return ViewDeletions
	}
	return ViewFull
}

// ViewOptions are the options of the CLI's --summary, --deletions and
// --verbose for a report in format f; they shape the text and Markdown
// reports only, and --summary and --deletions exclude each other.
func ViewOptions(f Format, summary, deletions, verbose bool) ([]Option, error) {
	if summary && deletions {
		return nil, errors.New("--summary and --deletions: give one of them")
	}
	if f.IsJSON() && (summary || deletions || verbose) {
		return nil, errors.New("--summary, --deletions and --verbose shape the text and markdown reports; -o json and jsonl are always the whole plan")
	}
	view := ViewAuto
	switch {
	case summary:
		view = ViewSummary
	case deletions:
		view = ViewDeletions
	case verbose:
		view = ViewFull
	}
	return []Option{WithView(view), WithVerbose(verbose)}, nil
}
