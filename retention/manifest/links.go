package manifest

import (
	"encoding/json"
	"fmt"
	"mime"
)

// Links is what a manifest's bytes say of the manifests around it: its
// media type (the body's, else the response's content type), the
// subject it refers to, and an index's children in its order.
type Links struct {
	MediaType string
	Subject   string
	Children  []string
}

// ParseLinks reads Links from a manifest's bytes and the content type it
// was served with.
func ParseLinks(raw []byte, contentType string) (Links, error) {
	var m struct {
		MediaType string `json:"mediaType"`
		Subject   *struct {
			Digest string `json:"digest"`
		} `json:"subject"`
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return Links{}, fmt.Errorf("parsing a manifest: %w", err)
	}
	l := Links{MediaType: m.MediaType}
	if l.MediaType == "" {
		l.MediaType, _, _ = mime.ParseMediaType(contentType)
	}
	if m.Subject != nil {
		l.Subject = m.Subject.Digest
	}
	for _, c := range m.Manifests {
		l.Children = append(l.Children, c.Digest)
	}
	return l, nil
}
