package config

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/regprune/regprune/retention"
)

// sameLayouts refuses two layout entries that are one directory on disk:
// the same path through a symbolic link, or relative and absolute
// spellings. (Compile has already refused spellings that filepath.Clean
// makes equal; this needs the file system, so it is not in the core.) A
// path that does not exist yet is compared as written.
func sameLayouts(cfg *retention.Config) error {
	if cfg.Local == nil {
		return nil
	}
	seen, blobs := map[string]int{}, map[string]int{}
	var errs []error
	for i, lc := range cfg.Local.Layouts {
		key := fmt.Sprintf("local.layouts[%d].path", i)
		real := resolved(lc.Path)
		if first, dup := seen[real]; dup {
			errs = append(errs, &retention.FieldError{
				Key: key,
				Msg: fmt.Sprintf("%q is %q, the layout of local.layouts[%d].path %q: one layout, configured twice", lc.Path, real, first, cfg.Local.Layouts[first].Path),
			})
			continue
		}
		seen[real] = i
		// Two layouts whose blobs folders are one (through a symbolic
		// link) would each sweep what the other keeps.
		b := resolved(filepath.Join(lc.Path, "blobs"))
		if first, dup := blobs[b]; dup {
			errs = append(errs, &retention.FieldError{
				Key: key,
				Msg: fmt.Sprintf("%q shares its blobs folder %q with local.layouts[%d].path %q: each would sweep the other's blobs", lc.Path, b, first, cfg.Local.Layouts[first].Path),
			})
			continue
		}
		blobs[b] = i
	}
	return errors.Join(errs...)
}

// resolved is path made absolute with its symbolic links followed, or as
// cleaned when it cannot be resolved.
func resolved(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}
