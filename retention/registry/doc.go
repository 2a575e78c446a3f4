// Package registry is the seam between regprune and the registries: the
// Provider interface every registry implements, the optional
// capabilities beside it, the Register table of APIs with the settings
// each takes and those every registry takes (Common: maxWait), and the
// Router that sends each repository to its provider. It imports no provider:
// the OCI client (registry/oci), the GitHub Packages API
// (registry/github) and the Docker Hub API (registry/dockerhub) import
// it, and the job package registers the ones the binary links, in one
// table (job/router.go).
//
// # How to add a registry
//
//  1. Read what the vendor's API documents (shared/research) and what
//     its emulator in the test kit must reproduce, quirks included.
//  2. Make a package under retention/registry/NAME.
//  3. Write a Client holding a registry.OCI (the shared manifest
//     reader; embed it to read manifests, tags and blobs).
//  4. Implement Provider: Catalog (what a glob expands in), List (a
//     retention.Listing with what the API gives: digests, push and pull
//     times, untagged manifests; Shallow when no manifest was read),
//     ListTags, DeleteTag and DeleteDigest (delete exactly the tags
//     given: the gate checked those).
//  5. Add the capabilities the API has, each a small interface here:
//     Deepener, Restorer, Waiter, Budgeter, ManifestReader, Scoper.
//  6. Speak the API through retention/registry/internal/rest: one retry
//     layer, waits capped by MaxWait, DELETE and PUT sent once.
//  7. Map failures onto the core's sentinels (retention.ErrNotFound,
//     ErrDenied, ErrRateLimited, …) and this package's (ErrTruncated,
//     ErrRepositoryNotFound, ErrUnreachable, ErrTLS) with errors.Is,
//     never by message.
//  8. Declare var API = registry.API{Name, Hosts, Settings, Check, New}:
//     the name users write in registries[].api, the hosts it is the
//     default for, the settings an entry of it takes beyond the common
//     ones (a struct whose mapstructure tags are the keys, documented
//     with their defaults, and the Check of their values), and the
//     factory that builds a Client from a registries entry (its
//     settings by DecodeSettings, maxWait by CommonOf).
//  9. Add the API to job's table of providers (one line).
//  10. Write the emulator in the test kit from the documented behaviour,
//     and a test that drives it with a plain HTTP client.
//  11. Test the provider against the emulator, and plan and apply
//     through the Router and the gate (see job's TestToyProvider, which
//     follows these steps for the toy registry in internal/registrytest/toy).
//  12. Document the registry in the README's Registries section and in
//     config.example.yaml.
package registry
