package imagetest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFinalStage(t *testing.T) {
	t.Parallel()
	const head = "FROM golang:1.26 AS build\nRUN go build \\\n    -o /out/x ./cmd/x\n"
	tests := []struct {
		name, text string
		want       Stage
		wantErr    string
	}{
		{
			name: "full",
			text: head + `FROM gcr.io/distroless/static-debian12:nonroot
# a comment
LABEL a="one two" \
      b=plain \
      # a comment inside the continuation
      c="say \"hi\""
COPY --from=build /out/x /usr/local/bin/x
USER 65532:65532
ENTRYPOINT ["x", "--flag"]
`,
			want: Stage{
				From:       "gcr.io/distroless/static-debian12:nonroot",
				User:       "65532:65532",
				Entrypoint: []string{"x", "--flag"},
				Labels:     map[string]string{"a": "one two", "b": "plain", "c": `say "hi"`},
				Copies:     []Copy{{From: "build", Sources: []string{"/out/x"}, Dest: "/usr/local/bin/x"}},
			},
		},
		{name: "env", text: head + "FROM scratch\nENV A=b\n", wantErr: "line 5: ENV: not assembled"},
		{name: "shell entrypoint", text: head + "FROM scratch\nENTRYPOINT x --flag\n", wantErr: "only the exec form"},
		{name: "variable", text: head + "FROM scratch\nARG U\nUSER $U\n", wantErr: "ARG"},
		{name: "variable in user", text: head + "FROM scratch\nUSER ${U}\n", wantErr: "variables are not supported"},
		{name: "chown", text: head + "FROM scratch\nCOPY --chown=1:1 a /a\n", wantErr: "--chown is not supported"},
		{name: "unterminated", text: "FROM scratch\nLABEL a=\"b\n", wantErr: "unterminated"},
		{name: "trailing continuation", text: "FROM scratch\nUSER a \\\n\n", want: Stage{From: "scratch", User: "a", Labels: map[string]string{}}},
		{name: "no from", text: "USER a\n", wantErr: "no FROM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FinalStage(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FinalStage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStageRuns(t *testing.T) {
	t.Parallel()
	text := "FROM a AS build\nRUN one \\\n  two\nFROM b AS other\nRUN three\nFROM c\n"
	got, err := StageRuns(text, "build")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"one  two"}, got); diff != "" {
		t.Errorf("StageRuns (-want +got):\n%s", diff)
	}
	if _, err := StageRuns(text, "missing"); err == nil {
		t.Error("missing stage: no error")
	}
}
