package layout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockFile is the advisory lock, relative to the layout's root. Writers
// that cooperate take flock(LOCK_EX) on it while they change the layout;
// regprune takes LOCK_SH to plan and LOCK_EX to apply, never waiting.
const LockFile = ".regprune.lock"

// lock is a held flock.
type lock struct{ f *os.File }

// acquire takes the layout's lock without waiting: exclusive to apply,
// shared to plan. A layout locked by another process is ErrLocked.
func acquire(root string, exclusive bool) (*lock, error) {
	f, err := os.OpenFile(filepath.Join(root, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
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

// release drops the lock; closing the file releases the flock.
func (l *lock) release() {
	if l != nil {
		l.f.Close()
	}
}
