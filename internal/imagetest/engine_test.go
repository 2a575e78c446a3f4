package imagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/regprune/regprune/internal/registrytest"
)

// cleanupTimeout bounds each removal in t.Cleanup, which runs after the
// test's context is canceled.
const cleanupTimeout = 30 * time.Second

// connect returns a client of the Docker Engine named by DOCKER_HOST (or
// the default socket) with the API version negotiated. Without an engine
// the test is skipped, or fails when CI=true.
func connect(t *testing.T) *client.Client {
	t.Helper()
	registrytest.LockEngine(t)
	unavailable := func(err error) {
		t.Helper()
		msg := fmt.Sprintf("imagetest: no Docker Engine (DOCKER_HOST or the default socket): %v", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg + "; the image test needs one (with CI=true this is a failure)")
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		unavailable(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ping, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		unavailable(err)
	}
	if ping.OSType != "" && ping.OSType != "linux" {
		unavailable(fmt.Errorf("the engine runs %s containers, not linux", ping.OSType))
	}
	t.Logf("docker engine API %s (client negotiated %s)", ping.APIVersion, cli.ClientVersion())
	return cli
}

// load writes img as a docker save tarball tagged tag into the engine and
// removes the tag (and with it the image, unless something else tags it)
// when the test ends.
func load(t *testing.T, cli *client.Client, tag name.Tag, img v1.Image) {
	t.Helper()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarball.Write(tag, img, pw)) }()
	res, err := cli.ImageLoad(t.Context(), pr, client.ImageLoadWithQuiet(true))
	if err != nil {
		pr.CloseWithError(err)
		t.Fatalf("loading %s: %v", tag, err)
	}
	defer res.Close()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := cli.ImageRemove(ctx, tag.String(), client.ImageRemoveOptions{}); err != nil {
			t.Errorf("removing image %s: %v", tag, err)
		}
	})
	if err := readStream(res); err != nil {
		t.Fatalf("loading %s: %v", tag, err)
	}
}

// readStream reads a JSON message stream to its end and returns the
// first error it reports.
func readStream(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the engine's progress: %w", err)
		}
		if m.Error != nil {
			return m.Error
		}
	}
}

// run is one finished container.
type run struct {
	exitCode       int64
	stdout, stderr string
	inspect        container.InspectResponse
}

// runContainer creates a container of image with args, as the image's
// user, starts it, waits for it to exit and reads its output. The
// container is removed when the test ends.
func runContainer(t *testing.T, cli *client.Client, image, nm string, args []string, hc *container.HostConfig) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       nm,
		Config:     &container.Config{Image: image, Cmd: args},
		HostConfig: hc,
	})
	if err != nil {
		t.Fatalf("creating container %s: %v", nm, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			t.Errorf("removing container %s: %v", nm, err)
		}
	})
	wait := cli.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatalf("starting container %s: %v", nm, err)
	}
	var r run
	select {
	case res := <-wait.Result:
		if res.Error != nil {
			t.Fatalf("waiting for container %s: %s", nm, res.Error.Message)
		}
		r.exitCode = res.StatusCode
	case err := <-wait.Error:
		t.Fatalf("waiting for container %s: %v", nm, err)
	}
	logs, err := cli.ContainerLogs(ctx, created.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatalf("reading the logs of container %s: %v", nm, err)
	}
	defer logs.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, logs); err != nil {
		t.Fatalf("reading the logs of container %s: %v", nm, err)
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	in, err := cli.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspecting container %s: %v", nm, err)
	}
	r.inspect = in.Container
	return r
}
