package layout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// LockFile is the advisory lock, relative to the layout's root. Writers
// that cooperate take flock(LOCK_EX) on it while they change the layout;
// regprune takes LOCK_SH to plan and LOCK_EX to apply, waiting at most
// lockGrace.
const LockFile = ".regprune.lock"

// lockGrace is how long acquire tries again on a held lock. A lock this
// process just released can stay held for a moment by a child forked
// meanwhile (a credential helper, a test's subprocess): the child shares
// the open file until it execs. A writer that holds the lock for real is
// still ErrLocked after it.
const lockGrace = 500 * time.Millisecond

// lock is a held flock.
type lock struct{ f *os.File }

// acquire takes the layout's lock, waiting at most lockGrace: exclusive
// to apply, shared to plan. A layout locked by another process is
// ErrLocked.
func acquire(root string, exclusive bool) (*lock, error) {
	f, err := openLock(root)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for deadline := time.Now().Add(lockGrace); ; {
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("locking %s: %w", LockFile, err)
	}
	return &lock{f: f}, nil
}

// openLock opens the lock file read-only (flock needs no write access,
// so a lock file another user created, root running a one-off apply, does
// not lock the layout's owner out), creating it when missing, owned like
// the layout's index.json.
func openLock(root string) (*os.File, error) {
	p := filepath.Join(root, LockFile)
	for {
		f, err := os.Open(p)
		if !errors.Is(err, os.ErrNotExist) {
			return f, err
		}
		f, err = os.OpenFile(p, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue // created meanwhile by another process
		}
		if err != nil {
			return nil, err
		}
		if fi, serr := os.Stat(filepath.Join(root, "index.json")); serr == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 {
				_ = f.Chown(int(st.Uid), int(st.Gid)) // best effort: the lock works either way
			}
		}
		return f, nil
	}
}

// release drops the lock; closing the file releases the flock.
func (l *lock) release() {
	if l != nil {
		l.f.Close()
	}
}
