package layout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// maxManifestBytes is the manifest size limit registries enforce (4 MiB);
// a blob over it is not read as a manifest.
const maxManifestBytes = 4 << 20

// blobInfo is what the sweep needs of a blob file.
type blobInfo struct {
	size  int64
	mtime time.Time
}

// store reads a layout's blobs, parsing each manifest once.
type store struct {
	root string
	// blobs holds every file the sweep may manage: regular files under
	// blobs/sha256 and blobs/sha512 named by a valid digest.
	blobs map[string]blobInfo
	// nodes holds parsed manifests and indexes by digest.
	nodes map[string]*node
	// subjects maps a digest to the manifests whose subject it is.
	subjects map[string][]string
	// opaque holds blobs of unknown media types read as manifests by
	// the mark (nil: not one).
	opaque map[string]*node
}

// listBlobs takes the inventory of blobs/. A layout without blobs/ has
// none.
func listBlobs(ctx context.Context, root string) (*store, error) {
	s := &store{root: root, blobs: map[string]blobInfo{}, nodes: map[string]*node{}, subjects: map[string][]string{}, opaque: map[string]*node{}}
	if err := ownBlobs(root); err != nil {
		return nil, err
	}
	for _, alg := range []string{"sha256", "sha512"} {
		dir := filepath.Join(root, "blobs", alg)
		des, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing blobs: %w", err)
		}
		for _, de := range des {
			if !de.Type().IsRegular() || !blobDigest(alg, de.Name()) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("listing blobs: %w", err)
			}
			fi, err := de.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("listing blobs: %w", err)
			}
			s.blobs[alg+":"+de.Name()] = blobInfo{size: fi.Size(), mtime: fi.ModTime()}
		}
	}
	return s, nil
}

// ownBlobs refuses a layout whose blobs folder (or blobs/<alg>) is a
// symbolic link or resolves outside the layout: its blobs may be another
// layout's, and a sweep here would remove what that layout keeps. Two
// layouts sharing blobs through a link each swept the other's kept
// images. Such a layout is a per-cache error: nothing in it is touched.
func ownBlobs(root string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("resolving the layout: %w", err)
	}
	for _, rel := range []string{"blobs", filepath.Join("blobs", "sha256"), filepath.Join("blobs", "sha512")} {
		p := filepath.Join(root, rel)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("checking %s: %w", rel, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			return fmt.Errorf("%w: %s is a symbolic link (to %s); its blobs may belong to another layout, so this layout is not pruned", ErrSharedBlobs, rel, target)
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return fmt.Errorf("checking %s: %w", rel, err)
		}
		if r, err := filepath.Rel(realRoot, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%w: %s resolves to %s, outside the layout; this layout is not pruned", ErrSharedBlobs, rel, real)
		}
	}
	return nil
}

// path returns the file of a sha256 or sha512 blob, or "" for any other
// digest (which the layout cannot hold under a name the sweep manages).
func (s *store) path(digest string) string {
	alg, hex, _ := strings.Cut(digest, ":")
	if !blobDigest(alg, hex) {
		return ""
	}
	return filepath.Join(s.root, "blobs", alg, hex)
}

// read returns a blob's content, at most limit bytes; ok is false when
// the layout does not hold it.
func (s *store) read(digest string, limit int64) (b []byte, ok bool, err error) {
	p := s.path(digest)
	if p == "" {
		return nil, false, nil
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading blob %s: %w", digest, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, false, fmt.Errorf("reading blob %s: %w", digest, err)
	}
	if n > limit {
		return nil, false, fmt.Errorf("reading blob %s: over the %d-byte limit", digest, limit)
	}
	return buf.Bytes(), true, nil
}

// maxConfigBytes bounds a config blob read for its creation time: image
// configs with long histories reach a few MiB.
const maxConfigBytes = 16 << 20
