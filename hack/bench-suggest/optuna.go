package main

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// optunaScript drives Optuna's samplers on the same problems; it is written to a temporary
// file at start so `go run` works from any directory.
//
//go:embed optuna_peer.py
var optunaScript []byte

// optunaSampler is one Optuna sampler shown as a peer: label in the tables, name in the script.
type optunaSampler struct{ label, name string }

var optunaSamplers = []optunaSampler{
	{"optuna-tpe", "tpe"},
	{"optuna-mvtpe", "mvtpe"},
	{"optuna-cmaes", "cmaes"},
	{"optuna-qmc", "qmc"},
}

// optunaPeers runs Optuna through a Python interpreter. When Optuna cannot be used, note says
// why and the bench runs without these peers.
type optunaPeers struct {
	python  string
	script  string
	version string
	note    string
	// cacheDir, when set, keeps the peers' studies: the same request to the same script and
	// Optuna gives the same trials (every sampler is seeded), and re-running Optuna's TPE is
	// most of a -quick run's time while nothing about the peers changed.
	cacheDir      string
	cached, fresh int
	lastCached    bool // the last cachedCall was answered from the cache
}

func (o *optunaPeers) available() bool { return o != nil && o.script != "" && o.note == "" }

// newOptunaPeers finds out whether python can import optuna. Debian's python3-optuna installs
// for the system interpreter only, hence the default /usr/bin/python3 rather than the PATH's.
func newOptunaPeers(python string, enabled, cache bool) *optunaPeers {
	o := &optunaPeers{python: python}
	if dir, err := os.UserCacheDir(); err == nil && cache {
		o.cacheDir = filepath.Join(dir, "kubectl-katib", "bench-suggest")
	}
	if !enabled {
		o.note = "Optuna peers not run (-optuna=false)."
		return o
	}
	f, err := os.CreateTemp("", "bench-suggest-optuna-*.py")
	if err != nil {
		o.note = fmt.Sprintf("Optuna peers not run: %v.", err)
		return o
	}
	o.script = f.Name()
	_, err = f.Write(optunaScript)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		o.note = fmt.Sprintf("Optuna peers not run: %v.", err)
		return o
	}
	var v struct{ Optuna, Python string }
	if err := o.call(map[string]any{"mode": "version"}, &v); err != nil {
		o.note = fmt.Sprintf("Optuna peers not run: %s cannot import optuna (%s). On Debian: apt-get install -y python3-optuna.",
			python, firstLine(err.Error()))
		return o
	}
	o.version = fmt.Sprintf("Optuna %s on Python %s", v.Optuna, v.Python)
	return o
}

func (o *optunaPeers) close() {
	if o != nil && o.script != "" {
		os.Remove(o.script)
	}
}

func firstLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1] // Python's last line is the exception itself
}

// cachedCall is call for deterministic requests: an answer stored for the same script, Optuna
// version and request is read back instead of running the studies again. workers is added to
// the request after the cache key is made: it changes how fast the studies run, not them.
func (o *optunaPeers) cachedCall(req map[string]any, workers int, out any) error {
	in, err := json.Marshal(req)
	if err != nil {
		return err
	}
	req["workers"] = workers
	o.lastCached = false
	if o.cacheDir == "" {
		o.fresh++
		return o.call(req, out)
	}
	h := sha256.New()
	h.Write(optunaScript)
	h.Write([]byte{0})
	h.Write([]byte(o.version))
	h.Write([]byte{0})
	h.Write(in)
	file := filepath.Join(o.cacheDir, hex.EncodeToString(h.Sum(nil))[:32]+".json")
	if b, err := os.ReadFile(file); err == nil && json.Unmarshal(b, out) == nil {
		o.cached++
		o.lastCached = true
		return nil
	}
	var raw json.RawMessage
	if err := o.call(req, &raw); err != nil {
		return err
	}
	o.fresh++
	// A cache that cannot be written only costs the next run its time.
	if os.MkdirAll(o.cacheDir, 0o755) == nil {
		tmp := file + ".tmp"
		if os.WriteFile(tmp, raw, 0o644) == nil {
			_ = os.Rename(tmp, file)
		}
	}
	return json.Unmarshal(raw, out)
}

// call sends one request to the script and decodes its answer.
func (o *optunaPeers) call(req any, out any) error {
	in, err := json.Marshal(req)
	if err != nil {
		return err
	}
	cmd := exec.Command(o.python, o.script)
	cmd.Dir = filepath.Dir(o.script)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return json.Unmarshal(stdout.Bytes(), out)
}

func (o *optunaPeers) samplers(only string) []optunaSampler {
	if !o.available() {
		return nil
	}
	var out []optunaSampler
	for _, s := range optunaSamplers {
		if selected(only, s.label) {
			out = append(out, s)
		}
	}
	return out
}

// pyParam is a parameter as the script reads it.
type pyParam struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Low     *float64 `json:"low,omitempty"` // a pointer, so a bound of 0 is still sent
	High    *float64 `json:"high,omitempty"`
	Log     bool     `json:"log,omitempty"`
	Choices []string `json:"choices,omitempty"`
}

type pyProblem struct {
	Name   string    `json:"name"`
	Params []pyParam `json:"params"`
}

func toPython(p problem) pyProblem {
	out := pyProblem{Name: p.name}
	for _, ps := range p.params {
		q := pyParam{Name: ps.Name}
		switch ps.ParameterType {
		case experiment.ParameterTypeCategorical:
			q.Type, q.Choices = "categorical", ps.FeasibleSpace.List
		case experiment.ParameterTypeInt:
			q.Type = "int"
		default:
			q.Type = "double"
		}
		if q.Type != "categorical" {
			lo, _ := strconv.ParseFloat(ps.FeasibleSpace.Min, 64)
			hi, _ := strconv.ParseFloat(ps.FeasibleSpace.Max, 64)
			q.Low, q.High = &lo, &hi
			q.Log = ps.FeasibleSpace.Distribution == experiment.DistributionLogUniform
		}
		out.Params = append(out.Params, q)
	}
	return out
}

// runner returns the peer as a runner of the regret table: one Python process runs every
// seed's study, spread over the same number of workers as ours.
func (o *optunaPeers) runner(s optunaSampler, workers int) runner {
	return runner{name: s.label, fromCache: func() bool { return o.lastCached }, all: func(p problem, seeds, n int) ([][]float64, error) {
		ss := make([]int, seeds)
		for i := range ss {
			ss[i] = i + 1
		}
		var res struct{ Values [][]float64 }
		err := o.cachedCall(map[string]any{"mode": "run", "problem": toPython(p), "sampler": s.name, "budget": n,
			"seeds": ss}, workers, &res)
		if err != nil {
			return nil, err
		}
		if len(res.Values) != seeds {
			return nil, fmt.Errorf("%d studies back for %d seeds", len(res.Values), seeds)
		}
		curves := make([][]float64, seeds)
		for i, ys := range res.Values {
			if len(ys) != n {
				return nil, fmt.Errorf("seed %d: %d trials back for %d", i+1, len(ys), n)
			}
			b := math.Inf(1)
			for _, y := range ys {
				b = math.Min(b, y)
				curves[i] = append(curves[i], b)
			}
		}
		return curves, nil
	}}
}

func (o *optunaPeers) askTimes(p problem, s optunaSampler, n, seed int) ([]float64, error) {
	var res struct{ Seconds []float64 }
	err := o.call(map[string]any{"mode": "time", "problem": toPython(p), "sampler": s.name, "budget": n, "seeds": []int{seed}}, &res)
	if err == nil && len(res.Seconds) != n {
		err = fmt.Errorf("%d ask times back for %d trials", len(res.Seconds), n)
	}
	return res.Seconds, err
}

// checkObjectives makes sure the script's objectives are the Go ones: at each problem's known
// minimisers (which also checks the optimum the regret is measured from) and at random points
// of its space, Python must give the value Go gives to within rounding. Without this a typo in
// either copy would make the peers' regrets silently incomparable.
func (o *optunaPeers) checkObjectives(ps []problem) error {
	type point struct {
		Problem     string            `json:"problem"`
		Assignments map[string]string `json:"assignments"`
	}
	var pts []point
	var want []float64
	r := rand.New(rand.NewPCG(2024, 7))
	for _, p := range ps {
		for _, m := range p.argmin {
			if y := p.f(m); math.Abs(y-p.optimum) > 1e-5 {
				return fmt.Errorf("%s at its minimiser %v is %.8g, not the optimum %.8g", p.name, m, y, p.optimum)
			}
			pts, want = append(pts, point{p.name, m}), append(want, p.f(m))
		}
		for k := 0; k < 6; k++ {
			m := randomPoint(r, p.params)
			pts, want = append(pts, point{p.name, m}), append(want, p.f(m))
		}
	}
	var res struct{ Values []float64 }
	if err := o.call(map[string]any{"mode": "check", "points": pts}, &res); err != nil {
		return err
	}
	if len(res.Values) != len(pts) {
		return fmt.Errorf("%d values back for %d points", len(res.Values), len(pts))
	}
	for i, got := range res.Values {
		if math.Abs(got-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
			return fmt.Errorf("%s at %v: Go %.17g, Python %.17g", pts[i].Problem, pts[i].Assignments, want[i], got)
		}
	}
	return nil
}

// randomPoint draws assignments uniformly in the parameters' ranges (log-uniform where the
// parameter is), formatted as the algorithms format them.
func randomPoint(r *rand.Rand, params []experiment.ParameterSpec) map[string]string {
	m := map[string]string{}
	for _, ps := range params {
		lo, _ := strconv.ParseFloat(ps.FeasibleSpace.Min, 64)
		hi, _ := strconv.ParseFloat(ps.FeasibleSpace.Max, 64)
		switch {
		case ps.ParameterType == experiment.ParameterTypeCategorical:
			m[ps.Name] = ps.FeasibleSpace.List[r.IntN(len(ps.FeasibleSpace.List))]
		case ps.ParameterType == experiment.ParameterTypeInt:
			m[ps.Name] = strconv.Itoa(int(lo) + r.IntN(int(hi-lo)+1))
		case ps.FeasibleSpace.Distribution == experiment.DistributionLogUniform:
			m[ps.Name] = ff(math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo))))
		default:
			m[ps.Name] = ff(lo + r.Float64()*(hi-lo))
		}
	}
	return m
}
