package imagetest

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// buildKitOnly are the flags of RUN, COPY and ADD that the classic
// builder of Docker 20.10 refuses.
var buildKitOnly = map[string][]string{
	"RUN":  {"--mount", "--network", "--security", "--device"},
	"COPY": {"--chmod", "--link", "--parents", "--exclude"},
	"ADD":  {"--chmod", "--link", "--checksum", "--keep-git-dir", "--exclude"},
}

// platformArg is a use of an automatic platform ARG. BuildKit sets these;
// the classic builder does not, so in FROM one needs a ${NAME:-default}.
var platformArg = regexp.MustCompile(`\$\{?(BUILDPLATFORM|TARGETPLATFORM|BUILDOS|BUILDARCH|BUILDVARIANT|TARGETOS|TARGETARCH|TARGETVARIANT)(:-[^}]+\})?`)

// classicProblems lists what in the Dockerfile text the classic builder
// cannot build.
func classicProblems(text string) []string {
	var problems []string
	ins, _ := instructions(text)
	for _, in := range ins {
		if strings.Contains(in.args, "<<") && (in.keyword == "RUN" || in.keyword == "COPY") {
			problems = append(problems, fmt.Sprintf("line %d: %s with a heredoc", in.line, in.keyword))
		}
		words, err := shellWords(in.args)
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %v", in.line, err))
			continue
		}
		for _, w := range words {
			if !strings.HasPrefix(w, "--") {
				break
			}
			flag, _, _ := strings.Cut(w, "=")
			for _, f := range buildKitOnly[in.keyword] {
				if flag == f {
					problems = append(problems, fmt.Sprintf("line %d: %s %s is BuildKit only", in.line, in.keyword, flag))
				}
			}
		}
		if in.keyword != "FROM" {
			continue
		}
		for _, m := range platformArg.FindAllStringSubmatch(in.args, -1) {
			if m[2] == "" {
				problems = append(problems, fmt.Sprintf("line %d: FROM uses $%s, which the classic builder leaves empty; write ${%s:-linux/amd64}", in.line, m[1], m[1]))
			}
		}
	}
	return problems
}

// TestDockerfileClassicBuilder: the Dockerfile uses nothing the classic
// builder refuses, as README and the Dockerfile promise.
func TestDockerfileClassicBuilder(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"RUN --mount=type=cache,target=/root/.cache go build ./...":   "RUN --mount is BuildKit only",
		"FROM --platform=$BUILDPLATFORM golang:1.26 AS build":         "FROM uses $BUILDPLATFORM",
		"COPY --chmod=0755 a /a":                                      "COPY --chmod is BuildKit only",
		"RUN <<EOF\necho hi\nEOF":                                     "RUN with a heredoc",
		"FROM --platform=${BUILDPLATFORM:-linux/amd64} golang:1.26":   "",
		"RUN CGO_ENABLED=0 GOOS=$TARGETOS go build -o /out/x ./cmd/x": "",
	}
	for text, want := range bad {
		got := strings.Join(classicProblems(text), "\n")
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("classicProblems(%q) = %q, want %q", text, got, want)
		}
	}
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range classicProblems(string(b)) {
		t.Errorf("Dockerfile: %s", p)
	}
}

// ignored reports whether a .dockerignore pattern excludes the
// slash-separated path p: the pattern matches p or one of its parent
// directories, ** matching any number of directories, as in Docker.
func ignored(pattern, p string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(p, "/"))
}

func matchSegments(pat, p []string) bool {
	switch {
	case len(pat) == 0:
		return true // the pattern matched a parent directory of p, or p
	case len(p) == 0:
		return false
	case pat[0] == "**":
		return matchSegments(pat[1:], p) || matchSegments(pat, p[1:])
	}
	ok, err := path.Match(pat[0], p[0])
	return err == nil && ok && matchSegments(pat[1:], p[1:])
}

// TestDockerignore: the build context keeps every file `go build
// ./cmd/regprune` reads for linux (go.mod, go.sum, the module's Go files
// and embedded files) and leaves out the repository's history and build
// output.
func TestDockerignore(t *testing.T) {
	root := moduleRoot(t)
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") || strings.HasPrefix(l, "/") {
			t.Fatalf(".dockerignore: %q: exceptions and rooted patterns are not understood by this test; teach it", l)
		}
		patterns = append(patterns, path.Clean(l))
	}
	cmd := exec.Command("go", "list", "-deps", "-f",
		`{{with .Module}}{{if .Main}}{{$.Dir}}{{range $.GoFiles}} {{.}}{{end}}{{range $.EmbedFiles}} {{.}}{{end}}{{"\n"}}{{end}}{{end}}`, "./cmd/regprune")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	needed := []string{"go.mod", "go.sum"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		rel, err := filepath.Rel(root, fields[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields[1:] {
			needed = append(needed, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	for _, f := range needed {
		for _, p := range patterns {
			if ignored(p, f) {
				t.Errorf(".dockerignore %q excludes %s, which the build needs", p, f)
			}
		}
	}
	for _, f := range []string{".git/config", "dist/regprune_v1.0.0_linux_amd64", "retention/plan_test.go"} {
		excluded := false
		for _, p := range patterns {
			excluded = excluded || ignored(p, f)
		}
		if !excluded {
			t.Errorf(".dockerignore does not exclude %s", f)
		}
	}
	if len(needed) < 50 {
		t.Errorf("go list found only %d files the build needs; the listing is broken", len(needed))
	}
}
