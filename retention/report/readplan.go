package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/regprune/regprune/retention"
)

// maxProblems bounds how many validation problems one error lists; a
// mangled file would otherwise produce a wall of text.
const maxProblems = 10

// digestRE is the only digest form a plan may delete. The OCI spec
// requires lowercase hex for sha256.
var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ReadPlan decodes a saved JSON plan (or apply report) from r and checks
// that it is safe to act on.
//
// Unknown fields are ignored, so a plan written by a newer regprune with
// extra informational fields still reads; anything that changes meaning
// must bump retention.SchemaVersion, and any other version is refused
// (ErrSchemaVersion) before the rest of the document is decoded. The mode
// must be "plan" or "apply"; every deletion needs a sha256 digest and a
// known kind (ErrInvalidPlan). r must hold exactly one JSON document.
// Missing or null lists are returned as empty slices.
func ReadPlan(r io.Reader) (*retention.Plan, error) {
	br := bufio.NewReader(r)
	if first, err := firstByte(br); err == nil && !strings.ContainsRune(`{["-0123456789tfn`, rune(first)) {
		return nil, fmt.Errorf("reading plan: %w: this is not a JSON plan (a text or markdown report?); save one with `regprune plan -o json`", ErrInvalidPlan)
	}
	dec := json.NewDecoder(br)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("reading plan: empty input")
		}
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("reading plan: unexpected data after the JSON document")
	}
	if err := checkHeader(raw); err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	var p retention.Plan
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	if err := validate(&p); err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	return withArrays(&p), nil
}

// firstByte peeks at the first byte after white space, leaving it
// unread. One that cannot start any JSON value means another format.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return b, br.UnreadByte()
		}
	}
}

// checkHeader checks the schema version and mode alone, so that a
// document of another version is refused by name rather than by whatever
// type error its new layout would cause.
func checkHeader(raw []byte) error {
	var h struct {
		SchemaVersion *json.Number `json:"schemaVersion"`
		Mode          *string      `json:"mode"`
	}
	// Say so plainly rather than with an unmarshalling error that names
	// this anonymous struct.
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return fmt.Errorf("%w: the document is not a JSON object", ErrInvalidPlan)
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	if h.SchemaVersion == nil {
		return fmt.Errorf("%w: no schemaVersion (this regprune reads version %d)", ErrSchemaVersion, retention.SchemaVersion)
	}
	if v := h.SchemaVersion.String(); v != fmt.Sprint(retention.SchemaVersion) {
		return fmt.Errorf("%w %s: this regprune reads version %d only", ErrSchemaVersion, v, retention.SchemaVersion)
	}
	if h.Mode == nil {
		return fmt.Errorf("%w: no mode (want %q or %q)", ErrInvalidPlan, retention.ModePlan, retention.ModeApply)
	}
	if m := retention.Mode(*h.Mode); m != retention.ModePlan && m != retention.ModeApply {
		return fmt.Errorf("%w: mode %q (want %q or %q)", ErrInvalidPlan, m, retention.ModePlan, retention.ModeApply)
	}
	return nil
}

// validate checks what an executor relies on: named repositories, known
// actions, kinds and statuses, and well-formed digests to delete, in the
// registry part and in the local part alike (a hand-edited local part is
// as dangerous as a registry part: a removal by ID or a sweep).
func validate(p *retention.Plan) error {
	var problems []error
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf(format, args...))
	}
	for i, r := range p.Repositories {
		validateRepo(fmt.Sprintf("repositories[%d]", i), r, "", add)
	}
	for i, c := range p.Local {
		at := fmt.Sprintf("local[%d] %q", i, c.Cache)
		if c.Kind != localDocker && c.Kind != localLayout {
			add("%s: kind %q (want %q or %q)", at, c.Kind, localDocker, localLayout)
		} else if !strings.HasPrefix(c.Cache, c.Kind+" ") {
			add("%s: cache name does not start with its kind %q", at, c.Kind)
		}
		if c.Error != "" && len(c.Repositories) > 0 && hasDeletions(c.Repositories) {
			add("%s: failed cache has deletions", at)
		}
		if bc := c.BuildCache; bc != nil && !knownStatus(bc.Status) {
			add("%s: buildCache status %q (want one of %s)", at, bc.Status, statusNames)
		}
		for j, r := range c.Repositories {
			validateRepo(fmt.Sprintf("%s: repositories[%d]", at, j), r, c.Kind, add)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if n := len(problems); n > maxProblems {
		problems = append(problems[:maxProblems], fmt.Errorf("and %d more problems", n-maxProblems))
	}
	return fmt.Errorf("%w: %w", ErrInvalidPlan, errors.Join(problems...))
}

// The kinds of local cache a plan may hold (docker.Kind, layout.Kind).
const (
	localDocker = "docker"
	localLayout = "layout"
)

func hasDeletions(rs []retention.RepoPlan) bool {
	for _, r := range rs {
		if len(r.Deletions) > 0 {
			return true
		}
	}
	return false
}

func knownStatus(s retention.Status) bool {
	switch s {
	case "", retention.StatusDeleted, retention.StatusSkipped, retention.StatusFailed, retention.StatusUntagged:
		return true
	}
	return false
}

// validateRepo checks one repository's plan; cache is "" for a registry,
// else the local cache's kind, which decides the kinds it may delete.
func validateRepo(key string, r retention.RepoPlan, cache string, add func(string, ...any)) {
	at := fmt.Sprintf("%s %q", key, r.Repository)
	if r.Repository == "" {
		add("%s: no repository name", key)
	}
	if r.Error != "" && len(r.Deletions) > 0 {
		add("%s: failed repository has %d deletions", at, len(r.Deletions))
	}
	for j, t := range r.Tags {
		if t.Action != retention.Keep && t.Action != retention.Delete {
			add("%s: tags[%d] %q: action %q (want %q or %q)", at, j, t.Tag, t.Action, retention.Keep, retention.Delete)
		}
	}
	for j, d := range r.Deletions {
		dat := fmt.Sprintf("%s: deletions[%d]", at, j)
		if !digestRE.MatchString(d.Digest) {
			add("%s: digest %q is not sha256:<64 lowercase hex>", dat, d.Digest)
		}
		if d.Parent != "" && !digestRE.MatchString(d.Parent) {
			add("%s: parent %q is not sha256:<64 lowercase hex>", dat, d.Parent)
		}
		if msg := kindProblem(d, cache); msg != "" {
			add("%s: %s", dat, msg)
		}
		if !knownStatus(d.Status) {
			add("%s: status %q (want one of %s)", dat, d.Status, statusNames)
		}
	}
}

// kindProblem says what is wrong with a deletion's kind, or "".
func kindProblem(d retention.Deletion, cache string) string {
	switch d.Kind {
	case retention.KindImage, retention.KindIndex:
		if cache == localDocker && d.Kind == retention.KindImage {
			return "" // removal by image ID; a dangling image has no tags
		}
		if cache == localDocker {
			return fmt.Sprintf("kind %q (a docker cache deletes %q or %q)", d.Kind, retention.KindImage, retention.KindTag)
		}
		// Deleted because every tag on it is: a manifest without tags is
		// not one a plan deletes in its own right (an untagged manifest
		// may be a kept index's child).
		if len(d.Tags) == 0 {
			return fmt.Sprintf("kind %q with no tags", d.Kind)
		}
	case retention.KindChild, retention.KindReferrer:
		if cache == localDocker {
			return fmt.Sprintf("kind %q (a docker cache deletes %q or %q)", d.Kind, retention.KindImage, retention.KindTag)
		}
		// A child or referrer goes only after the parent it follows;
		// without one, nothing says it may go.
		if d.Parent == "" {
			return fmt.Sprintf("kind %q with no parent", d.Kind)
		}
	case retention.KindTag:
		if len(d.Tags) == 0 {
			return fmt.Sprintf("kind %q with no tags", d.Kind)
		}
	case retention.KindUntagged:
		if cache != "" {
			return fmt.Sprintf("kind %q in a local cache", d.Kind)
		}
		// Decided on its push time alone: without one, or with tags,
		// nothing says it may go.
		if len(d.Tags) > 0 {
			return fmt.Sprintf("kind %q with tags", d.Kind)
		}
		if d.Pushed == nil {
			return fmt.Sprintf("kind %q with no push time", d.Kind)
		}
	default:
		return fmt.Sprintf("kind %q (want one of %s)", d.Kind, kindNames)
	}
	return ""
}

var (
	kindNames   = fmt.Sprintf("%q, %q, %q, %q, %q, %q", retention.KindImage, retention.KindIndex, retention.KindChild, retention.KindReferrer, retention.KindTag, retention.KindUntagged)
	statusNames = fmt.Sprintf("%q, %q, %q, %q", retention.StatusDeleted, retention.StatusSkipped, retention.StatusFailed, retention.StatusUntagged)
)
