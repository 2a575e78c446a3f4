package job

import (
	"fmt"
	"strconv"

	"github.com/regprune/regprune/retention/planner"
)

// ResolveShard is the shard of a run: flag ("I/N", the --shard flag),
// or count shards (the --shards flag, else REGPRUNE_SHARDS, read with
// getenv) with the index from JOB_COMPLETION_INDEX, as a Kubernetes
// Indexed Job sets it. No sharding is shard 0 of 1. An error names the
// flag or the variable at fault.
func ResolveShard(flag string, count int, getenv func(string) string) (Shard, error) {
	if flag != "" {
		if count != 0 {
			return Shard{}, fmt.Errorf("--shard %s and --shards %d: give one of them (--shards takes the index from JOB_COMPLETION_INDEX)", flag, count)
		}
		s, err := planner.ParseShard(flag)
		if err != nil {
			return s, fmt.Errorf("--shard: %v", err)
		}
		return s, nil
	}
	n, err := shardCount(count, getenv)
	if err != nil || n == 0 || n == 1 {
		return Shard{}, err
	}
	v := getenv("JOB_COMPLETION_INDEX")
	if v == "" {
		return Shard{}, fmt.Errorf("%d shards need the shard index: set JOB_COMPLETION_INDEX (a Kubernetes Indexed Job does) or use --shard I/N", n)
	}
	idx, err := strconv.Atoi(v)
	if err != nil {
		return Shard{}, fmt.Errorf("JOB_COMPLETION_INDEX: %q is not a whole number", v)
	}
	s, err := planner.NewShard(idx, n)
	if err != nil {
		return s, fmt.Errorf("sharding: %v", err)
	}
	return s, nil
}

// shardCount is count, or REGPRUNE_SHARDS when count is 0.
func shardCount(count int, getenv func(string) string) (int, error) {
	if count < 0 {
		return 0, fmt.Errorf("--shards: %d is not a number of shards (at least 1)", count)
	}
	if count != 0 {
		return count, nil
	}
	v := getenv("REGPRUNE_SHARDS")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("REGPRUNE_SHARDS: %q is not a whole number", v)
	}
	if n < 1 {
		return 0, fmt.Errorf("REGPRUNE_SHARDS: %d is not a number of shards (at least 1)", n)
	}
	return n, nil
}
