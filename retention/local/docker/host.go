package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/moby/moby/client"
)

// endpoint is where the engine listens and how that was found.
type endpoint struct {
	host string
	// source says where host came from: "configuration", "DOCKER_HOST",
	// "docker context <name>" or "platform default".
	source string
	// tlsDir holds a context's ca.pem, cert.pem and key.pem, when it has
	// them.
	tlsDir string
}

// resolveHost finds the engine the way the docker CLI does: the
// configured host, else DOCKER_HOST, else the current context
// (DOCKER_CONTEXT or currentContext in config.json), else the platform's
// default socket. The Go client alone knows only DOCKER_HOST, which sends
// colima, Lima and rootless users to a socket that is not there.
func resolveHost(host string) (endpoint, error) {
	if host != "" {
		return endpoint{host: host, source: "configuration"}, nil
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return endpoint{host: h, source: "DOCKER_HOST"}, nil
	}
	dir := configDir()
	name := os.Getenv("DOCKER_CONTEXT")
	if name == "" {
		var err error
		if name, err = currentContext(dir); err != nil {
			return endpoint{}, err
		}
	}
	if name == "" || name == "default" {
		return endpoint{host: client.DefaultDockerHost, source: "platform default"}, nil
	}
	return contextEndpoint(dir, name)
}

// configDir is the docker CLI's configuration directory.
func configDir() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker")
}

func currentContext(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	p := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading docker CLI config %s: %w", p, err)
	}
	var cfg struct {
		CurrentContext string `json:"currentContext"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return "", fmt.Errorf("reading docker CLI config %s: %w", p, err)
	}
	return cfg.CurrentContext, nil
}

// contextEndpoint reads a context's docker endpoint. The CLI stores a
// context under the SHA-256 of its name.
func contextEndpoint(dir, name string) (endpoint, error) {
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	p := filepath.Join(dir, "contexts", "meta", id, "meta.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return endpoint{}, fmt.Errorf("reading docker context %q: %w", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return endpoint{}, fmt.Errorf("reading docker context %q from %s: %w", name, p, err)
	}
	ep, ok := meta.Endpoints["docker"]
	if !ok || ep.Host == "" {
		return endpoint{}, fmt.Errorf("reading docker context %q from %s: it has no docker endpoint host", name, p)
	}
	out := endpoint{host: ep.Host, source: "docker context " + name}
	tlsDir := filepath.Join(dir, "contexts", "tls", id, "docker")
	if _, err := os.Stat(filepath.Join(tlsDir, "cert.pem")); err == nil {
		out.tlsDir = tlsDir
	}
	return out, nil
}
