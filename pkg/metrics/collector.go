package metrics

import (
	"math"
	"strconv"
	"sync"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// TailLines is how many of the last log lines error messages quote.
const TailLines = 10

// KeptLines is how many of the last raw log lines a Collector keeps: enough to store the
// lines that decided a trial's metrics with its record.
const KeptLines = 200

// Collector accumulates one trial's samples into Katib's observation. It is safe for
// concurrent use: the engine reads it while the log stream goroutine adds to it.
type Collector struct {
	mu         sync.Mutex
	objective  string
	strategies map[string]experiment.MetricStrategyType
	order      []string
	stats      map[string]*stat
	reports    []float64
	tail       []string
	next       int
	partial    string
}

type stat struct {
	min, max, latest float64
}

// NewCollector prepares a collector for the objective; its metric strategies decide which
// value stands for each metric (defaulted as Katib does when absent).
func NewCollector(objective *experiment.ObjectiveSpec) *Collector {
	c := &Collector{strategies: map[string]experiment.MetricStrategyType{}, stats: map[string]*stat{}}
	if objective == nil {
		return c
	}
	c.objective = objective.ObjectiveMetricName
	def := experiment.ExtractByLatest
	switch objective.Type {
	case experiment.ObjectiveTypeMinimize:
		def = experiment.ExtractByMin
	case experiment.ObjectiveTypeMaximize:
		def = experiment.ExtractByMax
	}
	for _, name := range append([]string{objective.ObjectiveMetricName}, objective.AdditionalMetricNames...) {
		c.strategies[name] = def
	}
	for _, s := range objective.MetricStrategies {
		if s.Value != "" {
			c.strategies[s.Name] = s.Value
		}
	}
	return c
}

// Add records one sample.
func (c *Collector) Add(s Sample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.add(s)
}

func (c *Collector) add(s Sample) {
	st, ok := c.stats[s.Name]
	if !ok {
		st = &stat{min: s.Value, max: s.Value}
		c.stats[s.Name] = st
		c.order = append(c.order, s.Name)
	}
	if s.Value < st.min {
		st.min = s.Value
	}
	if s.Value > st.max {
		st.max = s.Value
	}
	st.latest = s.Value
	if s.Name == c.objective {
		c.reports = append(c.reports, s.Value)
	}
}

// AddLine is the one call the engine makes per log line: it keeps the line for Tail,
// parses it (unless p is nil) and records its samples, which it returns.
func (c *Collector) AddLine(p *Parser, line string) []Sample {
	var samples []Sample
	if p != nil {
		samples = p.Parse(line)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tail) < KeptLines {
		c.tail = append(c.tail, line)
	} else {
		c.tail[c.next] = line
		c.next = (c.next + 1) % KeptLines
	}
	for _, s := range samples {
		c.add(s)
	}
	return samples
}

// AddPartial keeps text a log ended with, without a line end, for Tail: it is not parsed,
// since it may be a line cut short.
func (c *Collector) AddPartial(text string) {
	c.mu.Lock()
	c.partial = text
	c.mu.Unlock()
	c.AddLine(nil, text)
}

// Partial is the unterminated text the log ended with, if any.
func (c *Collector) Partial() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.partial
}

// Tail returns the last lines given to AddLine, oldest first.
func (c *Collector) Tail() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.tail))
	out = append(out, c.tail[c.next:]...)
	return append(out, c.tail[:c.next]...)
}

// Observation is Katib's status.observation: per metric seen, objective first, then in the
// order the metrics first appeared.
func (c *Collector) Observation() experiment.Observation {
	c.mu.Lock()
	defer c.mu.Unlock()
	obs := experiment.Observation{Metrics: []experiment.Metric{}}
	names := make([]string, 0, len(c.order))
	if _, ok := c.stats[c.objective]; ok {
		names = append(names, c.objective)
	}
	for _, n := range c.order {
		if n != c.objective {
			names = append(names, n)
		}
	}
	for _, n := range names {
		st := c.stats[n]
		obs.Metrics = append(obs.Metrics, experiment.Metric{
			Name: n, Min: FormatValue(st.min), Max: FormatValue(st.max), Latest: FormatValue(st.latest),
		})
	}
	return obs
}

// Objective is the objective metric's value after its strategy; false if it never appeared.
func (c *Collector) Objective() (float64, bool) {
	return c.Value(c.objective)
}

// Value is a metric's value after its strategy (latest when it has none); false if the
// metric never appeared.
func (c *Collector) Value(name string) (float64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.stats[name]
	if !ok {
		return 0, false
	}
	switch c.strategies[name] {
	case experiment.ExtractByMin:
		return st.min, true
	case experiment.ExtractByMax:
		return st.max, true
	default:
		return st.latest, true
	}
}

// Reports are the objective metric's values in the order they were reported, one per step,
// for early stopping and multi-fidelity algorithms.
func (c *Collector) Reports() []float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]float64(nil), c.reports...)
}

// FormatValue writes a metric value the way Python prints floats (0.91, 1e-05), which is
// what trainers print and what Katib stores, so values read back unchanged.
func FormatValue(v float64) string {
	// Python switches to exponent notation below 1e-4 and from 1e16 on; Go's 'g' would
	// already do so from 1e6, which reads badly for losses and counts.
	if a := math.Abs(v); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(v, 'e', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
