package console

import (
	"io"
	"sync"
	"time"
)

// statusRedraw is the shortest time between two redraws of the progress
// line: often enough to look live, rarely enough that a run of 20,000
// deletions does not spend its terminal on them.
const statusRedraw = 100 * time.Millisecond

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\033[K"

// Line is one progress line at the bottom of a terminal, shared
// with the logs: a log line written through it clears the progress line
// first and redraws it after, so the two never print onto each other.
type Line struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	line  string // what is on screen now ("" when nothing)
	drawn time.Time
}

func NewLine(w io.Writer, now func() time.Time) *Line {
	return &Line{w: w, now: now}
}

// Write writes log output above the progress line.
func (s *Line) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.line != "" {
		io.WriteString(s.w, clearLine)
	}
	n, err := s.w.Write(p)
	if s.line != "" {
		io.WriteString(s.w, s.line)
	}
	return n, err
}

// Set shows line, at most once per statusRedraw unless final; a final
// line stays on screen and ends with a newline.
func (s *Line) Set(line string, final bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !final && s.line != "" && now.Sub(s.drawn) < statusRedraw {
		return
	}
	io.WriteString(s.w, clearLine+line)
	s.drawn = now
	s.line = line
	if final {
		io.WriteString(s.w, "\n")
		s.line = ""
	}
}

// End leaves the last progress line on screen, ended, so that what comes
// next (the report) starts on a line of its own. A nil line does nothing.
func (s *Line) End() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.line != "" {
		io.WriteString(s.w, "\n")
		s.line = ""
	}
}
