package seed

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// LayoutEntry is one entry of an OCI image layout to seed: an image (or,
// with Index, a multi-arch index) created at Created and named by Ref in
// its org.opencontainers.image.ref.name annotation ("" for none).
type LayoutEntry struct {
	Ref     string
	Created time.Time
	Index   bool
}

// Layout writes an OCI image layout at dir with the entries, in order,
// and returns each entry's digest keyed by Ref. age, when positive,
// back-dates every file of the layout by that much, as a cache filled
// over time would be (a pruner leaves recently written blobs alone).
func Layout(dir string, entries []LayoutEntry, age time.Duration) (map[string]string, error) {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return nil, fmt.Errorf("writing layout %s: %w", dir, err)
	}
	digests := map[string]string{}
	for i, e := range entries {
		var opts []layout.Option
		if e.Ref != "" {
			opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": e.Ref}))
		}
		var m Pushable
		if e.Index {
			idx, err := Index(e.Created, nil)
			if err != nil {
				return nil, err
			}
			err = p.AppendIndex(idx, opts...)
			m = idx
			if err != nil {
				return nil, fmt.Errorf("writing layout entry %d (%q): %w", i, e.Ref, err)
			}
		} else {
			img, err := Image(e.Created)
			if err != nil {
				return nil, err
			}
			if err := p.AppendImage(img, opts...); err != nil {
				return nil, fmt.Errorf("writing layout entry %d (%q): %w", i, e.Ref, err)
			}
			m = img
		}
		d, err := Descriptor(m)
		if err != nil {
			return nil, err
		}
		digests[e.Ref] = d.Digest.String()
	}
	if age > 0 {
		then := time.Now().Add(-age)
		err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Chtimes(path, then, then)
		})
		if err != nil {
			return nil, fmt.Errorf("back-dating layout %s: %w", dir, err)
		}
	}
	return digests, nil
}
