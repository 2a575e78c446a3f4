package logbridge

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriterLogsOneRecordPerLine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	w := Writer(l, slog.LevelWarn, "helper said", "helper", "ecr-login")
	for _, s := range []string{"time=x level=error msg=\"first\"\n", "sec", "ond\r\n\n", "third\nunfinished"} {
		if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	var got []map[string]string
	dec := json.NewDecoder(&out)
	for dec.More() {
		var rec map[string]string
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		got = append(got, rec)
	}
	rec := func(line string) map[string]string {
		return map[string]string{"level": "WARN", "msg": "helper said", "helper": "ecr-login", "output": line}
	}
	want := []map[string]string{rec(`time=x level=error msg="first"`), rec("second"), rec("third")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}
