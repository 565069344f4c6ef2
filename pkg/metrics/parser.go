// Package metrics turns the lines a trial prints into metric samples, the way Katib's
// StdOut metrics collector reads them (its default name=value filter, custom metricsFormat
// expressions, JSON lines), and accumulates them into Katib's observation (min, max and
// latest per metric).
package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// DefaultFormat is Katib's default metrics filter: `name=value` pairs, anywhere in a line,
// with values such as 0.98, .98, -7.53e-05 or 1E0.
const DefaultFormat = `([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)`

// TimestampKey is the key Katib's JSON format reads a line's time from.
const TimestampKey = "timestamp"

// Sample is one reported value of one metric.
type Sample struct {
	Name  string
	Value float64
	// Time is when the trial reported the value; zero if the line carried no timestamp.
	Time time.Time
}

// Parser extracts the samples of the wanted metrics from log lines.
type Parser struct {
	formats []*regexp.Regexp
	// custom is true when the experiment gave its own metricsFormat; JSON lines are then
	// not interpreted, as in Katib, where JSON and a filter exclude each other.
	custom bool
	// jsonOnly reads JSON lines only: Katib's File collector with format JSON, and the
	// TensorFlowEvent collector, whose sidecar prints JSON lines. textOnly reads lines by
	// the regexes only: the File collector with format TEXT, where Katib does not read JSON.
	jsonOnly bool
	textOnly bool
	names    []string
	wanted   map[string]bool
}

// NewParser builds a parser for the metrics collector spec (nil means Katib's default) that
// keeps only the named metrics (the objective metric and the additional metrics).
func NewParser(spec *experiment.MetricsCollectorSpec, names []string) (*Parser, error) {
	p := &Parser{names: append([]string(nil), names...), wanted: map[string]bool{}}
	for _, n := range names {
		p.wanted[n] = true
	}
	if spec != nil && spec.Collector != nil {
		switch spec.Collector.Kind {
		case experiment.TfEventCollector:
			p.jsonOnly = true
		case experiment.FileCollector:
			if spec.Source != nil && spec.Source.FileSystemPath != nil && spec.Source.FileSystemPath.Format == experiment.JSONFormat {
				p.jsonOnly = true
			} else {
				p.textOnly = true
			}
		}
	}
	var formats []string
	if spec != nil && spec.Source != nil && spec.Source.Filter != nil && len(spec.Source.Filter.MetricsFormat) > 0 {
		formats = spec.Source.Filter.MetricsFormat
		p.custom = true
	} else {
		formats = []string{DefaultFormat}
	}
	for i, f := range formats {
		re, err := regexp.Compile(f)
		if err != nil {
			return nil, fmt.Errorf("spec.metricsCollectorSpec.source.filter.metricsFormat[%d]: %q is not a valid regular expression (%w); fix the expression", i, f, err)
		}
		if re.NumSubexp() < 2 {
			return nil, fmt.Errorf("spec.metricsCollectorSpec.source.filter.metricsFormat[%d]: %q needs two groups, the metric name then its value", i, f)
		}
		p.formats = append(p.formats, re)
	}
	return p, nil
}

// Names are the metrics the parser keeps.
func (p *Parser) Names() []string { return append([]string(nil), p.names...) }

// Describe says how lines are read, for messages about metrics that never appeared.
func (p *Parser) Describe() string {
	quoted := make([]string, len(p.formats))
	for i, re := range p.formats {
		// Shown raw, not Go-quoted, so users can paste it into grep -E or a regex tester.
		quoted[i] = "'" + re.String() + "'"
	}
	if p.jsonOnly {
		return fmt.Sprintf("metrics %s as JSON objects {\"%s\": \"0.91\"}, one per line", strings.Join(p.names, ", "), firstOr(p.names, "accuracy"))
	}
	if p.custom {
		return fmt.Sprintf("metrics %s matched by the regular expression(s) %s (first group the name, second the value)",
			strings.Join(p.names, ", "), strings.Join(quoted, ", "))
	}
	return fmt.Sprintf("metrics %s printed as name=value (regular expression %s) or as JSON objects {\"%s\": value}, one per line",
		strings.Join(p.names, ", "), quoted[0], firstOr(p.names, "accuracy"))
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}

// Parse returns the samples of the wanted metrics found in one line, in the order they
// appear. A leading RFC 3339 timestamp ("2024-01-01T10:00:00Z accuracy=0.9", also what
// the Kubernetes log API prefixes with timestamps=true) is removed and becomes the
// samples' Time.
func (p *Parser) Parse(line string) []Sample {
	line = strings.TrimRight(line, "\r\n")
	var ts time.Time
	if first, rest, ok := strings.Cut(line, " "); ok {
		if t, err := time.Parse(time.RFC3339Nano, first); err == nil {
			ts, line = t, rest
		}
	}
	if p.jsonOnly {
		samples, _ := p.parseJSON(line, ts)
		return samples
	}
	if !p.custom && !p.textOnly {
		if samples, ok := p.parseJSON(line, ts); ok {
			return samples
		}
	}
	// Like Katib, skip lines that name none of the metrics before running the regexes.
	mentioned := false
	for _, n := range p.names {
		if strings.Contains(line, n) {
			mentioned = true
			break
		}
	}
	if !mentioned {
		return nil
	}
	var out []Sample
	for _, re := range p.formats {
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			name, raw := strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
			if !p.wanted[name] {
				continue
			}
			v, ok := parseNumber(raw)
			if !ok {
				continue
			}
			out = append(out, Sample{Name: name, Value: v, Time: ts})
		}
	}
	return out
}

// parseJSON reads a line holding one JSON object, as Katib's JSON format does: each wanted
// key with a number or a numeric string is a sample, and the "timestamp" key (RFC 3339
// string or Unix seconds) gives the time. Katib itself keeps only string values (what
// hypertune writes) and turns fractional Unix seconds into nanoseconds digit by digit;
// plain JSON numbers and exact fractions are accepted here because json.dumps writes them.
// ok is false when the line is not a JSON object, so the caller falls back to the regexes.
func (p *Parser) parseJSON(line string, ts time.Time) ([]Sample, bool) {
	trimmed := strings.TrimSpace(line)
	if !strings.HasPrefix(trimmed, "{") || !strings.HasSuffix(trimmed, "}") {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(trimmed)))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, false
	}
	if t, ok := jsonTime(obj[TimestampKey]); ok {
		ts = t
	}
	var out []Sample
	// Follow the order of names so that samples of one line come out deterministically.
	for _, name := range p.names {
		raw, present := obj[name]
		if !present {
			continue
		}
		var v float64
		var ok bool
		switch x := raw.(type) {
		case json.Number:
			v, ok = parseNumber(x.String())
		case string:
			v, ok = parseNumber(strings.TrimSpace(x))
		}
		if ok {
			out = append(out, Sample{Name: name, Value: v, Time: ts})
		}
	}
	return out, true
}

// jsonTime accepts what Katib's JSON format accepts for "timestamp": an RFC 3339 string or
// a number of seconds since the Unix epoch (Python's time.time()).
func jsonTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		return t, err == nil
	case json.Number:
		f, err := x.Float64()
		if err != nil || f <= 0 {
			return time.Time{}, false
		}
		sec := int64(f)
		nsec := int64((f - float64(sec)) * 1e9)
		return time.Unix(sec, nsec).UTC(), true
	}
	return time.Time{}, false
}

// parseNumber accepts decimal and scientific notation; NaN and infinities are not metric
// values an algorithm can compare, so they are dropped.
func parseNumber(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	if v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308 {
		return 0, false
	}
	return v, true
}
