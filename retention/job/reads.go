package job

import (
	"sync"
	"time"

	"github.com/regprune/regprune/retention"
)

// Reads are the listings a plan of this process took, each with when its
// first request was sent. Apply hands one to the gate as the repository's
// first resolution while it is younger than verifyWindow, so a tag read
// by the plan is not resolved again, and it starts with the repositories
// read last, whose reads are freshest. A listing serves once; a saved
// plan never uses them.
type Reads struct {
	mu sync.Mutex
	m  map[string]read
}

type read struct {
	began time.Time
	l     retention.Listing
	rp    retention.RepoPlan
}

// NewReads returns an empty set of reads, for a Plan and the Apply of
// its plan in one process.
func NewReads() *Reads { return &Reads{m: map[string]read{}} }

func (r *Reads) put(repo string, began time.Time, l retention.Listing, rp retention.RepoPlan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[repo] = read{began: began, l: l, rp: rp}
}

// take returns repo's read if it began less than window before now,
// and forgets it either way.
func (r *Reads) take(repo string, now time.Time, window time.Duration) (read, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rd, ok := r.m[repo]
	delete(r.m, repo)
	return rd, ok && now.Sub(rd.began) < window
}

// began is when repo's read began (zero when there is none).
func (r *Reads) began(repo string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[repo].began
}
