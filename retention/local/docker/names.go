package docker

import (
	"github.com/distribution/reference"
)

// normalize returns the normalized name of a repository as the engine
// shows it: nginx is docker.io/library/nginx, acme/api is
// docker.io/acme/api, localhost:5000/acme/api stays. A name that does not
// parse is returned as is.
func normalize(repo string) string {
	n, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return repo
	}
	return n.Name()
}

// aliases are the other names a policy may match a repository by.
func aliases(repo string) []string {
	if n := normalize(repo); n != repo {
		return []string{n}
	}
	return nil
}
