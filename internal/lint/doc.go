// Package lint holds no code, only tests: they check the files that run
// regprune somewhere else than a terminal. The GitHub workflows and the
// action are linted with actionlint (as a library, so no binary is
// needed), and the Kubernetes manifests are decoded strictly into the
// Kubernetes API types, so that a misspelt key fails the test suite
// instead of a night's cleanup. A dependency check keeps the core, the
// planner and the executor free of HTTP, configuration files, retries and
// the Docker Engine, and a count keeps the names the core exports under a
// ceiling.
package lint
