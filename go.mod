module github.com/regprune/regprune

go 1.26.8

require (
	github.com/bmatcuk/doublestar/v4 v4.10.4
	github.com/google/go-containerregistry v0.22.1
)

require github.com/opencontainers/go-digest v1.0.0 // indirect
