package validation

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kubectl-katib/plugins/internal/golden"
)

const (
	fileLogNote     = `spec.metricsCollectorSpec.collector.kind: File: each trial Pod gets a metrics collector sidecar (image set by --collector-image) that follows /katib/mnist.log and prints what it reads to its own log, where the metrics are read; it needs Kubernetes 1.29 or newer (native sidecar containers)`
	fileJSONNote    = `spec.metricsCollectorSpec.collector.kind: File: each trial Pod gets a metrics collector sidecar (image set by --collector-image) that follows /katib/mnist.json and prints what it reads to its own log, where the metrics are read; it needs Kubernetes 1.29 or newer (native sidecar containers)`
	resumeNote      = `spec.resumePolicy: %s has no effect client-side: there is no suggestion service to keep running or to save to a volume. An interrupted run continues with 'kubectl katib resume' under any policy (the search picks up from the recorded trials), but a finished experiment cannot be continued by raising maxTrialCount: run the file again under another name (--name)`
	customCollector = `spec.metricsCollectorSpec.collector.kind: Unsupported value: "Custom": a custom collector is a sidecar that reports to Katib's database, which client-side runs do not have; print the metrics to stdout and use kind StdOut (the default)`
	pbtUnsupported  = `spec.algorithm.algorithmName: Unsupported value: "pbt": population based training exchanges checkpoints between trials through a volume Katib's suggestion service mounts, which a client-side run does not have`
	// Katib's own webhook rejects this too: simple-pbt.yaml asks for 3 failed trials out of 2.
	pbtCounts     = `spec.maxFailedTrialCount: Invalid value: 3: should be less than or equal to spec.maxTrialCount`
	configMapNote = `spec.trialTemplate.configMap: the trial template (ConfigMap kubeflow/trial-templates, key defaultTrialTemplate.yaml) is read from the cluster when the experiment runs; its kind, placeholders and primary container were not checked`
	examplesDir   = "katib-examples"
)

// examples lists every Katib example with its expected outcome, written out in full so that
// a change in what runs client-side (an algorithm dropped, a message reworded) fails here
// rather than moving the expectation along with it.
var examples = []struct {
	file  string
	errs  []string
	notes []string
}{
	{"early-stopping/median-stop-with-json-format.yaml", nil, []string{fileJSONNote}},
	{"early-stopping/median-stop.yaml", nil, nil},
	{"hp-tuning/bayesian-optimization.yaml", nil, nil},
	{"hp-tuning/cma-es.yaml", nil, nil},
	{"hp-tuning/grid.yaml", nil, nil},
	{"hp-tuning/hyperband.yaml", nil, nil},
	{"hp-tuning/hyperopt-distribution.yaml", nil, nil},
	{"hp-tuning/multivariate-tpe.yaml", nil, nil},
	{"hp-tuning/optuna-distribution.yaml", nil, nil},
	{"hp-tuning/random.yaml", nil, nil},
	{"hp-tuning/simple-pbt.yaml", []string{pbtCounts, pbtUnsupported}, []string{fmt.Sprintf(resumeNote, "FromVolume")}},
	{"hp-tuning/sobol.yaml", nil, nil},
	{"hp-tuning/tpe.yaml", nil, nil},
	{"metrics-collector/custom-metrics-collector.yaml", []string{customCollector}, nil},
	{"metrics-collector/file-metrics-collector-with-json-format.yaml", nil, []string{fileJSONNote}},
	{"metrics-collector/file-metrics-collector.yaml", nil, []string{fileLogNote}},
	{"metrics-collector/metrics-collection-strategy.yaml", nil, nil},
	{"resume-experiment/from-volume-resume.yaml", nil, []string{fmt.Sprintf(resumeNote, "FromVolume")}},
	{"resume-experiment/long-running-resume.yaml", nil, []string{fmt.Sprintf(resumeNote, "LongRunning")}},
	{"trial-template/trial-configmap-source.yaml", nil, []string{configMapNote}},
	{"trial-template/trial-metadata-substitution.yaml", nil, nil},
}

func TestKatibExamples(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			r := Check(golden.Path(filepath.Join(examplesDir, ex.file)), nil)
			if r.LoadErr != nil {
				t.Fatalf("does not load: %v", r.LoadErr)
			}
			var got []string
			for _, e := range r.Errs {
				got = append(got, e.Error())
			}
			assertSameLines(t, "errors", got, ex.errs)
			assertSameLines(t, "notes", r.Notes, ex.notes)
		})
	}
}

// TestKatibExamplesAreAllListed keeps the table above complete when examples are added.
func TestKatibExamplesAreAllListed(t *testing.T) {
	listed := map[string]bool{}
	for _, ex := range examples {
		listed[ex.file] = true
	}
	root := golden.Path(examplesDir)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if !listed[filepath.ToSlash(rel)] {
			t.Errorf("%s has no expected outcome in the examples table", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func assertSameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := append([]string(nil), got...), append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s differ\n--- got\n%s\n--- want\n%s", what, strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}
