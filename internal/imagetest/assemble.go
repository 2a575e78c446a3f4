package imagetest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// BaseImage is the base the assembled image stands in for: Assemble lays
// out what this image provides and refuses a final stage built on another,
// whose layout (a shell, another user database) the test would not know.
const BaseImage = "gcr.io/distroless/static-debian12:nonroot"

// What the base image provides: the user and group nonroot (65532), CA
// certificates at the path Go's crypto/x509 reads first on Linux, a
// world-writable /tmp, and distroless's environment.
const (
	NonrootUID  = 65532
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
	homeDir     = "/home/nonroot"
	passwd      = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n"
)

// BaseEnv is the base image's environment.
var BaseEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"SSL_CERT_FILE=" + CACertsPath,
}

// Assemble builds the image the final stage st describes, for linux/arch:
// a layer standing in for BaseImage (with caCerts as its CA bundle), one
// layer per COPY, whose sources come from files (keyed by the COPY's
// source path: "/out/regprune", mode 0755), and st's USER, ENTRYPOINT
// and LABELs in the config.
func Assemble(st Stage, files map[string][]byte, caCerts []byte, arch string) (v1.Image, error) {
	if st.From != BaseImage {
		return nil, fmt.Errorf("assembling the image: the final stage is FROM %q; the test lays out only %q", st.From, BaseImage)
	}
	base, err := layer([]entry{
		dir("etc/", 0o755, 0),
		file("etc/passwd", 0o644, []byte(passwd)),
		file("etc/group", 0o644, []byte(group)),
		dir("etc/ssl/", 0o755, 0),
		dir("etc/ssl/certs/", 0o755, 0),
		file(strings.TrimPrefix(CACertsPath, "/"), 0o644, caCerts),
		dir("home/", 0o755, 0),
		dir(strings.TrimPrefix(homeDir, "/")+"/", 0o700, NonrootUID),
		dir("tmp/", 0o1777, 0),
		dir("usr/", 0o755, 0),
		dir("usr/local/", 0o755, 0),
		dir("usr/local/bin/", 0o755, 0),
	})
	if err != nil {
		return nil, fmt.Errorf("assembling the base layer: %w", err)
	}
	layers := []v1.Layer{base}
	for _, c := range st.Copies {
		l, err := copyLayer(c, files)
		if err != nil {
			return nil, fmt.Errorf("assembling COPY %s %s: %w", strings.Join(c.Sources, " "), c.Dest, err)
		}
		layers = append(layers, l)
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return nil, fmt.Errorf("assembling the image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("assembling the image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.Env = append([]string(nil), BaseEnv...)
	cf.Config.WorkingDir = homeDir
	cf.Config.User = st.User
	cf.Config.Entrypoint = st.Entrypoint
	cf.Config.Labels = st.Labels
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("assembling the image config: %w", err)
	}
	return img, nil
}

// copyLayer lays out one COPY: each source at dest, or under dest when it
// ends in a slash or there are several sources, as docker build does.
func copyLayer(c Copy, files map[string][]byte) (v1.Layer, error) {
	if len(c.Sources) > 1 && !strings.HasSuffix(c.Dest, "/") {
		return nil, fmt.Errorf("several sources need a destination ending in /")
	}
	var entries []entry
	for _, src := range c.Sources {
		b, ok := files[src]
		if !ok {
			return nil, fmt.Errorf("no content given for %s", src)
		}
		dest := c.Dest
		if strings.HasSuffix(dest, "/") {
			dest += path.Base(src)
		}
		if !path.IsAbs(dest) {
			return nil, fmt.Errorf("relative destination %q", dest)
		}
		entries = append(entries, file(strings.TrimPrefix(path.Clean(dest), "/"), 0o755, b))
	}
	return layer(entries)
}

type entry struct {
	hdr  tar.Header
	body []byte
}

func dir(name string, mode int64, uid int) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: uid, Gid: uid}}
}

func file(name string, mode int64, body []byte) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body))}, body: body}
}

// layer writes entries, sorted by name so parents come first, into an
// in-memory tar and makes a gzip layer of it.
func layer(entries []entry) (v1.Layer, error) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].hdr.Name < entries[j].hdr.Name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(&hdr); err != nil {
			return nil, fmt.Errorf("writing %s: %w", hdr.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("writing %s: %w", hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing the layer: %w", err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("making a layer: %w", err)
	}
	return l, nil
}
