// Package imagetest proves that the container image the Dockerfile
// describes works: its test builds the static binary, assembles the
// Dockerfile's final stage with go-containerregistry (the machine that
// runs it cannot pull base images), loads the image into the local Docker
// Engine and runs regprune in it against a real Distribution registry.
//
// The package itself holds the two pure halves of that test: reading the
// final stage of a Dockerfile (FinalStage) and assembling an image from it
// (Assemble).
package imagetest
