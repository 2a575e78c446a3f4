package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// image is what the backend knows of one image.
type image struct {
	ID string
	// Tags are references "repo:tag" and Digests "repo@sha256:…", as the
	// engine shows them.
	Tags    []string
	Digests []string
	// Created is the config's creation time; LastTagTime the engine's
	// record of the last local tag (zero when it never set one).
	Created     time.Time
	LastTagTime time.Time
	// Chains are the chain IDs of the image's layers, bottom first: two
	// images share a layer exactly when they share its chain ID.
	Chains []string
	// Size and SharedSize come from the image list (SharedSize -1 when
	// the engine did not compute it).
	Size, SharedSize int64
	// Unreadable says why the image could not be inspected; such an
	// image is kept with all its references.
	Unreadable string
}

// inventory is one reading of the engine.
type inventory struct {
	images []*image // sorted by ID
	byID   map[string]*image
	byRef  map[string]*image // tags and digest references
	// users maps an image ID to the containers (any state) using it,
	// as "name (state)".
	users map[string][]string
}

// readInventory lists the images (top-level, as `docker images` does:
// intermediate images of the classic builder go with their children),
// inspects each for LastTagTime, Created and its layers, and lists every
// container in any state.
func readInventory(ctx context.Context, cli *client.Client) (*inventory, error) {
	list, err := cli.ImageList(ctx, client.ImageListOptions{SharedSize: true})
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	inv := &inventory{byID: map[string]*image{}, byRef: map[string]*image{}, users: map[string][]string{}}
	for _, s := range list.Items {
		ins, err := cli.ImageInspect(ctx, s.ID)
		if cerrdefs.IsNotFound(err) {
			continue // removed since the listing
		}
		img := &image{ID: s.ID, Size: s.Size, SharedSize: s.SharedSize}
		if err != nil {
			// One image the engine cannot describe (a containerd-store
			// image missing content, say) must not stop the run: it is
			// kept, by what the list says of it.
			img.Tags, img.Digests = realRefs(s.RepoTags), realRefs(s.RepoDigests)
			img.Unreadable = fmt.Sprintf("inspecting image %s: %v", s.ID, err)
			img.Created = time.Unix(s.Created, 0)
		} else {
			img.Tags, img.Digests = realRefs(ins.RepoTags), realRefs(ins.RepoDigests)
			img.LastTagTime = ins.Metadata.LastTagTime
			img.Chains = chainIDs(ins.RootFS.Layers)
			if t, err := time.Parse(time.RFC3339Nano, ins.Created); err == nil {
				img.Created = t
			} else if s.Created > 0 {
				img.Created = time.Unix(s.Created, 0)
			}
		}
		inv.images = append(inv.images, img)
		inv.byID[img.ID] = img
		for _, r := range append(append([]string{}, img.Tags...), img.Digests...) {
			inv.byRef[r] = img
		}
	}
	sort.Slice(inv.images, func(i, j int) bool { return inv.images[i].ID < inv.images[j].ID })

	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	for _, c := range cs.Items {
		who := containerName(c.Names, c.ID) + " (" + string(c.State) + ")"
		used := map[string]bool{}
		if img := inv.lookup(c.ImageID); img != nil {
			used[img.ID] = true
		} else if img := inv.lookup(c.Image); img != nil {
			used[img.ID] = true
		}
		// Image mounts (--mount type=image) use an image too.
		for _, m := range c.Mounts {
			if m.Type != "image" {
				continue
			}
			for _, r := range []string{m.Name, m.Source} {
				if img := inv.lookup(r); img != nil {
					used[img.ID] = true
				}
			}
		}
		for id := range used {
			inv.users[id] = append(inv.users[id], who)
		}
	}
	for id := range inv.users {
		sort.Strings(inv.users[id])
	}
	return inv, nil
}

// lookup finds an image by ID, reference or familiar reference without
// a tag (":latest").
func (inv *inventory) lookup(ref string) *image {
	if ref == "" {
		return nil
	}
	if img := inv.byID[ref]; img != nil {
		return img
	}
	if img := inv.byID["sha256:"+ref]; img != nil {
		return img
	}
	if img := inv.byRef[ref]; img != nil {
		return img
	}
	if !strings.Contains(ref, "@") && tagOf(ref) == "" {
		return inv.byRef[ref+":latest"]
	}
	return nil
}

// realRefs drops the "<none>:<none>" and "<none>@<none>" placeholders
// older engines list for untagged images.
func realRefs(refs []string) []string {
	out := []string{}
	for _, r := range refs {
		if !strings.HasPrefix(r, "<none>") {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

func containerName(names []string, id string) string {
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// chainIDs turns diff IDs into chain IDs (the OCI image spec's
// ChainID): the graph driver and the snapshotters key layers by them.
func chainIDs(diffIDs []string) []string {
	out := make([]string, 0, len(diffIDs))
	prev := ""
	for _, d := range diffIDs {
		if prev == "" {
			prev = d
		} else {
			sum := sha256.Sum256([]byte(prev + " " + d))
			prev = "sha256:" + hex.EncodeToString(sum[:])
		}
		out = append(out, prev)
	}
	return out
}

// splitRef splits "repo:tag" or "repo@digest" into the repository and
// the tag or digest.
func splitRef(ref string) (repo, tagOrDigest string) {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i], ref[i+1:]
	}
	if t := tagOf(ref); t != "" {
		return ref[:len(ref)-len(t)-1], t
	}
	return ref, ""
}

// tagOf returns the tag of a reference: what follows the last colon after
// the last slash ("localhost:5000/app" has none).
func tagOf(ref string) string {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ""
	}
	return ref[i+1:]
}
