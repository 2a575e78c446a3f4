package pattern

import (
	"strings"
	"testing"
)

// TestMatchRepository: a repository pattern matches a name as written,
// and through its canonical spelling when it has one.
func TestMatchRepository(t *testing.T) {
	t.Parallel()
	lower := strings.ToLower
	p, err := Compile("Registry.example/team/*")
	if err != nil {
		t.Fatal(err)
	}
	if p.MatchRepository("registry.example/team/app", lower) {
		t.Error("a pattern without a canonical spelling matched another spelling")
	}
	p = p.WithCanonical("registry.example/team/*")
	if !p.MatchRepository("REGISTRY.example/team/app", lower) || !p.MatchRepository("Registry.example/team/app", lower) {
		t.Error("a pattern with a canonical spelling does not match a name by it")
	}
	if p.MatchRepository("registry.example/other/app", lower) {
		t.Error("the canonical spelling matched outside the glob")
	}
}

// TestCompileList: every bad pattern of a list is reported, by index.
func TestCompileList(t *testing.T) {
	t.Parallel()
	_, err := CompileList([]string{"ok", "/(/", "[", "v*"})
	if err == nil || !strings.Contains(err.Error(), "[1]") || !strings.Contains(err.Error(), "[2]") || strings.Contains(err.Error(), "[3]") {
		t.Fatalf("CompileList: %v, want errors at [1] and [2] only", err)
	}
	ps, err := CompileList([]string{"v1.*", "/^rc-[0-9]+$/"})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := ps.Match("rc-12"); !ok || got.String() != "/^rc-[0-9]+$/" || got.IsLiteral() {
		t.Errorf("Match(rc-12) = %v, %v", got, ok)
	}
	if lit, _ := Compile("latest"); !lit.IsLiteral() {
		t.Error("latest is not literal")
	}
}
