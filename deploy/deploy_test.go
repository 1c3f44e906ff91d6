package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// No image builder or cluster here: these tests check the manifests'
// structure (the fields of the Kubernetes API they need, decoded strictly
// into the parts of its types we use), and that they agree with each
// other, with the Dockerfile and with the repository.

type meta struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom struct {
		FieldRef struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
	} `yaml:"valueFrom"`
}

type container struct {
	Name            string   `yaml:"name"`
	Image           string   `yaml:"image"`
	ImagePullPolicy string   `yaml:"imagePullPolicy"`
	Command         []string `yaml:"command"`
	Args            []string `yaml:"args"`
	Env             []envVar `yaml:"env"`
	Ports           []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
		HostPort      int    `yaml:"hostPort"`
		Protocol      string `yaml:"protocol"`
	} `yaml:"ports"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type podSpec struct {
	RestartPolicy                 string         `yaml:"restartPolicy"`
	HostNetwork                   bool           `yaml:"hostNetwork"`
	DNSPolicy                     string         `yaml:"dnsPolicy"`
	SecurityContext               map[string]any `yaml:"securityContext"`
	TerminationGracePeriodSeconds int            `yaml:"terminationGracePeriodSeconds"`
	Containers                    []container    `yaml:"containers"`
	Volumes                       []volume       `yaml:"volumes"`
}

type volume struct {
	Name                  string `yaml:"name"`
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
	Secret *struct {
		SecretName  string `yaml:"secretName"`
		DefaultMode int    `yaml:"defaultMode"`
	} `yaml:"secret"`
}

type podTemplate struct {
	Metadata meta    `yaml:"metadata"`
	Spec     podSpec `yaml:"spec"`
}

type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   meta   `yaml:"metadata"`
	Spec       struct {
		// Job
		CompletionMode       string `yaml:"completionMode"`
		Completions          int    `yaml:"completions"`
		Parallelism          int    `yaml:"parallelism"`
		BackoffLimit         *int   `yaml:"backoffLimit"`
		BackoffLimitPerIndex *int   `yaml:"backoffLimitPerIndex"`
		PodFailurePolicy     *struct {
			Rules []struct {
				Action      string `yaml:"action"`
				OnExitCodes struct {
					Operator string `yaml:"operator"`
					Values   []int  `yaml:"values"`
				} `yaml:"onExitCodes"`
			} `yaml:"rules"`
		} `yaml:"podFailurePolicy"`
		// DaemonSet
		Selector *struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template *podTemplate `yaml:"template"`
		// PersistentVolumeClaim
		AccessModes []string `yaml:"accessModes"`
		Resources   *struct {
			Requests map[string]string `yaml:"requests"`
		} `yaml:"resources"`
	} `yaml:"spec"`
}

// load decodes a manifest strictly: a misspelt or misplaced field (one not
// in the structures above) fails.
func load(t *testing.T, name string) object {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var o object
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
		t.Fatalf("%s: apiVersion, kind and metadata.name are required", name)
	}
	if !regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`).MatchString(o.Metadata.Name) {
		t.Errorf("%s: name %q is not a DNS label", name, o.Metadata.Name)
	}
	return o
}

// checkPod checks what every pod of ours needs: one image, resources,
// volumes that exist for every mount, non-root.
func checkPod(t *testing.T, name string, pt *podTemplate) container {
	t.Helper()
	if pt == nil || len(pt.Spec.Containers) != 1 {
		t.Fatalf("%s: want a pod template with one container", name)
	}
	c := pt.Spec.Containers[0]
	if c.Image != image(t) {
		t.Errorf("%s: image %q, want the Dockerfile's %q", name, c.Image, image(t))
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("%s: want cpu and memory requests and a memory limit", name)
	}
	if pt.Spec.SecurityContext["runAsNonRoot"] != true {
		t.Errorf("%s: want securityContext.runAsNonRoot (the image runs as nonroot)", name)
	}
	for _, m := range c.VolumeMounts {
		if !slices.ContainsFunc(pt.Spec.Volumes, func(v volume) bool {
			return v.Name == m.Name
		}) {
			t.Errorf("%s: volume mount %q has no volume", name, m.Name)
		}
	}
	// $(VAR) in args is expanded by Kubernetes only for variables the
	// container declares.
	for _, a := range append(c.Args, c.Command...) {
		for _, m := range regexp.MustCompile(`\$\(([A-Z_]+)\)`).FindAllStringSubmatch(a, -1) {
			if !slices.ContainsFunc(c.Env, func(e envVar) bool { return e.Name == m[1] }) {
				t.Errorf("%s: %q uses $(%s), which the container does not declare in env", name, a, m[1])
			}
		}
	}
	return c
}

// image is the tag the Dockerfile's header builds.
func image(t *testing.T) string {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`docker build -t (\S+) \.`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the Dockerfile's header does not say how to build it (docker build -t TAG .)")
	}
	return string(m[1])
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/p2psim", "./cmd/p2pnode", "FROM gcr.io/distroless/static", "USER nonroot", "COPY scenarios /scenarios"} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The build stage's Go is at least go.mod's.
	mod, _ := os.ReadFile("../go.mod")
	want := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(string(mod))
	got := regexp.MustCompile(`FROM golang:(\d+)\.(\d+)`).FindStringSubmatch(d)
	if want == nil || got == nil {
		t.Fatalf("go.mod's go line %v, Dockerfile's golang image %v", want, got)
	}
	wmaj, _ := strconv.Atoi(want[1])
	wmin, _ := strconv.Atoi(want[2])
	gmaj, _ := strconv.Atoi(got[1])
	gmin, _ := strconv.Atoi(got[2])
	if gmaj < wmaj || gmaj == wmaj && gmin < wmin {
		t.Errorf("Dockerfile builds with Go %s.%s, go.mod needs %s.%s", got[1], got[2], want[1], want[2])
	}
}

func TestSweepJob(t *testing.T) {
	job := load(t, "sweep-job.yaml")
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || job.Spec.CompletionMode != "Indexed" {
		t.Fatalf("want a batch/v1 Job with completionMode Indexed, got %s %s %q", job.APIVersion, job.Kind, job.Spec.CompletionMode)
	}
	if job.Spec.Completions < 1 || job.Spec.Parallelism < 1 || job.Spec.Template.Spec.RestartPolicy != "Never" {
		t.Errorf("completions %d, parallelism %d, restartPolicy %q", job.Spec.Completions, job.Spec.Parallelism, job.Spec.Template.Spec.RestartPolicy)
	}
	c := checkPod(t, "sweep-job.yaml", job.Spec.Template)
	args := strings.Join(c.Args, " ")
	if want := "--shard job/" + strconv.Itoa(job.Spec.Completions); !strings.Contains(args, want) {
		t.Errorf("args %q lack %q: every completion index must be a shard", args, want)
	}
	if !strings.Contains(args, "--out /results/shard-$(JOB_COMPLETION_INDEX)") {
		t.Errorf("args %q: want each pod to write its own /results/shard-K", args)
	}
	var idx *envVar
	for i := range c.Env {
		if c.Env[i].Name == "JOB_COMPLETION_INDEX" {
			idx = &c.Env[i]
		}
	}
	if idx == nil || idx.ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Error("JOB_COMPLETION_INDEX is not declared from the completion-index annotation")
	}
	// The sweep file it runs is in the image (COPY scenarios /scenarios).
	if len(c.Args) < 2 || c.Args[0] != "sweep" {
		t.Fatalf("args %q: want sweep FILE ...", c.Args)
	}
	if _, err := os.Stat(filepath.Join("..", strings.TrimPrefix(c.Args[1], "/"))); err != nil {
		t.Errorf("the Job sweeps %s, which is not in the image: %v", c.Args[1], err)
	}
	// Exit status 1 (a point failed) is a result, not a reason to retry.
	if p := job.Spec.PodFailurePolicy; p == nil || len(p.Rules) == 0 || p.Rules[0].Action != "Ignore" && p.Rules[0].Action != "Count" ||
		!slices.Contains(p.Rules[0].OnExitCodes.Values, 1) {
		t.Error("want a podFailurePolicy that does not retry exit status 1")
	}
	if job.Spec.BackoffLimitPerIndex == nil {
		t.Error("want backoffLimitPerIndex: a lost pod is retried for its own index")
	}
	claims(t, "sweep-job.yaml", job.Spec.Template)
}

func TestSweepMergeJob(t *testing.T) {
	job := load(t, "sweep-merge-job.yaml")
	if job.Kind != "Job" || job.Spec.CompletionMode == "Indexed" {
		t.Fatalf("want a plain Job")
	}
	c := checkPod(t, "sweep-merge-job.yaml", job.Spec.Template)
	if strings.Join(c.Args, " ") != "sweep merge /results/shard-* --out /results/all" {
		t.Errorf("args %q: want the merge of every shard folder the sweep Job writes", c.Args)
	}
	claims(t, "sweep-merge-job.yaml", job.Spec.Template)
}

// claims checks that a pod's volume is the sweep's claim.
func claims(t *testing.T, name string, pt *podTemplate) {
	pvc := load(t, "sweep-volume.yaml")
	if pvc.Kind != "PersistentVolumeClaim" || !slices.Contains(pvc.Spec.AccessModes, "ReadWriteMany") || pvc.Spec.Resources == nil || pvc.Spec.Resources.Requests["storage"] == "" {
		t.Fatalf("sweep-volume.yaml: want a ReadWriteMany PersistentVolumeClaim with a storage request")
	}
	for _, v := range pt.Spec.Volumes {
		if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != pvc.Metadata.Name {
			t.Errorf("%s: volume %q is not the claim %q", name, v.Name, pvc.Metadata.Name)
		}
	}
}

func TestP2PNodeDaemonSet(t *testing.T) {
	ds := load(t, "p2pnode-daemonset.yaml")
	if ds.APIVersion != "apps/v1" || ds.Kind != "DaemonSet" {
		t.Fatalf("want an apps/v1 DaemonSet, got %s %s", ds.APIVersion, ds.Kind)
	}
	pt := ds.Spec.Template
	if ds.Spec.Selector == nil || len(ds.Spec.Selector.MatchLabels) == 0 {
		t.Fatal("a DaemonSet needs a selector")
	}
	for k, v := range ds.Spec.Selector.MatchLabels {
		if pt.Metadata.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod template's labels", k, v)
		}
	}
	if !pt.Spec.HostNetwork || pt.Spec.DNSPolicy != "ClusterFirstWithHostNet" {
		t.Error("want hostNetwork (multicast discovery on the hosts' LAN) with dnsPolicy ClusterFirstWithHostNet")
	}
	c := checkPod(t, "p2pnode-daemonset.yaml", pt)
	if len(c.Command) != 1 || c.Command[0] != "/usr/local/bin/p2pnode" {
		t.Errorf("command %q: want the image's p2pnode", c.Command)
	}
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"--listen :7946", "--network-key-file /etc/p2pmesh/mesh.key", "--name $(NODE_NAME)"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		if p.HostPort != p.ContainerPort {
			t.Errorf("port %s: with hostNetwork the host port is the container port", p.Name)
		}
		ports[p.Protocol] = p.ContainerPort
	}
	if ports["TCP"] != 7946 || ports["UDP"] != 49152 {
		t.Errorf("ports %v: want TCP 7946 (links) and UDP 49152 (p2pnode's default discovery group port)", ports)
	}
}
