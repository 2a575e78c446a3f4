package execute

import "github.com/regprune/regprune/retention"

// Counts is how far an apply has come: of Total deletions, how many were
// carried out, skipped (moved since planning, interrupted, braked) and
// failed. Only what was done counts as Deleted.
type Counts struct {
	Deleted, Skipped, Failed, Total int
}

// Settled is the number of deletions with an outcome.
func (c Counts) Settled() int { return c.Deleted + c.Skipped + c.Failed }

func (c *Counts) add(s retention.Status) {
	switch s {
	case retention.StatusDeleted:
		c.Deleted++
	case retention.StatusSkipped:
		c.Skipped++
	default:
		c.Failed++
	}
}
