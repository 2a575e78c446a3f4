package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// estimate returns the bytes that removing the gone images frees: the
// sizes of the layers (by chain ID) that no remaining image has, each
// counted once. The API has no per-layer sizes for graph-driver stores,
// but an image's history does: its entries that made a layer carry that
// layer's own size, in order. When an image's history does not line up
// with its layers, its share is approximated by Size − SharedSize (the
// bytes no other image shares) if none of its layers is kept, and a note
// says so. The sum of image sizes is never used: it counts shared layers
// once per image.
func estimate(ctx context.Context, cli *client.Client, inv *inventory, gone map[string]bool) (int64, []string) {
	return estimateWith(inv, gone, func(img *image) ([]int64, error) { return layerSizes(ctx, cli, img) })
}

// estimateWith is estimate with the layer sizes of an image from sizes.
func estimateWith(inv *inventory, gone map[string]bool, sizesOf func(*image) ([]int64, error)) (int64, []string) {
	kept := map[string]bool{}
	for _, img := range inv.images {
		if !gone[img.ID] {
			for _, c := range img.Chains {
				kept[c] = true
			}
		}
	}
	sizes := map[string]int64{}
	var approx int64
	var notes []string
	for _, img := range inv.images {
		if !gone[img.ID] {
			continue
		}
		ls, err := sizesOf(img)
		if err == nil {
			for i, c := range img.Chains {
				if !kept[c] {
					sizes[c] = ls[i]
				}
			}
			continue
		}
		shared := false
		for _, c := range img.Chains {
			shared = shared || kept[c]
		}
		if !shared && img.SharedSize >= 0 && img.Size >= img.SharedSize {
			approx += img.Size - img.SharedSize
		}
		notes = append(notes, fmt.Sprintf("estimate for image %s approximated (%v)", img.ID, err))
	}
	total := approx
	for _, s := range sizes {
		total += s
	}
	return total, notes
}

// historyCache holds the layer sizes of the images a run may remove, read
// before they are gone, so that what the run removed can be measured
// after.
type historyCache map[string]historyEntry

type historyEntry struct {
	sizes []int64
	err   error
}

func readHistories(ctx context.Context, cli *client.Client, inv *inventory, ids map[string]bool) historyCache {
	hc := historyCache{}
	for id := range ids {
		if img := inv.byID[id]; img != nil {
			ls, err := layerSizes(ctx, cli, img)
			hc[id] = historyEntry{ls, err}
		}
	}
	return hc
}

func (hc historyCache) sizes(img *image) ([]int64, error) {
	if e, ok := hc[img.ID]; ok {
		return e.sizes, e.err
	}
	return nil, fmt.Errorf("history of %s not read", img.ID)
}

// layerSizes maps an image's history onto its layers, bottom first.
func layerSizes(ctx context.Context, cli *client.Client, img *image) ([]int64, error) {
	h, err := cli.ImageHistory(ctx, img.ID)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	var all, nonEmpty []int64
	for i := len(h.Items) - 1; i >= 0; i-- { // the API lists the newest first
		all = append(all, h.Items[i].Size)
		if h.Items[i].Size > 0 {
			nonEmpty = append(nonEmpty, h.Items[i].Size)
		}
	}
	switch n := len(img.Chains); {
	case len(nonEmpty) == n:
		return nonEmpty, nil
	case len(all) == n:
		return all, nil
	default:
		return nil, fmt.Errorf("history has %d entries (%d with a size) for %d layers", len(all), len(nonEmpty), n)
	}
}
