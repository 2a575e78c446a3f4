package imagetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Stage is what the final stage of a Dockerfile puts into the image, as
// far as the image test assembles it.
type Stage struct {
	// From is the base image reference ("gcr.io/distroless/static-debian12:nonroot").
	From string
	// User is the USER instruction's argument ("65532:65532").
	User string
	// Entrypoint is the exec-form ENTRYPOINT (["regprune"]).
	Entrypoint []string
	// Labels holds every LABEL key and value.
	Labels map[string]string
	// Copies are the COPY instructions, in order.
	Copies []Copy
}

// Copy is one COPY instruction.
type Copy struct {
	// From is the --from stage or image, empty for the build context.
	From string
	// Sources are the source paths, Dest the destination.
	Sources []string
	Dest    string
}

// instruction is one logical line of a Dockerfile: continuation lines
// joined, the keyword upper-cased.
type instruction struct {
	line    int
	keyword string
	args    string
}

// FinalStage reads the last stage of the Dockerfile text: FROM, LABEL,
// COPY, USER and ENTRYPOINT. Any other instruction in that stage is an
// error, and so is a $ in the arguments it reads: the image test
// assembles exactly these, so a final stage that gains, say, an ENV or a
// shell-form ENTRYPOINT must fail the test until the test learns it,
// rather than be silently left out of the image it runs.
func FinalStage(dockerfile string) (Stage, error) {
	ins, err := instructions(dockerfile)
	if err != nil {
		return Stage{}, err
	}
	last := -1
	for i, in := range ins {
		if in.keyword == "FROM" {
			last = i
		}
	}
	if last < 0 {
		return Stage{}, errors.New("reading the Dockerfile: no FROM instruction")
	}
	st := Stage{Labels: map[string]string{}}
	for _, in := range ins[last:] {
		if err := st.apply(in); err != nil {
			return Stage{}, fmt.Errorf("reading the Dockerfile: line %d: %s: %w", in.line, in.keyword, err)
		}
	}
	return st, nil
}

func (st *Stage) apply(in instruction) error {
	if in.keyword != "FROM" && strings.Contains(in.args, "$") {
		return fmt.Errorf("variables are not supported in the final stage: %q", in.args)
	}
	words, err := shellWords(in.args)
	if err != nil {
		return err
	}
	switch in.keyword {
	case "FROM":
		// FROM [--platform=...] image [AS name]
		for len(words) > 0 && strings.HasPrefix(words[0], "--") {
			words = words[1:]
		}
		if len(words) == 0 {
			return errors.New("no image")
		}
		st.From = words[0]
	case "LABEL":
		if len(words) == 0 {
			return errors.New("no label")
		}
		for _, w := range words {
			k, v, ok := strings.Cut(w, "=")
			if !ok || k == "" {
				return fmt.Errorf("%q is not key=value", w)
			}
			st.Labels[k] = v
		}
	case "USER":
		if len(words) != 1 {
			return fmt.Errorf("want one argument, got %q", in.args)
		}
		st.User = words[0]
	case "ENTRYPOINT":
		var ep []string
		if err := json.Unmarshal([]byte(in.args), &ep); err != nil || len(ep) == 0 {
			return fmt.Errorf("only the exec form is supported (the base image has no shell): %q", in.args)
		}
		st.Entrypoint = ep
	case "COPY":
		var c Copy
		for len(words) > 0 && strings.HasPrefix(words[0], "--") {
			flag, val, _ := strings.Cut(strings.TrimPrefix(words[0], "--"), "=")
			if flag != "from" {
				return fmt.Errorf("flag --%s is not supported", flag)
			}
			c.From = val
			words = words[1:]
		}
		if len(words) < 2 {
			return fmt.Errorf("want sources and a destination, got %q", in.args)
		}
		c.Sources, c.Dest = words[:len(words)-1], words[len(words)-1]
		st.Copies = append(st.Copies, c)
	default:
		return errors.New("not assembled by the image test; teach internal/imagetest")
	}
	return nil
}

// instructions splits a Dockerfile into logical lines: comments and blank
// lines dropped, lines ending in a backslash joined with the next. Parser
// directives (# syntax=...) are comments here.
func instructions(text string) ([]instruction, error) {
	var (
		out     []instruction
		pending strings.Builder
		start   int
	)
	lines := strings.Split(text, "\n")
	for i, raw := range lines {
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue // as in Docker, also inside a continued instruction
		}
		if pending.Len() == 0 {
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(cont)
			pending.WriteString(" ")
			continue
		}
		pending.WriteString(line)
		out = append(out, newInstruction(start, pending.String()))
		pending.Reset()
	}
	if pending.Len() > 0 {
		// Docker accepts a continuation on the last line.
		out = append(out, newInstruction(start, pending.String()))
	}
	return out, nil
}

func newInstruction(line int, text string) instruction {
	keyword, args, _ := strings.Cut(strings.TrimSpace(text), " ")
	return instruction{line: line, keyword: strings.ToUpper(keyword), args: strings.TrimSpace(args)}
}

// shellWords splits s into words as a Dockerfile does: whitespace
// separates words outside quotes, double quotes allow backslash escapes,
// single quotes none; the quotes themselves are removed.
func shellWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
		quote rune
		esc   bool
	)
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '\\':
				esc = true
			case '"':
				quote = 0
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			esc, in = true, true
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 || esc {
		return nil, fmt.Errorf("unterminated quote or escape in %q", s)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// StageRuns returns the arguments of the RUN instructions of the stage
// named name (FROM ... AS name), continuation lines joined, so that the
// test can check that it builds the binary the way the build stage does.
func StageRuns(dockerfile, name string) ([]string, error) {
	ins, err := instructions(dockerfile)
	if err != nil {
		return nil, err
	}
	var (
		runs  []string
		found bool
		in    bool
	)
	for _, i := range ins {
		if i.keyword == "FROM" {
			words, err := shellWords(i.args)
			if err != nil {
				return nil, fmt.Errorf("reading the Dockerfile: line %d: FROM: %w", i.line, err)
			}
			n := len(words)
			in = n >= 2 && strings.EqualFold(words[n-2], "AS") && words[n-1] == name
			found = found || in
			continue
		}
		if in && i.keyword == "RUN" {
			runs = append(runs, i.args)
		}
	}
	if !found {
		return nil, fmt.Errorf("reading the Dockerfile: no stage named %q", name)
	}
	return runs, nil
}
