package oci

import (
	"context"
	"sync"
)

// fairSlots bounds the client's requests in flight and shares them
// fairly between keys (repositories). A key is active while it holds or
// waits for a slot; none may hold more than its share, the slots divided
// by the active keys (rounded up), so a key alone takes every slot, and
// a freed slot goes to the waiting key that holds the fewest (the
// longest-waiting request first among equals). Without the cap, a slow
// repository takes every slot that is free for a moment and keeps it for
// as long as it takes to answer, until it holds them all while the
// others wait: 2,000 repositories planned in 90 s instead of 12.
type fairSlots struct {
	mu      sync.Mutex
	size    int // slots in all
	free    int
	held    map[string]int
	waiting []*slotWaiter // in order of arrival
}

type slotWaiter struct {
	key   string
	ready chan struct{}
}

func newFairSlots(n int) *fairSlots {
	return &fairSlots{size: n, free: n, held: map[string]int{}}
}

// acquire takes a slot for key, waiting until one is granted or ctx ends.
func (s *fairSlots) acquire(ctx context.Context, key string) error {
	s.mu.Lock()
	w := &slotWaiter{key: key, ready: make(chan struct{})}
	s.waiting = append(s.waiting, w)
	s.grant()
	s.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-w.ready: // granted meanwhile: hand it back
		s.releaseLocked(key)
	default:
		s.drop(w)
	}
	return ctx.Err()
}

// release gives back a slot key holds.
func (s *fairSlots) release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(key)
}

func (s *fairSlots) releaseLocked(key string) {
	s.held[key]--
	if s.held[key] <= 0 {
		delete(s.held, key)
	}
	s.free++
	s.grant()
}

// grant hands free slots to waiters: each to the first waiter of the key
// holding the fewest, among the keys below their share.
func (s *fairSlots) grant() {
	for s.free > 0 && len(s.waiting) > 0 {
		share := s.share()
		best := -1
		for i, w := range s.waiting {
			if s.held[w.key] < share && (best < 0 || s.held[w.key] < s.held[s.waiting[best].key]) {
				best = i
			}
		}
		if best < 0 {
			return // every waiter holds its share; a release changes that
		}
		w := s.waiting[best]
		s.waiting = append(s.waiting[:best], s.waiting[best+1:]...)
		s.free--
		s.held[w.key]++
		close(w.ready)
	}
}

// share is the most slots a key may hold: all slots divided by the
// active keys, rounded up.
func (s *fairSlots) share() int {
	active := len(s.held)
	counted := map[string]bool{}
	for _, w := range s.waiting {
		if _, holds := s.held[w.key]; !holds && !counted[w.key] {
			counted[w.key] = true
			active++
		}
	}
	return (s.size + active - 1) / max(active, 1)
}

// drop removes a waiter that gave up; the active keys may be fewer now.
func (s *fairSlots) drop(w *slotWaiter) {
	for i, x := range s.waiting {
		if x == w {
			s.waiting = append(s.waiting[:i], s.waiting[i+1:]...)
			break
		}
	}
	s.grant()
}
