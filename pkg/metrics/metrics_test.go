package metrics

import (
	"errors"
	"fmt"
	"reflect"
	"regexp/syntax"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func filter(formats ...string) *experiment.MetricsCollectorSpec {
	return &experiment.MetricsCollectorSpec{
		Source:    &experiment.SourceSpec{Filter: &experiment.FilterSpec{MetricsFormat: formats}},
		Collector: &experiment.CollectorSpec{Kind: experiment.StdOutCollector},
	}
}

// fileSpec is Katib's File collector with the format (defaulted, as SetDefaults leaves it).
func fileSpec(format experiment.FileFormat) *experiment.MetricsCollectorSpec {
	return &experiment.MetricsCollectorSpec{
		Source:    &experiment.SourceSpec{FileSystemPath: &experiment.FileSystemPath{Path: "/katib/m", Kind: experiment.FileKind, Format: format}},
		Collector: &experiment.CollectorSpec{Kind: experiment.FileCollector},
	}
}

// stepFormat reads TensorFlow/PyTorch style lines such as "Accuracy at step 0: 0.1005".
const stepFormat = `([\w|-]+)\s*at step \d+:\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)`

func TestParse(t *testing.T) {
	ts := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
	tsNano := time.Date(2021, 12, 2, 14, 27, 50, 35161, time.UTC)
	s := func(name string, v float64) Sample { return Sample{Name: name, Value: v} }
	st := func(name string, v float64, at time.Time) Sample { return Sample{Name: name, Value: v, Time: at} }
	cases := []struct {
		name  string
		spec  *experiment.MetricsCollectorSpec
		names []string
		line  string
		want  []Sample
	}{
		{"single", nil, []string{"accuracy"}, "accuracy=0.91", []Sample{s("accuracy", 0.91)}},
		{"two on a line", nil, []string{"accuracy", "loss"}, "accuracy=0.91 loss=0.3", []Sample{s("accuracy", 0.91), s("loss", 0.3)}},
		{"spaces around =", nil, []string{"loss"}, "epoch 3: loss = 0.25", []Sample{s("loss", 0.25)}},
		{"leading dot", nil, []string{"accuracy"}, "accuracy=.98", []Sample{s("accuracy", 0.98)}},
		{"negative", nil, []string{"score"}, "score=-1.5", []Sample{s("score", -1.5)}},
		{"scientific negative exponent", nil, []string{"loss"}, "loss=-7.53e-05", []Sample{s("loss", -7.53e-05)}},
		{"scientific capital E", nil, []string{"Score"}, "Score=1.23E10", []Sample{s("Score", 1.23e10)}},
		{"scientific plus exponent", nil, []string{"loss"}, "loss=7.53e+05", []Sample{s("loss", 7.53e+05)}},
		{"name with dash", nil, []string{"Validation-accuracy", "Train-accuracy"},
			"Epoch[0] Train-accuracy=0.852 Validation-accuracy=0.9012",
			[]Sample{s("Train-accuracy", 0.852), s("Validation-accuracy", 0.9012)}},
		{"other names ignored", nil, []string{"loss"}, "lr=0.01 momentum=0.9 loss=0.2", []Sample{s("loss", 0.2)}},
		{"prefix of a name is not the name", nil, []string{"loss"}, "val_loss=0.2", nil},
		{"no value", nil, []string{"loss"}, "loss=", nil},
		{"not a number", nil, []string{"loss"}, "loss=nan", nil},
		{"no metric", nil, []string{"loss"}, "Train Epoch: 1 [0/60000 (0%)]", nil},
		{"empty line", nil, []string{"loss"}, "", nil},
		{"garbage", nil, []string{"loss"}, "\x00\x01loss\t==\xff", nil},
		{"rfc3339 timestamp", nil, []string{"accuracy"}, "2024-01-01T10:00:00Z accuracy=0.9", []Sample{st("accuracy", 0.9, ts)}},
		{"rfc3339nano timestamp (kubectl logs --timestamps)", nil, []string{"accuracy"},
			"2021-12-02T14:27:50.000035161Z accuracy=0.9", []Sample{st("accuracy", 0.9, tsNano)}},
		{"not a timestamp", nil, []string{"accuracy"}, "2024-13-45 accuracy=0.9", []Sample{s("accuracy", 0.9)}},
		{"json numbers", nil, []string{"accuracy", "loss"}, `{"accuracy": 0.93, "loss": 0.22}`,
			[]Sample{s("accuracy", 0.93), s("loss", 0.22)}},
		{"json numeric strings (Katib's hypertune format)", nil, []string{"loss"},
			`{"checkpoint_path": "", "global_step": "0", "loss": "0.22082142531871796", "trial": "0"}`,
			[]Sample{s("loss", 0.22082142531871796)}},
		{"json float timestamp", nil, []string{"acc"},
			`{"acc": "0.93", "timestamp": 1704103200.5}`,
			[]Sample{st("acc", 0.93, time.Date(2024, 1, 1, 10, 0, 0, 5e8, time.UTC))}},
		{"json string timestamp", nil, []string{"loss"},
			`{"loss": "0.14", "timestamp": "2021-12-02T14:27:50.000035161Z"}`, []Sample{st("loss", 0.14, tsNano)}},
		{"json invalid timestamp ignored", nil, []string{"loss"}, `{"loss": 0.1, "timestamp": "yesterday"}`, []Sample{s("loss", 0.1)}},
		{"json non-numeric value", nil, []string{"loss"}, `{"loss": "high", "accuracy": true}`, nil},
		{"json without the metric", nil, []string{"loss"}, `{"epoch": 1}`, nil},
		{"json with prefix timestamp", nil, []string{"loss"}, `2024-01-01T10:00:00Z {"loss": 0.5}`, []Sample{st("loss", 0.5, ts)}},
		{"broken json falls back to regex", nil, []string{"loss"}, `{"epoch": 1, loss=0.5}`, []Sample{s("loss", 0.5)}},
		{"custom step format", filter(stepFormat), []string{"Accuracy"}, "Accuracy at step 0: 0.1005", []Sample{s("Accuracy", 0.1005)}},
		{"custom step format, scientific", filter(stepFormat), []string{"Loss"}, "Loss at step 120: 2.5e-3", []Sample{s("Loss", 0.0025)}},
		{"custom format from Katib's file collector example",
			filter(`{metricName: ([\w|-]+), metricValue: ((-?\d+)(\.\d+)?)}`), []string{"accuracy", "loss"},
			"{metricName: accuracy, metricValue: 0.8491}", []Sample{s("accuracy", 0.8491)}},
		{"custom format: default no longer applies", filter(stepFormat), []string{"loss"}, "loss=0.3", nil},
		{"custom format: json not read", filter(stepFormat), []string{"loss"}, `{"loss": 0.3}`, nil},
		{"custom formats, several", filter(stepFormat, `([\w|-]+):\s+([\d.]+)`), []string{"Accuracy", "loss"},
			"Accuracy at step 3: 0.5", []Sample{s("Accuracy", 0.5)}},
		{"file TEXT: name=value", fileSpec(experiment.TextFormat), []string{"loss"}, "epoch=1 loss=0.3", []Sample{s("loss", 0.3)}},
		{"file TEXT: json not read", fileSpec(experiment.TextFormat), []string{"loss"}, `{"loss": "0.3"}`, nil},
		{"file JSON: string values", fileSpec(experiment.JSONFormat), []string{"accuracy", "loss"}, `{"epoch": "1", "accuracy": "0.91", "loss": "0.3"}`,
			[]Sample{s("accuracy", 0.91), s("loss", 0.3)}},
		{"file JSON: numbers too", fileSpec(experiment.JSONFormat), []string{"loss"}, `{"loss": 0.3}`, []Sample{s("loss", 0.3)}},
		{"file JSON: text not read", fileSpec(experiment.JSONFormat), []string{"loss"}, "loss=0.3", nil},
		{"tfevent: the sidecar's JSON lines", &experiment.MetricsCollectorSpec{Collector: &experiment.CollectorSpec{Kind: experiment.TfEventCollector}},
			[]string{"test/accuracy"}, `{"test/accuracy": 0.9012, "timestamp": 1704103200}`, []Sample{st("test/accuracy", 0.9012, ts)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewParser(tc.spec, tc.names)
			if err != nil {
				t.Fatal(err)
			}
			got := p.Parse(tc.line)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%q) = %v, want %v", tc.line, got, tc.want)
			}
		})
	}
}

func TestNewParserRejectsBadFormats(t *testing.T) {
	for _, f := range []string{`(unclosed`, `([\w]+)=\d+`} {
		if _, err := NewParser(filter(f), []string{"loss"}); err == nil {
			t.Errorf("NewParser(%q) accepted a format without a name and a value group", f)
		}
	}
	var syntaxErr *syntax.Error
	if _, err := NewParser(filter(`(unclosed`), []string{"loss"}); !errors.As(err, &syntaxErr) || syntaxErr.Code != syntax.ErrMissingParen {
		t.Errorf("the regexp error is not wrapped: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	p, _ := NewParser(nil, []string{"accuracy"})
	if d := p.Describe(); !strings.Contains(d, DefaultFormat) || !strings.Contains(d, "accuracy") {
		t.Errorf("Describe() = %q, want the default regex and the metric name", d)
	}
	p, _ = NewParser(filter(stepFormat), []string{"Accuracy"})
	if d := p.Describe(); !strings.Contains(d, stepFormat) {
		t.Errorf("Describe() = %q, want the custom regex", d)
	}
}

func objective(typ experiment.ObjectiveType, name string, additional []string, strategies ...experiment.MetricStrategy) *experiment.ObjectiveSpec {
	return &experiment.ObjectiveSpec{Type: typ, ObjectiveMetricName: name, AdditionalMetricNames: additional, MetricStrategies: strategies}
}

func TestCollector(t *testing.T) {
	p, err := NewParser(nil, []string{"accuracy", "loss"})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(objective(experiment.ObjectiveTypeMaximize, "accuracy", []string{"loss"},
		experiment.MetricStrategy{Name: "loss", Value: experiment.ExtractByMin}))
	if _, ok := c.Objective(); ok {
		t.Fatal("Objective() before any line reported a value")
	}
	for _, l := range []string{"starting", "accuracy=0.5 loss=0.9", "accuracy=0.8 loss=0.4", "accuracy=0.7 loss=0.5", "done"} {
		c.AddLine(p, l)
	}
	if v, ok := c.Objective(); !ok || v != 0.8 {
		t.Errorf("Objective() = %v, %v; want 0.8 (max)", v, ok)
	}
	if v, ok := c.Value("loss"); !ok || v != 0.4 {
		t.Errorf("Value(loss) = %v, %v; want 0.4 (min)", v, ok)
	}
	if _, ok := c.Value("f1"); ok {
		t.Error("Value(f1) reported a metric that never appeared")
	}
	if got, want := c.Reports(), []float64{0.5, 0.8, 0.7}; !reflect.DeepEqual(got, want) {
		t.Errorf("Reports() = %v, want %v", got, want)
	}
	want := experiment.Observation{Metrics: []experiment.Metric{
		{Name: "accuracy", Min: "0.5", Max: "0.8", Latest: "0.7"},
		{Name: "loss", Min: "0.4", Max: "0.9", Latest: "0.5"},
	}}
	if got := c.Observation(); !reflect.DeepEqual(got, want) {
		t.Errorf("Observation() = %+v, want %+v", got, want)
	}
}

func TestCollectorDefaultStrategies(t *testing.T) {
	// Without metricStrategies, every metric follows the objective's direction, as Katib's
	// defaulting does.
	c := NewCollector(objective(experiment.ObjectiveTypeMinimize, "loss", []string{"accuracy"}))
	for _, v := range []float64{0.3, 0.1, 0.2} {
		c.Add(Sample{Name: "loss", Value: v})
		c.Add(Sample{Name: "accuracy", Value: 1 - v})
	}
	if v, _ := c.Objective(); v != 0.1 {
		t.Errorf("Objective() = %v, want 0.1", v)
	}
	if v, _ := c.Value("accuracy"); v != 0.7 {
		t.Errorf("Value(accuracy) = %v, want 0.7 (min, the objective's direction)", v)
	}
	c = NewCollector(objective(experiment.ObjectiveTypeMinimize, "loss", nil,
		experiment.MetricStrategy{Name: "loss", Value: experiment.ExtractByLatest}))
	c.Add(Sample{Name: "loss", Value: 0.1})
	c.Add(Sample{Name: "loss", Value: 0.4})
	if v, _ := c.Objective(); v != 0.4 {
		t.Errorf("Objective() with strategy latest = %v, want 0.4", v)
	}
}

func TestCollectorObservationOrderAndObjectiveFirst(t *testing.T) {
	c := NewCollector(objective(experiment.ObjectiveTypeMaximize, "accuracy", []string{"loss", "f1"}))
	c.Add(Sample{Name: "f1", Value: 0.5})
	c.Add(Sample{Name: "loss", Value: 1e-05})
	c.Add(Sample{Name: "accuracy", Value: 12345678})
	got := c.Observation()
	names := []string{}
	for _, m := range got.Metrics {
		names = append(names, m.Name+"="+m.Latest)
	}
	if want := []string{"accuracy=12345678", "f1=0.5", "loss=1e-05"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Observation() metrics = %v, want %v", names, want)
	}
}

func TestTail(t *testing.T) {
	p, _ := NewParser(nil, []string{"loss"})
	c := NewCollector(objective(experiment.ObjectiveTypeMinimize, "loss", nil))
	if got := c.Tail(); len(got) != 0 {
		t.Errorf("Tail() of a new collector = %v", got)
	}
	n := KeptLines + 15
	for i := 1; i <= n; i++ {
		c.AddLine(p, fmt.Sprintf("line %d", i))
	}
	got := c.Tail()
	if len(got) != KeptLines || got[0] != "line 16" || got[KeptLines-1] != fmt.Sprintf("line %d", n) {
		t.Errorf("Tail() = %v ... %v, want lines 16..%d", got[:2], got[len(got)-2:], n)
	}
	if samples := c.AddLine(p, "loss=0.5"); len(samples) != 1 {
		t.Errorf("AddLine returned %v, want one sample", samples)
	}
	if got := c.Tail(); got[KeptLines-1] != "loss=0.5" || got[0] != "line 17" {
		t.Errorf("Tail() first %q, last %q", got[0], got[KeptLines-1])
	}
}

func TestFormatValue(t *testing.T) {
	for v, want := range map[float64]string{0.91: "0.91", 1e-05: "1e-05", 0: "0", -3: "-3", 1234567: "1234567", 0.0001: "0.0001", 1e16: "1e+16"} {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
}

// An unterminated end of log may be a line cut short, so it is kept for messages but never
// read as a value.
func TestPartialIsNotParsed(t *testing.T) {
	p, _ := NewParser(nil, []string{"accuracy"})
	c := NewCollector(objective(experiment.ObjectiveTypeMaximize, "accuracy", nil))
	c.AddLine(p, "accuracy=0.5")
	c.AddPartial("accuracy=0.9")
	if v, ok := c.Objective(); !ok || v != 0.5 {
		t.Errorf("Objective() = %v, %v; want 0.5 from the whole line only", v, ok)
	}
	if got := c.Partial(); got != "accuracy=0.9" {
		t.Errorf("Partial() = %q", got)
	}
	if tail := c.Tail(); len(tail) != 2 || tail[1] != "accuracy=0.9" {
		t.Errorf("Tail() = %v, want the partial line last", tail)
	}
	if r := c.Reports(); len(r) != 1 {
		t.Errorf("Reports() = %v, want one", r)
	}
}
