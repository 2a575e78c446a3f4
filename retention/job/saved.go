package job

import (
	"errors"
	"fmt"
	"os"

	"github.com/regprune/regprune/retention"
	"github.com/regprune/regprune/retention/report"
)

// ReadPlanFile reads a plan saved with `regprune plan -o json`, for
// apply --plan; a report (another mode) is refused.
func ReadPlanFile(path string) (*retention.Plan, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the plan: %v", err)
	}
	defer fh.Close()
	p, err := report.ReadPlan(fh)
	if err != nil {
		return nil, fmt.Errorf("reading the plan %s: %v", path, err)
	}
	if p.Mode != retention.ModePlan {
		return nil, fmt.Errorf("reading the plan %s: mode is %q; apply executes a plan saved with 'regprune plan -o json', not a report", path, p.Mode)
	}
	return p, nil
}

// RunOfReport is the run id of the apply whose JSON report is at path,
// for restore --report.
func RunOfReport(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("--report: %v", err)
	}
	defer f.Close()
	p, err := report.ReadPlan(f)
	if err != nil {
		return "", fmt.Errorf("--report %s: not a JSON report: %v", path, err)
	}
	if p.RunID == "" {
		return "", fmt.Errorf("--report %s: the report has no runId (an apply without a state directory records nothing)", path)
	}
	return p.RunID, nil
}

// RunToRestore is the run restore undoes: runID (--run), or the runId of
// the report reportFile (--report) names. Neither, or a report without
// one, is refused before anything is contacted (RefusedError).
func RunToRestore(runID, reportFile string) (string, error) {
	switch {
	case reportFile != "":
		id, err := RunOfReport(reportFile)
		if err != nil {
			return "", &RefusedError{err}
		}
		return id, nil
	case runID == "":
		return "", &RefusedError{errors.New("restore: give --run ID, --report FILE or --list")}
	}
	return runID, nil
}
