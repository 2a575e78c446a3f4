package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's file format (go.etcd.io/bbolt/internal/common), as far as the
// check needs it: pages 0 and 1 are meta pages, each a 16-byte page
// header and then the meta, in the machine's byte order.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64 // magic, version, pageSize, flags, root (pgid, sequence), freelist, pgid, txid, checksum
	checksumAt     = 56 // the checksum is FNV-64a of the meta before it
	noFreelist     = ^uint64(0)
	minPageSize    = 1 << 10
	maxPageSize    = 1 << 24 // as far as bbolt itself looks for the second meta page
)

// meta is what a meta page says.
type meta struct {
	pageSize           uint64
	root, freelist, hw uint64 // hw: the high-water mark, the first page never allocated
}

// checkFile says why the file at path is not a database bbolt can map
// without faulting, or nil (also for no file, or an empty one, which
// bbolt initialises). bbolt maps the file and reads the pages its meta
// names: a file cut short (a full disk, a cache saved halfway) faults
// with SIGBUS, which no recover catches, where a short read would be an
// error. So the file must hold a meta page whose magic, version and
// checksum are right, and every such meta's pages must lie inside the
// file: root and freelist below the high-water mark, and the high-water
// mark times the page size no more than the file's size. A meta page
// that fails its checksum is one bbolt ignores too (a torn write, for
// which it keeps two).
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // missing, or not readable: bolt.Open says so
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	size := uint64(fi.Size())
	if size == 0 {
		return nil
	}
	m0, err0 := readMeta(f, 0)
	var pageSizes []uint64
	if err0 == nil {
		pageSizes = []uint64{m0.pageSize}
	} else {
		for ps := uint64(minPageSize); ps <= maxPageSize; ps <<= 1 {
			pageSizes = append(pageSizes, ps)
		}
	}
	var m1 meta
	err1 := fmt.Errorf("no second meta page")
	for _, ps := range pageSizes {
		if m, err := readMeta(f, int64(ps)); err == nil && m.pageSize == ps {
			m1, err1 = m, nil
			break
		} else if err != nil && ps == m0.pageSize {
			err1 = err
		}
	}
	if err0 != nil && err1 != nil {
		return fmt.Errorf("not a bbolt database: page 0: %v; page 1: %v", err0, err1)
	}
	for i, m := range []meta{m0, m1} {
		if []error{err0, err1}[i] != nil {
			continue
		}
		if err := m.fits(size); err != nil {
			return fmt.Errorf("meta page %d: %w", i, err)
		}
	}
	return nil
}

// fits says why m's pages are not all inside a file of size bytes.
func (m meta) fits(size uint64) error {
	switch {
	case m.hw < 2 || m.hw > size/m.pageSize:
		return fmt.Errorf("the file is %d bytes, shorter than the %d pages of %d bytes its meta page says were written", size, m.hw, m.pageSize)
	case m.root >= m.hw:
		return fmt.Errorf("the root page %d is past the high-water mark %d", m.root, m.hw)
	case m.freelist >= m.hw && m.freelist != noFreelist:
		return fmt.Errorf("the freelist page %d is past the high-water mark %d", m.freelist, m.hw)
	}
	return nil
}

// readMeta reads and validates the meta page at offset off.
func readMeta(f *os.File, off int64) (meta, error) {
	var b [pageHeaderSize + metaSize]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		if errors.Is(err, io.EOF) {
			return meta{}, fmt.Errorf("the file ends before it")
		}
		return meta{}, err
	}
	m := b[pageHeaderSize:]
	u32 := func(at int) uint32 { return binary.NativeEndian.Uint32(m[at:]) }
	u64 := func(at int) uint64 { return binary.NativeEndian.Uint64(m[at:]) }
	if u32(0) != boltMagic {
		return meta{}, fmt.Errorf("no bbolt magic number")
	}
	if v := u32(4); v != boltVersion {
		return meta{}, fmt.Errorf("format version %d, not %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(m[:checksumAt])
	if h.Sum64() != u64(checksumAt) {
		return meta{}, fmt.Errorf("checksum mismatch")
	}
	ps := uint64(u32(8))
	if ps < minPageSize || ps > maxPageSize || ps&(ps-1) != 0 {
		return meta{}, fmt.Errorf("page size %d", ps)
	}
	return meta{pageSize: ps, root: u64(16), freelist: u64(32), hw: u64(40)}, nil
}
