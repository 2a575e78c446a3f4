package layout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/regprune/regprune/retention/manifest"
)

// maxIndexBytes bounds index.json: 10,000 entries take about 3 MB, so 64
// MiB leaves room while refusing to read a runaway file into memory.
const maxIndexBytes = 64 << 20

// descriptor is the part of an OCI descriptor the pruner reads.
type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Platform is read to tell an index's attestations from its images.
	Platform *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform,omitempty"`
}

// entry is one descriptor of index.json, kept as written so that a
// rewrite changes nothing but the removed entries.
type entry struct {
	raw  json.RawMessage
	desc descriptor
	ref  ref
}

// indexFile is index.json: its top-level fields as written and its
// entries.
type indexFile struct {
	fields  map[string]json.RawMessage
	entries []entry
	perm    fs.FileMode
	owner   fs.FileInfo // index.json as read: its owner is kept
	// raw is the file as read, to notice a writer that ignored the lock.
	raw []byte
}

// checkLayout reports whether root looks like an OCI image layout before
// anything (such as the lock file) is created in it.
func checkLayout(root string) error {
	for _, f := range []string{"oci-layout", "index.json"} {
		st, err := os.Stat(filepath.Join(root, f))
		if errors.Is(err, fs.ErrNotExist) || err == nil && !st.Mode().IsRegular() {
			return fmt.Errorf("reading %s: %w", f, ErrNotLayout)
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", f, err)
		}
	}
	return nil
}

// readIndex reads index.json; bare names the repository of bare tags.
func readIndex(root, bare string) (*indexFile, error) {
	f, err := os.Open(filepath.Join(root, "index.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading index.json: %w", ErrNotLayout)
	}
	if err != nil {
		return nil, fmt.Errorf("reading index.json: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading index.json: %w", err)
	}
	if st.Size() > maxIndexBytes {
		return nil, fmt.Errorf("reading index.json: %d bytes is over the %d-byte limit", st.Size(), maxIndexBytes)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("reading index.json: %w", err)
	}
	idx, err := parseIndex(buf.Bytes(), bare)
	if err != nil {
		return nil, fmt.Errorf("parsing index.json: %w", err)
	}
	idx.perm = st.Mode().Perm()
	idx.owner = st
	idx.raw = buf.Bytes()
	return idx, nil
}

func parseIndex(b []byte, bare string) (*indexFile, error) {
	idx := &indexFile{}
	if err := json.Unmarshal(b, &idx.fields); err != nil {
		return nil, err
	}
	if idx.fields == nil {
		return nil, errors.New("not a JSON object")
	}
	for k := range idx.fields {
		// Go's decoder (and so go-containerregistry and many tools) read
		// "Manifests" as the entries; reading it as no entries would let
		// the sweep take every blob.
		if k != "manifests" && strings.EqualFold(k, "manifests") {
			return nil, fmt.Errorf("field %q: the entries must be under \"manifests\"", k)
		}
	}
	var raws []json.RawMessage
	if m, ok := idx.fields["manifests"]; ok {
		if err := json.Unmarshal(m, &raws); err != nil {
			return nil, fmt.Errorf("manifests: %w", err)
		}
	}
	idx.entries = make([]entry, 0, len(raws))
	for i, r := range raws {
		e := entry{raw: r}
		if err := json.Unmarshal(r, &e.desc); err != nil {
			return nil, fmt.Errorf("manifests[%d]: %w", i, err)
		}
		if !validDigest(e.desc.Digest) {
			return nil, fmt.Errorf("manifests[%d]: invalid digest %q", i, e.desc.Digest)
		}
		e.ref = parseRef(e.desc.Annotations[manifest.AnnotationRefName], bare)
		idx.entries = append(idx.entries, e)
	}
	return idx, nil
}

// encode returns index.json with only the given entries, every other
// field as it was.
func (idx *indexFile) encode(keep []entry) ([]byte, error) {
	raws := make([]json.RawMessage, len(keep))
	for i, e := range keep {
		raws[i] = e.raw
	}
	m, err := json.Marshal(raws)
	if err != nil {
		return nil, fmt.Errorf("encoding manifests: %w", err)
	}
	fields := make(map[string]json.RawMessage, len(idx.fields)+1)
	for k, v := range idx.fields {
		fields[k] = v
	}
	fields["manifests"] = m
	b, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding index.json: %w", err)
	}
	return append(b, '\n'), nil
}

// writeIndex replaces root/index.json with b atomically: a temporary file
// in the same directory, synced, renamed over the old one, and the
// directory synced. A crash at any point leaves either the old or the new
// index.json, never a mix; a leftover temporary file is never read.
func writeIndex(root string, old, b []byte, perm fs.FileMode, owner fs.FileInfo, beforeRename func(string) error) (err error) {
	tmp, err := os.CreateTemp(root, ".index.json.regprune-*.tmp")
	if err != nil {
		return fmt.Errorf("creating temporary index: %w", err)
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("writing temporary index: %w", err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("setting mode of temporary index: %w", err)
	}
	if owner != nil {
		// Root pruning a user's layout must not leave the user a
		// root-owned index.json. Anyone else cannot change the owner, and
		// needs not: the file is theirs already.
		if st, ok := owner.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 {
			if err := tmp.Chown(int(st.Uid), int(st.Gid)); err != nil {
				return fmt.Errorf("setting owner of temporary index: %w", err)
			}
		}
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing temporary index: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing temporary index: %w", err)
	}
	if beforeRename != nil {
		if err := beforeRename(tmp.Name()); err != nil {
			return fmt.Errorf("replacing index.json: %w", err)
		}
	}
	// The lock only binds cooperating writers: refuse to replace an
	// index.json that another writer changed since it was read.
	now, err := os.ReadFile(filepath.Join(root, "index.json"))
	if err != nil {
		return fmt.Errorf("re-reading index.json: %w", err)
	}
	if !bytes.Equal(now, old) {
		return ErrChanged
	}
	if err := os.Rename(tmp.Name(), filepath.Join(root, "index.json")); err != nil {
		return fmt.Errorf("replacing index.json: %w", err)
	}
	renamed = true
	d, err := os.Open(root)
	if err != nil {
		return fmt.Errorf("syncing layout directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing layout directory: %w", err)
	}
	return nil
}
