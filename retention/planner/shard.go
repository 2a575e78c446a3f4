package planner

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard selects the repositories one process of a sharded run owns. Each
// repository belongs to exactly one shard, by a stable hash of its full
// name, so N shards together plan what one process plans, and all of a
// repository's deletions happen in one shard.
type Shard struct {
	// Index is 0-based, as Kubernetes' JOB_COMPLETION_INDEX.
	Index int
	// Count is the number of shards; 0 or 1 means no sharding.
	Count int
}

// ParseShard reads "I/N" (0 <= I < N).
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want I/N, such as 0/4", s)
	}
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want I/N with whole numbers, such as 0/4", s)
	}
	return NewShard(idx, cnt)
}

// NewShard checks 0 <= index < count.
func NewShard(index, count int) (Shard, error) {
	if count < 1 {
		return Shard{}, fmt.Errorf("shard count %d: must be at least 1", count)
	}
	if index < 0 || index >= count {
		return Shard{}, fmt.Errorf("shard index %d: must be from 0 to %d", index, count-1)
	}
	return Shard{Index: index, Count: count}, nil
}

// Owns reports whether the repository (or failed pattern) belongs to
// this shard.
func (s Shard) Owns(name string) bool {
	if s.Count <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	return int(h.Sum64()%uint64(s.Count)) == s.Index
}

// String formats the shard as I/N.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }
