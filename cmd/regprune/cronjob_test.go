package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/regprune/regprune/internal/registrytest"
)

// TestCronJobLogIsJSONLines runs the shipped CronJob's arguments, as
// they are but for the configuration file, against a real registry:
// the pod's log (stdout and stderr, which Kubernetes merges) holds one
// JSON object per line, the report among them.
func TestCronJobLogIsJSONLines(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../deploy/kubernetes/cronjob.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cj batchv1.CronJob
	if err := sigsyaml.Unmarshal(b, &cj); err != nil {
		t.Fatal(err)
	}
	args := slices.Clone(cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args)
	i := slices.Index(args, "-c")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("cronjob.yaml args %q: no -c FILE", args)
	}
	reg := registrytest.StartDistribution(t)
	seedReleases(t, reg, 3)
	args[i+1] = releasesConfig(t, "maxDeletions: 10", reg.Host, reg.Host+"/acme/app")

	r := runCLI(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("%q: exit %d\n%s", args, r.code, r.stderr)
	}
	reports := 0
	for _, line := range strings.Split(strings.TrimSuffix(r.stdout+r.stderr, "\n"), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Errorf("a line of the pod's log is not one JSON object: %q", line)
			continue
		}
		if obj["schemaVersion"] != nil {
			reports++
			if obj["mode"] != "apply" || obj["summary"].(map[string]any)["deleted"] != float64(2) {
				t.Errorf("report %v, want apply with 2 deleted", obj)
			}
		}
	}
	if reports != 1 {
		t.Errorf("%d reports in the log, want 1:\nstdout %s\nstderr %s", reports, r.stdout, r.stderr)
	}
}
