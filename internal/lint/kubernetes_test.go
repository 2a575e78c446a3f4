package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/regprune/regprune/retention/config"
)

// manifestDir holds the Kubernetes manifests, relative to the root.
const manifestDir = "deploy/kubernetes"

// kustomization is the part of kustomize's Kustomization that the
// manifests use; anything else in the file is a test failure, so that a
// new key gets looked at (and added here) rather than slip through.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors,omitempty"`
	} `json:"labels,omitempty"`
	Resources []string `json:"resources"`
}

// newObject returns the typed object a document decodes into, chosen by
// its apiVersion and kind.
func newObject(apiVersion, kind string) (any, error) {
	switch apiVersion + " " + kind {
	case "batch/v1 CronJob":
		return &batchv1.CronJob{}, nil
	case "batch/v1 Job":
		return &batchv1.Job{}, nil
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1 PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}, nil
	case "v1 Secret":
		return &corev1.Secret{}, nil
	case "kustomize.config.k8s.io/v1beta1 Kustomization":
		return &kustomization{}, nil
	}
	return nil, fmt.Errorf("no type for apiVersion %q kind %q", apiVersion, kind)
}

// decodeManifest decodes every document of a YAML file strictly into its
// Kubernetes type: an unknown or misspelt field (in any letter case), a
// duplicate key or a value of the wrong type is an error.
func decodeManifest(file string) ([]any, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var objs []any
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for i := 0; ; i++ {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		// Back to bytes, one document at a time: sigs.k8s.io/yaml
		// converts to JSON and decodes with the API types' JSON tags.
		b, err := yaml.Marshal(&doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := sigsyaml.Unmarshal(b, &meta); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		obj, err := newObject(meta.APIVersion, meta.Kind)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if err := decodeStrict(b, obj); err != nil {
			return nil, fmt.Errorf("document %d (%s): %w", i, meta.Kind, err)
		}
		objs = append(objs, obj)
	}
	if len(objs) == 0 {
		return nil, errors.New("no document")
	}
	return objs, nil
}

// decodeStrict decodes one YAML document into obj as the API server
// would: through JSON, with field names matched case-sensitively (the
// API server's rule; encoding/json, and so sigs.k8s.io/yaml's
// UnmarshalStrict, would take runAsNonroot for runAsNonRoot), and with
// unknown and duplicate fields refused.
func decodeStrict(doc []byte, obj any) error {
	j, err := sigsyaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(j, obj, sigsjson.DisallowUnknownFields, sigsjson.DisallowDuplicateFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// manifests decodes every manifest under deploy/kubernetes, by file name.
func manifests(t *testing.T) map[string][]any {
	t.Helper()
	root := repoRoot(t)
	all := map[string][]any{}
	for _, f := range globs(t, root, manifestDir+"/*.yaml") {
		objs, err := decodeManifest(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		all[filepath.Base(f)] = objs
	}
	return all
}

// only returns the single object of type T in a file's documents.
func only[T any](t *testing.T, all map[string][]any, file string) *T {
	t.Helper()
	var found []*T
	for _, o := range all[file] {
		if v, ok := o.(*T); ok {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d documents of type %T, want 1", file, len(found), found)
	}
	return found[0]
}

// TestManifestsDecodeStrictly is the typo check: every document of every
// file decodes into its API type with unknown fields refused.
func TestManifestsDecodeStrictly(t *testing.T) {
	all := manifests(t)
	for _, f := range []string{"cronjob.yaml", "indexed-job.yaml", "configmap.yaml", "secret.example.yaml", "state-pvc.yaml", "kustomization.yaml"} {
		if _, ok := all[f]; !ok {
			t.Errorf("%s/%s is missing or did not decode", manifestDir, f)
		}
	}
}

func TestKustomization(t *testing.T) {
	all := manifests(t)
	k := only[kustomization](t, all, "kustomization.yaml")
	if len(k.Resources) == 0 {
		t.Fatal("kustomization.yaml lists no resources")
	}
	for _, r := range k.Resources {
		if _, ok := all[r]; !ok {
			t.Errorf("kustomization.yaml lists %s, which is not a manifest here", r)
		}
	}
	// The placeholder secret would overwrite the real credentials.
	if slices.Contains(k.Resources, "secret.example.yaml") {
		t.Error("kustomization.yaml must not apply secret.example.yaml")
	}
	if !slices.Contains(k.Resources, "cronjob.yaml") || !slices.Contains(k.Resources, "configmap.yaml") {
		t.Errorf("kustomization.yaml resources %v, want cronjob.yaml and configmap.yaml", k.Resources)
	}
}

// TestConfigMapIsAValidConfiguration loads the ConfigMap's regprune.yaml
// with regprune's own loader, as the pod will.
func TestConfigMapIsAValidConfiguration(t *testing.T) {
	cm := only[corev1.ConfigMap](t, manifests(t), "configmap.yaml")
	data, ok := cm.Data["regprune.yaml"]
	if !ok {
		t.Fatalf("ConfigMap %s has no regprune.yaml", cm.Name)
	}
	path := filepath.Join(t.TempDir(), "regprune.yaml")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	// The pod's environment has no REGPRUNE_* variable; nor does this
	// lookup, so the test does not depend on the developer's shell.
	noEnv := func(string) (string, bool) { return "", false }
	cfg, err := config.Load(path, config.WithEnv(noEnv))
	if err != nil {
		t.Fatalf("the ConfigMap's regprune.yaml: %v", err)
	}
	if cfg.MaxDeletions == 0 {
		t.Error("the ConfigMap's configuration sets no maxDeletions: an unattended apply needs the brake")
	}
}

func TestSecretExample(t *testing.T) {
	s := only[corev1.Secret](t, manifests(t), "secret.example.yaml")
	if s.Type != corev1.SecretTypeDockerConfigJson {
		t.Errorf("secret type %q, want %q", s.Type, corev1.SecretTypeDockerConfigJson)
	}
	var cfg struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	raw := s.StringData[corev1.DockerConfigJsonKey]
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil || len(cfg.Auths) == 0 {
		t.Errorf("%s is not a docker config.json with auths: %v", corev1.DockerConfigJsonKey, err)
	}
}

// TestCronJob checks the settings that keep an unattended deletion job
// safe: one run at a time, bounded in time and retries, and a locked-down
// pod.
func TestCronJob(t *testing.T) {
	all := manifests(t)
	cj := only[batchv1.CronJob](t, all, "cronjob.yaml")
	s := cj.Spec
	if s.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Errorf("concurrencyPolicy %q, want Forbid: two applies must never overlap", s.ConcurrencyPolicy)
	}
	if s.StartingDeadlineSeconds == nil {
		t.Error("startingDeadlineSeconds is not set")
	}
	if s.SuccessfulJobsHistoryLimit == nil || s.FailedJobsHistoryLimit == nil {
		t.Error("successfulJobsHistoryLimit and failedJobsHistoryLimit must be set")
	}
	checkJob(t, "cronjob.yaml", s.JobTemplate.Spec, all)
	if n := shards(t, s.JobTemplate.Spec.Template.Spec.Containers[0].Args); n != 0 {
		t.Errorf("cronjob.yaml runs --shards %d without an Indexed Job", n)
	}
}

// TestIndexedJob checks the sharded variant: an Indexed Job with one pod
// per shard, and the same safety as the CronJob.
func TestIndexedJob(t *testing.T) {
	all := manifests(t)
	j := only[batchv1.Job](t, all, "indexed-job.yaml")
	s := j.Spec
	checkJob(t, "indexed-job.yaml", s, all)
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completionMode %v, want Indexed: regprune reads its shard from JOB_COMPLETION_INDEX", s.CompletionMode)
	}
	n := shards(t, s.Template.Spec.Containers[0].Args)
	if n < 2 {
		t.Fatalf("args %q: an Indexed Job needs --shards N with N > 1", s.Template.Spec.Containers[0].Args)
	}
	if s.Completions == nil || int(*s.Completions) != n || s.Parallelism == nil || int(*s.Parallelism) != n {
		t.Errorf("completions %v and parallelism %v, want both = --shards %d: each index is one shard", deref(s.Completions), deref(s.Parallelism), n)
	}
}

// flagValue returns the last value args give a flag, by its short
// (-o jsonl, -ojsonl, -o=jsonl) or long name (--output jsonl,
// --output=jsonl), as cobra reads them; "text" for -o/--output when
// absent (regprune's default), else "".
func flagValue(args []string, short, long string) string {
	v := ""
	if long == "--output" {
		v = "text"
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == long || short != "" && a == short:
			if i+1 < len(args) {
				v = args[i+1]
				i++
			}
		case strings.HasPrefix(a, long+"="):
			v = strings.TrimPrefix(a, long+"=")
		case short != "" && strings.HasPrefix(a, short+"="):
			v = strings.TrimPrefix(a, short+"=")
		case short != "" && strings.HasPrefix(a, short) && !strings.HasPrefix(a, "--"):
			v = strings.TrimPrefix(a, short)
		}
	}
	return v
}

func deref(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}

// shards returns the value of --shards in args, 0 without it.
func shards(t *testing.T, args []string) int {
	t.Helper()
	for i, a := range args {
		if a == "--shards" && i+1 < len(args) {
			n, err := strconv.Atoi(args[i+1])
			if err != nil {
				t.Fatalf("--shards %q: %v", args[i+1], err)
			}
			return n
		}
	}
	return 0
}

// checkJob checks a Job spec (a CronJob's template or an Indexed Job).
func checkJob(t *testing.T, file string, s batchv1.JobSpec, all map[string][]any) {
	t.Helper()
	if s.ActiveDeadlineSeconds == nil {
		t.Errorf("%s: activeDeadlineSeconds is not set", file)
	}
	if s.BackoffLimit == nil && s.BackoffLimitPerIndex == nil {
		t.Errorf("%s: backoffLimit (or backoffLimitPerIndex) is not set", file)
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("%s: restartPolicy %q, want Never", file, pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", file, len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != "ghcr.io/regprune/regprune:v0.1.0" {
		t.Errorf("%s: image %q, want the pinned ghcr.io/regprune/regprune:v0.1.0", file, c.Image)
	}
	if len(c.Args) == 0 || c.Args[0] != "apply" {
		t.Errorf("%s: args %q, want apply first", file, c.Args)
	}
	// The pod's stdout and stderr are one log stream: every line of it
	// must be one JSON object for Loki and Fluent Bit.
	if f := flagValue(c.Args, "-o", "--output"); f != "jsonl" {
		t.Errorf("%s: args %q: report format %q on stdout, want -o jsonl (the JSON report on one line)", file, c.Args, f)
	}
	if f := flagValue(c.Args, "", "--log-format"); f != "json" {
		t.Errorf("%s: args %q: log format %q, want --log-format json", file, c.Args, f)
	}
	if f := flagValue(c.Args, "", "--output-file"); f != "" {
		t.Errorf("%s: args %q: --output-file %q: the report would be lost with the pod", file, c.Args, f)
	}

	if g := pod.TerminationGracePeriodSeconds; g == nil || *g < 90 {
		t.Errorf("%s: terminationGracePeriodSeconds %v, want at least 90: a stopped run finishes its deletions in flight and writes its report", file, g)
	}
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: the pod's securityContext must set runAsNonRoot: true", file)
	}
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Fatalf("%s: the container has no securityContext", file)
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		t.Errorf("%s: runAsNonRoot must be true", file)
	case sc.RunAsUser == nil || *sc.RunAsUser != 65532:
		t.Errorf("%s: runAsUser %v, want 65532 (the image's nonroot user)", file, sc.RunAsUser)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("%s: readOnlyRootFilesystem must be true", file)
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("%s: allowPrivilegeEscalation must be false", file)
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}):
		t.Errorf("%s: capabilities must drop ALL", file)
	case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("%s: seccompProfile must be RuntimeDefault", file)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("%s: no %s request", file, r)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("%s: no memory limit", file)
	}

	// The volumes: the ConfigMap with the -c file, the docker-registry
	// Secret where DOCKER_CONFIG points, and a writable /tmp.
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	cm := only[corev1.ConfigMap](t, all, "configmap.yaml")
	secret := only[corev1.Secret](t, all, "secret.example.yaml")
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	var sawConfig, sawSecret, sawTmp bool
	for _, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil && v.ConfigMap.Name == cm.Name:
			sawConfig = true
			want := filepath.Join(mounts[v.Name], "regprune.yaml")
			if i := slices.Index(c.Args, "-c"); i < 0 || i+1 >= len(c.Args) || c.Args[i+1] != want {
				t.Errorf("%s: args %q, want -c %s (the ConfigMap's file)", file, c.Args, want)
			}
		case v.Secret != nil && v.Secret.SecretName == secret.Name:
			sawSecret = true
			if env["DOCKER_CONFIG"] != mounts[v.Name] || mounts[v.Name] == "" {
				t.Errorf("%s: DOCKER_CONFIG %q, want the secret's mount path %q", file, env["DOCKER_CONFIG"], mounts[v.Name])
			}
			if len(v.Secret.Items) != 1 || v.Secret.Items[0].Key != corev1.DockerConfigJsonKey || v.Secret.Items[0].Path != "config.json" {
				t.Errorf("%s: the secret volume must map %s to config.json", file, corev1.DockerConfigJsonKey)
			}
		case v.EmptyDir != nil && mounts[v.Name] == "/tmp":
			sawTmp = true
		}
	}
	if !sawConfig || !sawSecret || !sawTmp {
		t.Errorf("%s: volumes: config map %v, docker-config secret %v, /tmp emptyDir %v; want all three", file, sawConfig, sawSecret, sawTmp)
	}
}

// TestREADMEPatchesTheCronJob: every `kubectl patch cronjob NAME --type
// merge -p '...'` in the README names the shipped CronJob and decodes
// strictly into its type, so that the workload identity settings it
// shows land where Kubernetes reads them.
func TestREADMEPatchesTheCronJob(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cj := only[batchv1.CronJob](t, manifests(t), "cronjob.yaml")
	patches := regexp.MustCompile(`kubectl patch cronjob (\S+) --type merge -p '([^']*)'`).FindAllStringSubmatch(string(readme), -1)
	if len(patches) < 2 {
		t.Fatalf("the README has %d kubectl patch commands for the CronJob, want the ServiceAccount's and Azure's", len(patches))
	}
	var sawAccount, sawAzure bool
	for _, m := range patches {
		if m[1] != cj.Name {
			t.Errorf("the README patches cronjob %q, the shipped one is %q", m[1], cj.Name)
		}
		var p batchv1.CronJob
		if err := decodeStrict([]byte(m[2]), &p); err != nil {
			t.Errorf("the README's patch %s does not decode into a CronJob: %v", m[2], err)
			continue
		}
		pod := p.Spec.JobTemplate.Spec.Template
		sawAccount = sawAccount || pod.Spec.ServiceAccountName == "regprune"
		sawAzure = sawAzure || pod.Labels["azure.workload.identity/use"] == "true"
	}
	if !sawAccount || !sawAzure {
		t.Errorf("README patches: serviceAccountName regprune %v, pod label azure.workload.identity/use %v; want both", sawAccount, sawAzure)
	}
	for _, key := range []string{"eks.amazonaws.com/role-arn=", "iam.gke.io/gcp-service-account=", "azure.workload.identity/client-id="} {
		if !strings.Contains(string(readme), "kubectl annotate serviceaccount regprune "+key) {
			t.Errorf("the README does not annotate the ServiceAccount with %s", key)
		}
	}
}
