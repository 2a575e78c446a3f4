package config

import (
	"reflect"
	"testing"

	"github.com/regprune/regprune/retention"
)

// TestSuggest: typos get the key they were meant to be, by edit distance;
// a key far from every known one gets no suggestion.
func TestSuggest(t *testing.T) {
	top := fieldsOf(reflect.TypeFor[retention.Config]())
	policy := fieldsOf(reflect.TypeFor[retention.Policy]())
	rule := fieldsOf(reflect.TypeFor[retention.KeepRule]())
	for _, tt := range []struct {
		key    string
		fields map[string]field
		want   string
	}{
		{"maxDeletion", top, "maxDeletions"},
		{"minage", top, "minAge"},
		{"polices", top, "policies"},
		{"repositorys", policy, "repositories"},
		{"exlude", policy, "exclude"},
		{"newst", rule, "newest"},
		{"youngerThen", rule, "youngerThan"},
		{"colour", top, ""},
		{"zz", rule, ""},
	} {
		if got := suggest(tt.key, tt.fields); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
