package oci

import (
	"context"
	"testing"
	"time"
)

// waitFor polls until s has n waiters (the goroutines queued).
func waitFor(t *testing.T, s *fairSlots, n int) {
	t.Helper()
	for range 10000 {
		s.mu.Lock()
		got := len(s.waiting)
		s.mu.Unlock()
		if got == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("waiters never reached %d", n)
}

func acquireAsync(s *fairSlots, key string) chan error {
	done := make(chan error, 1)
	go func() { done <- s.acquire(context.Background(), key) }()
	return done
}

func granted(ch chan error) bool {
	select {
	case err := <-ch:
		return err == nil
	default:
		return false
	}
}

// TestFairSlotsFewestHeldFirst: a freed slot goes to the waiting key that
// holds the fewest, even when another key has waited longer.
func TestFairSlotsFewestHeldFirst(t *testing.T) {
	s := newFairSlots(2)
	ctx := context.Background()
	for range 2 {
		if err := s.acquire(ctx, "slow"); err != nil {
			t.Fatal(err)
		}
	}
	slow := acquireAsync(s, "slow")
	waitFor(t, s, 1)
	fast := acquireAsync(s, "fast")
	waitFor(t, s, 2)

	s.release("slow")
	select {
	case err := <-fast:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the key holding no slot did not get the freed one")
	}
	if granted(slow) {
		t.Fatal("the key holding a slot got the freed one before the key holding none")
	}
	s.release("fast")
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	// Alone, a key takes every slot.
	s.release("slow")
	s.release("slow")
	for range 2 {
		if err := s.acquire(ctx, "fast"); err != nil {
			t.Fatal(err)
		}
	}
	if s.free != 0 || s.held["fast"] != 2 || len(s.held) != 1 {
		t.Errorf("free %d, held %v; want 0 free, fast holding 2", s.free, s.held)
	}
}

// TestFairSlotsCancelledWaiter: a waiter whose context ends leaves the
// queue and takes no slot.
func TestFairSlotsCancelledWaiter(t *testing.T) {
	s := newFairSlots(1)
	if err := s.acquire(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.acquire(ctx, "b") }()
	waitFor(t, s, 1)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled wait got a slot")
	}
	s.release("a")
	if s.free != 1 || len(s.waiting) != 0 || len(s.held) != 0 {
		t.Errorf("free %d, waiting %d, held %v; want the slot back and nobody queued", s.free, len(s.waiting), s.held)
	}
}

// TestFairSlotsShareCapped: while another key is active, a key holds no
// more than its share, even with slots free; when the other key is done,
// it may take them all.
func TestFairSlotsShareCapped(t *testing.T) {
	s := newFairSlots(4)
	ctx := context.Background()
	if err := s.acquire(ctx, "fast"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.acquire(ctx, "slow"); err != nil {
			t.Fatal(err)
		}
	}
	third := acquireAsync(s, "slow")
	waitFor(t, s, 1)
	if granted(third) {
		t.Fatal("slow got a third of 4 slots while fast was active")
	}
	s.release("fast")
	select {
	case err := <-third:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("slow alone did not get a free slot")
	}
}
