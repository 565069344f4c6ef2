package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/store"
)

// multiFixture is the fixture with a second objective, loss minimised: trials a (0.81,
// 0.61) and b (0.93, 0.25) succeeded, and b dominates a; e (0.85, 0.2) is on the front with b.
func multiFixture() *store.State {
	st := fixture()
	st.Experiment.Annotations = map[string]string{experiment.AnnotationObjectives: "accuracy:maximize,loss:minimize"}
	st.Trials[0].Objectives = []float64{0.81, 0.61}
	st.Trials[1].Objectives = []float64{0.93, 0.25}
	e := st.Trials[0]
	e.Name, e.Objective, e.Objectives = "mnist-eeeeeeee", f(0.85), []float64{0.85, 0.2}
	e.Observation = &experiment.Observation{Metrics: []experiment.Metric{{Name: "accuracy", Max: "0.85"}, {Name: "loss", Min: "0.2"}}}
	e.Index = 4
	st.Trials = append(st.Trials, e)
	for i := range st.Trials[:4] {
		st.Trials[i].Index = i
	}
	return st
}

func TestParetoFrontViews(t *testing.T) {
	st := multiFixture()
	if got := st.FrontNames(); strings.Join(got, " ") != "mnist-bbbbbbbb mnist-eeeeeeee" {
		t.Fatalf("front %v", got)
	}
	var buf bytes.Buffer
	Best(&buf, st)
	out := buf.String()
	for _, want := range []string{
		"Pareto front: 2 trials are dominated by no other on accuracy (maximize), loss (minimize)",
		"TRIAL            ACCURACY   LOSS   LR     OPTIMIZER",
		"mnist-bbbbbbbb   0.93       0.25   0.1    adam",
		"mnist-eeeeeeee   0.85       0.2    0.01   sgd",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("front table:\n%s\nlacks %q", out, want)
		}
	}
	if strings.Index(out, "mnist-bbbbbbbb") > strings.Index(out, "mnist-eeeeeeee") {
		t.Errorf("front not ordered by accuracy:\n%s", out)
	}

	buf.Reset()
	if err := Trials(&buf, st, false, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if !strings.HasPrefix(lines[0], "NAME             STATE                FRONT   LR") {
		t.Errorf("trials header %q", lines[0])
	}
	for _, l := range lines[1:] {
		onFront := strings.Contains(l, "bbbbbbbb") || strings.Contains(l, "eeeeeeee")
		if l != "" && strings.Contains(l, " * ") != onFront {
			t.Errorf("trial line %q: marked %v, want %v", l, !onFront, onFront)
		}
	}

	buf.Reset()
	if err := Comparison(&buf, st, false, 0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(buf.String(), "\n")
	if !strings.HasPrefix(lines[1], "*   mnist-bbbbbbbb") || !strings.HasPrefix(lines[2], "*   mnist-eeeeeeee") || !strings.HasPrefix(lines[3], "    mnist-aaaaaaaa") {
		t.Errorf("comparison does not put the front first:\n%s", buf.String())
	}

	buf.Reset()
	if err := Experiments(&buf, []*store.State{st}, true, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"front of 2", "maximize accuracy, minimize loss", "mnist-bbbbbbbb,mnist-eeeeeeee"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("experiments table:\n%s\nlacks %q", buf.String(), want)
		}
	}
}

func TestCompareListsParetoFront(t *testing.T) {
	st := multiFixture()
	doc, err := Compare([]*store.State{st}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteComparison(&buf, doc, "json"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Objectives  []struct{ MetricName, Type string }
		Experiments []struct {
			ParetoFront []FrontTrial `json:"paretoFront"`
			Trials      []struct {
				Name          string
				OnParetoFront bool `json:"onParetoFront"`
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Objectives) != 2 || got.Objectives[1].MetricName != "loss" || got.Objectives[1].Type != "minimize" {
		t.Errorf("objectives %+v", got.Objectives)
	}
	front := got.Experiments[0].ParetoFront
	if len(front) != 2 || front[0].Name != "mnist-bbbbbbbb" || front[1].Name != "mnist-eeeeeeee" ||
		front[1].Objectives[1] != (ObjectiveValue{MetricName: "loss", Type: "minimize", Value: 0.2}) ||
		front[1].Parameters[1] != (NameValue{"optimizer", "sgd"}) {
		t.Errorf("paretoFront %+v", front)
	}
	if tr := got.Experiments[0].Trials; !tr[0].OnParetoFront || !tr[1].OnParetoFront || tr[2].OnParetoFront {
		t.Errorf("trials %+v", tr)
	}

	// A single-objective experiment's document has no front.
	doc, _ = Compare([]*store.State{fixture()}, t0)
	buf.Reset()
	_ = WriteComparison(&buf, doc, "json")
	if strings.Contains(buf.String(), "aretoFront") || strings.Contains(buf.String(), `"objectives"`) {
		t.Errorf("single objective document mentions a front:\n%s", buf.String())
	}

	// Experiments compared side by side must list the same objectives.
	other := fixture()
	if _, err := Compare([]*store.State{st, other}, t0); err == nil {
		t.Error("a multi-objective and a single-objective experiment compared")
	}
}
