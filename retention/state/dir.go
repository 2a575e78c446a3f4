package state

import (
	"os"
	"path/filepath"
)

// EnvDir is the environment variable that names the state directory,
// under --state-dir and over the configuration's stateDir.
const EnvDir = "REGPRUNE_STATE_DIR"

// Where a state directory was named (Dir.From).
const (
	FromFlag   = "--state-dir"
	FromEnv    = EnvDir
	FromConfig = "stateDir"
)

// Dir is the state directory of a run, and where it was named.
type Dir struct {
	// Path is the directory; "" when none can be named (no HOME).
	Path string
	// From is FromFlag, FromEnv or FromConfig for a directory the user
	// named; "" for the default.
	From string
}

// Explicit reports whether the user named the directory: one that
// cannot be used then fails the run, where the default only warns.
func (d Dir) Explicit() bool { return d.From != "" }

// Resolve names the state directory of a run, in this order: flag (the
// --state-dir flag), the variable REGPRUNE_STATE_DIR, configured (the
// configuration's stateDir), else the default, regprune/state under the
// user cache directory: $XDG_CACHE_HOME, else $HOME/.cache. getenv
// reads the environment (os.Getenv; tests pass their own).
//
// A directory the user named is checked here, before any registry is
// contacted: one that is not a directory, cannot be created or cannot
// be written is an *UnusableError, since a run that was asked to keep
// its state and cannot would delete what no restore can bring back. The
// default is not checked: a problem there only makes the run go on
// without state (OpenFor says why).
func Resolve(flag string, getenv func(string) string, configured string) (Dir, error) {
	for _, d := range []Dir{{flag, FromFlag}, {getenv(EnvDir), FromEnv}, {configured, FromConfig}} {
		if d.Path != "" {
			return d, check(d)
		}
	}
	if c := getenv("XDG_CACHE_HOME"); c != "" {
		return Dir{Path: filepath.Join(c, "regprune", "state")}, nil
	}
	if h := getenv("HOME"); h != "" {
		return Dir{Path: filepath.Join(h, ".cache", "regprune", "state")}, nil
	}
	return Dir{}, nil
}

// UnusableError: a state directory the user named cannot be used.
type UnusableError struct {
	Dir
	// Why is what is wrong with it.
	Why string
	// Err is the file system's error, if any.
	Err error
}

func (e *UnusableError) Error() string {
	s := e.From + " " + e.Path + ": " + e.Why
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

func (e *UnusableError) Unwrap() error { return e.Err }

// check refuses a named directory that is not a directory, cannot be
// created or cannot be written.
func check(d Dir) error {
	if fi, err := os.Stat(d.Path); err == nil && !fi.IsDir() {
		return &UnusableError{Dir: d, Why: "not a directory"}
	}
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return &UnusableError{Dir: d, Why: "the state directory cannot be created", Err: err}
	}
	fh, err := os.CreateTemp(d.Path, ".regprune-check-*")
	if err != nil {
		return &UnusableError{Dir: d, Why: "the state directory cannot be written", Err: err}
	}
	fh.Close()
	return os.Remove(fh.Name())
}
