package console

import (
	"bytes"
	"testing"
	"time"
)

// TestStatusLine: a log line clears the progress line and redraws it
// after; redraws are throttled except the final one; end closes the line.
func TestStatusLine(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	now := time.Unix(0, 0)
	s := NewLine(&b, func() time.Time { return now })
	s.Set("deleting: 1/4 deleted", false)
	s.Set("deleting: 2/4 deleted", false) // within 100ms: not drawn
	now = now.Add(statusRedraw)
	s.Set("deleting: 3/4 deleted, 1 skipped", false)
	if _, err := s.Write([]byte("level=WARN msg=retrying\n")); err != nil {
		t.Fatal(err)
	}
	s.Set("deleting: 3/4 deleted, 1 skipped", true)
	s.Set("planning: 1/2 repositories", false)
	s.End()
	s.End()
	want := clearLine + "deleting: 1/4 deleted" +
		clearLine + "deleting: 3/4 deleted, 1 skipped" +
		clearLine + "level=WARN msg=retrying\n" + "deleting: 3/4 deleted, 1 skipped" +
		clearLine + "deleting: 3/4 deleted, 1 skipped\n" +
		clearLine + "planning: 1/2 repositories" + "\n"
	if got := b.String(); got != want {
		t.Errorf("terminal got\n%q\nwant\n%q", got, want)
	}
	var nilLine *Line
	nilLine.End() // no status line: nothing to end, no panic
}
