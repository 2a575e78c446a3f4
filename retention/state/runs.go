package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/regprune/regprune/retention"
)

var runsBucket = []byte("runs")

// DefaultRunRetention drops a recorded run once its last deletion is
// this old: GHCR's restore window, after which a deleted version is gone
// there for good.
const DefaultRunRetention = 30 * 24 * time.Hour

// Deleted is one manifest an apply deleted, as it was: the one record
// of a run, written by RecordDeletion, read by Deletions, and what
// restore puts back.
type Deleted struct {
	Repository  string         `json:"repository"`
	Digest      string         `json:"digest"`
	Kind        retention.Kind `json:"kind"`
	Parent      string         `json:"parent,omitempty"`
	Tags        []string       `json:"tags,omitempty"`
	ContentType string         `json:"contentType"`
	// Raw is the manifest's bytes. They are stored in the content
	// bucket, once for the cache and every run, when they hash to
	// Digest; Deletions fills them in.
	Raw       []byte    `json:"raw,omitempty"`
	DeletedAt time.Time `json:"deletedAt"`
}

// Run is a recorded apply.
type Run struct {
	ID        string
	Started   time.Time
	Manifests int
}

// Deletions returns what run runID recorded, in the order it deleted.
func (s *Store) Deletions(runID string) ([]Deleted, error) {
	var out []Deleted
	err := s.db.View(func(tx *bolt.Tx) error {
		run := tx.Bucket(runsBucket).Bucket([]byte(runID))
		if run == nil {
			return fmt.Errorf("no run %s is recorded in the state directory (regprune restore --list shows those that are)", runID)
		}
		return run.ForEach(func(_, v []byte) error {
			var d Deleted
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("reading run %s: %w", runID, err)
			}
			if len(d.Raw) == 0 {
				d.Raw = content(tx, d.Digest)
			}
			out = append(out, d)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].DeletedAt.Before(out[j].DeletedAt) })
	return out, err
}

// Runs lists the recorded runs, newest first.
func (s *Store) Runs() ([]Run, error) {
	var out []Run
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(runsBucket).ForEachBucket(func(k []byte) error {
			r := Run{ID: string(k)}
			_ = tx.Bucket(runsBucket).Bucket(k).ForEach(func(_, v []byte) error {
				var d Deleted
				if json.Unmarshal(v, &d) == nil && (r.Started.IsZero() || d.DeletedAt.Before(r.Started)) {
					r.Started = d.DeletedAt
				}
				r.Manifests++
				return nil
			})
			out = append(out, r)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out, err
}

// RecordDeletion keeps the manifest apply is about to delete, under the
// run's id: the one way a run's record is written (execute.Recorder).
// d gives its digest, kind, parent and the tags the DELETE takes; raw
// and contentType are its bytes as the registry served them. A second
// call for the same manifest in the same run replaces the first.
func (s *Store) RecordDeletion(runID, repo string, d retention.Deletion, raw []byte, contentType string) error {
	rec := Deleted{
		Repository: repo, Digest: d.Digest, Kind: d.Kind, Parent: d.Parent, Tags: d.Tags,
		ContentType: contentType, DeletedAt: time.Now().UTC(),
	}
	return s.db.Batch(func(tx *bolt.Tx) error {
		shared, err := putContent(tx, d.Digest, raw)
		if err != nil {
			return err
		}
		r := rec
		if !shared {
			r.Raw = raw
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		run, err := tx.Bucket(runsBucket).CreateBucketIfNotExists([]byte(runID))
		if err != nil {
			return err
		}
		return run.Put([]byte(retention.CanonicalName(repo)+"@"+d.Digest), b)
	})
}

// ExpireRuns drops the runs whose last deletion was longer than after
// ago (0: the default), and those with no readable deletion, and returns
// how many.
func (s *Store) ExpireRuns(after time.Duration) (int, error) {
	if after <= 0 {
		after = DefaultRunRetention
	}
	cutoff := time.Now().Add(-after)
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		runs := tx.Bucket(runsBucket)
		var old [][]byte
		err := runs.ForEachBucket(func(k []byte) error {
			var last time.Time
			err := runs.Bucket(k).ForEach(func(_, v []byte) error {
				var d Deleted
				if json.Unmarshal(v, &d) == nil && d.DeletedAt.After(last) {
					last = d.DeletedAt
				}
				return nil
			})
			if last.Before(cutoff) {
				old = append(old, bytes.Clone(k))
			}
			return err
		})
		for _, k := range old {
			if err == nil {
				err = runs.DeleteBucket(k)
				n++
			}
		}
		if err == nil && n > 0 {
			err = sweep(tx)
		}
		return err
	})
	if err != nil {
		n = 0
	}
	return n, err
}
