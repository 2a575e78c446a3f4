package toy

import (
	"crypto/sha256"
	"encoding/hex"
)

func digestOf(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}
