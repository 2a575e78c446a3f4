// Package logbridge turns the lines that other libraries write to an
// io.Writer (logrus, log.Logger) into slog records, so that a program's
// logs keep one format: with --log-format json, every line on stderr is
// one JSON object.
package logbridge

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
)

// Writer returns a writer that logs each line written to it as one
// record at level, with message msg, the attributes args and the line
// (without its newline) under "output". A line without a newline waits
// for the next write. Empty lines are dropped.
func Writer(l *slog.Logger, level slog.Level, msg string, args ...any) io.Writer {
	return &writer{l: l, level: level, msg: msg, args: args}
}

type writer struct {
	l     *slog.Logger
	level slog.Level
	msg   string
	args  []any

	mu  sync.Mutex
	buf []byte
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(bytes.TrimRight(w.buf[:i], "\r"))
		w.buf = w.buf[i+1:]
		if line != "" {
			w.l.Log(context.Background(), w.level, w.msg, append(w.args[:len(w.args):len(w.args)], "output", line)...)
		}
	}
	return len(p), nil
}
