package trial

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// DefaultCollectorImage is the file metrics collector image `make images` builds into the
// local cluster; a release publishes it under a registry of its own.
const DefaultCollectorImage = "localhost/kubectl-katib/file-collector:v2"

// CollectorContainer is the name of the metrics collector sidecar, Katib's own name for it.
const CollectorContainer = "metrics-logger-and-collector"

// metricsVolume is the emptyDir the training container and the collector share.
const metricsVolume = "katib-metrics"

// NeedsCollector says whether trials of the experiment get a collector sidecar: Katib's File
// and TensorFlowEvent collectors read files inside the trial, which only a container in the
// same Pod can see.
func NeedsCollector(mc *experiment.MetricsCollectorSpec) bool {
	if mc == nil || mc.Collector == nil {
		return false
	}
	return mc.Collector.Kind == experiment.FileCollector || mc.Collector.Kind == experiment.TfEventCollector
}

// LogContainer is the container whose log carries the metrics: the collector sidecar when
// there is one, else the primary container.
func LogContainer(mc *experiment.MetricsCollectorSpec, primary string) string {
	if NeedsCollector(mc) {
		return CollectorContainer
	}
	return primary
}

// AddCollector adds the metrics collector to a rendered trial workload (a Pod, or a Job's Pod
// template) as a native sidecar: an init container with restartPolicy Always, which starts
// before the training container and which the kubelet stops once the training container has
// ended, so it never keeps a finished trial running. The metrics file's directory (the event
// directory for TensorFlowEvent) is shared through an emptyDir mounted in both containers,
// unless the training container already mounts a volume that holds the path: the collector
// then mounts that volume at the same place. It does nothing for other collectors.
func AddCollector(obj *unstructured.Unstructured, mc *experiment.MetricsCollectorSpec, primary, image string, metricNames []string) error {
	if !NeedsCollector(mc) {
		return nil
	}
	if mc.Source == nil || mc.Source.FileSystemPath == nil || mc.Source.FileSystemPath.Path == "" {
		return fmt.Errorf("spec.metricsCollectorSpec.source.fileSystemPath.path is required by the %s collector", mc.Collector.Kind)
	}
	fsPath := mc.Source.FileSystemPath
	p := path.Clean(fsPath.Path)
	dir := path.Dir(p)
	args := []string{"--mode=file", "--path=" + p}
	if mc.Collector.Kind == experiment.TfEventCollector {
		dir = p
		args = []string{"--mode=tfevent", "--path=" + p}
		for _, n := range metricNames {
			args = append(args, "--metric="+n)
		}
	}
	if image == "" {
		image = DefaultCollectorImage
	}

	templates := experiment.PodTemplates(obj)
	added := 0
	for _, t := range templates {
		ok, err := addCollectorTo(t, primary, image, dir, args)
		if err != nil {
			return err
		}
		if ok {
			added++
		}
	}
	if added == 0 {
		return fmt.Errorf("the trial template has no container %q (spec.trialTemplate.primaryContainerName)", primary)
	}
	return nil
}

// addCollectorTo adds the collector to one Pod template when it runs the primary container:
// a master and its workers may all run it, and which of their Pods is the primary one is
// decided by labels the operator adds later.
func addCollectorTo(t experiment.PodTemplate, primary, image, dir string, args []string) (bool, error) {
	podSpec := t.Spec()
	containers, _ := podSpec["containers"].([]any)
	idx := -1
	for i, c := range containers {
		if m, ok := c.(map[string]any); ok && m["name"] == primary {
			idx = i
		}
	}
	if idx < 0 {
		return false, nil
	}
	inits, _ := podSpec["initContainers"].([]any)
	for _, c := range append(append([]any{}, containers...), inits...) {
		if m, ok := c.(map[string]any); ok && m["name"] == CollectorContainer {
			return false, fmt.Errorf("the trial template already has a container named %s at %s, the name of the metrics collector kubectl katib adds; rename it", CollectorContainer, t.SpecPath())
		}
	}
	main := containers[idx].(map[string]any)
	mounts, _ := main["volumeMounts"].([]any)

	// A volume the user mounts at or above the metrics directory already holds the file:
	// the collector reads it there.
	var shared map[string]any
	for _, m := range mounts {
		mm, ok := m.(map[string]any)
		if !ok {
			continue
		}
		mp, _ := mm["mountPath"].(string)
		if mp != "" && within(dir, path.Clean(mp)) && (shared == nil || len(mp) > len(shared["mountPath"].(string))) {
			shared = mm
		}
	}
	var collectorMount map[string]any
	if shared != nil {
		collectorMount = map[string]any{"name": shared["name"], "mountPath": shared["mountPath"], "readOnly": true}
		if sp, ok := shared["subPath"]; ok {
			collectorMount["subPath"] = sp
		}
		if sp, ok := shared["subPathExpr"]; ok {
			collectorMount["subPathExpr"] = sp
		}
	} else {
		volumes, _ := podSpec["volumes"].([]any)
		for _, v := range volumes {
			if vm, ok := v.(map[string]any); ok && vm["name"] == metricsVolume {
				return false, fmt.Errorf("the trial template already has a volume named %s at %s, the name of the metrics volume kubectl katib adds; rename it", metricsVolume, t.SpecPath())
			}
		}
		podSpec["volumes"] = append(volumes, map[string]any{"name": metricsVolume, "emptyDir": map[string]any{}})
		main["volumeMounts"] = append(mounts, map[string]any{"name": metricsVolume, "mountPath": dir})
		collectorMount = map[string]any{"name": metricsVolume, "mountPath": dir, "readOnly": true}
	}
	argv := make([]any, len(args))
	for i, a := range args {
		argv[i] = a
	}
	sidecar := map[string]any{
		"name":            CollectorContainer,
		"image":           image,
		"imagePullPolicy": "IfNotPresent",
		"args":            argv,
		// Always makes it a native sidecar (Kubernetes 1.29+): it runs alongside the
		// training container and is stopped by the kubelet when that ends.
		"restartPolicy": "Always",
		"volumeMounts":  []any{collectorMount},
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "10m", "memory": "16Mi"},
		},
	}
	// Earlier init containers run to completion before it starts; sidecars listed before it
	// keep running, as the user asked.
	podSpec["initContainers"] = append(inits, sidecar)
	containers[idx] = main
	podSpec["containers"] = containers
	return true, nil
}

// within says whether dir is root or lies under it.
func within(dir, root string) bool {
	return dir == root || root == "/" || strings.HasPrefix(dir, root+"/")
}

// SupportsNativeSidecars says whether a cluster of that version runs init containers with
// restartPolicy Always as sidecars (beta and on by default since Kubernetes 1.29).
func SupportsNativeSidecars(info *version.Info) bool {
	major, errMajor := strconv.Atoi(strings.TrimRight(info.Major, "+"))
	minor, errMinor := strconv.Atoi(strings.TrimRight(info.Minor, "+"))
	if errMajor != nil || errMinor != nil {
		// Managed clusters sometimes leave these empty; the git version still says it.
		v, err := utilversion.ParseGeneric(info.GitVersion)
		if err != nil {
			return false
		}
		major, minor = int(v.Major()), int(v.Minor())
	}
	return major > 1 || (major == 1 && minor >= 29)
}
