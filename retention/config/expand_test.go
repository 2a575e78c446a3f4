package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"USER": "ci", "EMPTY": "", "NESTED": "${USER}", "_X1": "x"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "${USER}", want: "ci"},
		{in: "a-${USER}-${_X1}", want: "a-ci-x"},
		{in: "${EMPTY}", want: ""},
		{in: "${NESTED}", want: "${USER}"}, // a value is not expanded again
		{in: "$$", want: "$"},
		{in: "$${USER}", want: "${USER}"},
		{in: "pa$word$", want: "pa$word$"},
		{in: "$USER", want: "$USER"},
		{in: "${MISSING}", err: "environment variable MISSING is not set"},
		{in: "${USER", err: "unterminated ${ (write $$ for a literal $)"},
		{in: "${}", err: "${...} must hold a variable name of letters, digits and _ (write $$ for a literal $)"},
		{in: "${1X}", err: "${...} must hold a variable name of letters, digits and _ (write $$ for a literal $)"},
		{in: "${A B}", err: "${...} must hold a variable name of letters, digits and _ (write $$ for a literal $)"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := expand(tt.in, lookup)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tt.err, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("expand(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
