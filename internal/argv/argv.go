// Package argv reads a few flags from regprune's raw arguments, for
// when flag parsing is what failed: the error that ends such a run is
// still written in the format the user asked for.
package argv

import (
	"strings"

	"github.com/regprune/regprune/retention/report"
)

// LogFormat reads --log-format from args, with def when it is not
// given. A value that is not a format is text: the error is about it.
func LogFormat(args []string, def string) string {
	format := ""
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			i = len(args)
		case a == "--log-format" && i+1 < len(args):
			format = args[i+1]
			i++
		case strings.HasPrefix(a, "--log-format="):
			format = strings.TrimPrefix(a, "--log-format=")
		}
	}
	switch format {
	case "text", "json":
		return format
	case "":
		return def
	}
	return "text"
}

// JSONToStdout reads, from args, the JSON format of a report on stdout
// (-o/--output json or jsonl), or "" when the report is not JSON or goes
// to a file (--output-file).
func JSONToStdout(args []string) report.Format {
	var format report.Format
	toFile := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		next := ""
		if i+1 < len(args) {
			next = args[i+1]
		}
		switch {
		case a == "-o" || a == "--output":
			format = report.Format(next)
			i++
		case strings.HasPrefix(a, "--output="), strings.HasPrefix(a, "-o="):
			format = report.Format(a[strings.Index(a, "=")+1:])
		case strings.HasPrefix(a, "-o") && !strings.HasPrefix(a, "--"):
			format = report.Format(a[2:])
		case a == "--output-file":
			toFile = next != ""
			i++
		case strings.HasPrefix(a, "--output-file="):
			toFile = len(a) > len("--output-file=")
		}
	}
	if toFile || !format.IsJSON() {
		return ""
	}
	return format
}
