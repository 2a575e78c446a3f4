package apis

import "testing"

// TestRegister: a registered API is known and named in messages, its
// hosts default to it, and a host keeps the first API it was given.
func TestRegister(t *testing.T) {
	if Known("toy") {
		t.Fatal("toy is known before it is registered")
	}
	Register(API{Name: "toy", Hosts: []string{"toy.example", "ghcr.io"}})
	if !Known("toy") || Names() != "oci, github, dockerhub or toy" {
		t.Errorf("after Register: Known(toy) %v, Names() %q", Known("toy"), Names())
	}
	if api, ok := Default("toy.example"); !ok || api != "toy" {
		t.Errorf("Default(toy.example) = %q, %v; want toy", api, ok)
	}
	if api, _ := Default("ghcr.io"); api != GitHub {
		t.Errorf("Default(ghcr.io) = %q; want %s, its first", api, GitHub)
	}
	if _, ok := Default("registry.example"); ok {
		t.Error("an unregistered host has a default API")
	}
}
