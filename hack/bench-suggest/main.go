// Command bench-suggest measures the search quality of the suggestion algorithms: simple
// regret (best value found minus the known optimum) on Branin, Hartmann6 and a mixed
// int/double/log-double/categorical space, over many seeds, with random search and goptuna's
// own TPE and CMA-ES as peers on the same seeds, and Optuna's TPE, CMA-ES and scrambled Sobol
// (QMC) samplers when the system Python has optuna (optuna_peer.py evaluates the same
// objectives; a check at start makes sure Go and Python agree on them). Trials run one after
// another (one suggestion per ask). It prints a table of the median and interquartile range per
// algorithm and budget.
//
// With -suggest-time N it instead times every algorithm of ours (and the Optuna samplers) over
// one N-trial study per problem and prints the mean time of the last 50 asks.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/c-bata/goptuna"
	"github.com/c-bata/goptuna/cmaes"
	"github.com/c-bata/goptuna/tpe"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

// problem is a minimisation benchmark with a known optimum.
type problem struct {
	name    string
	params  []experiment.ParameterSpec
	f       func(map[string]string) float64
	optimum float64
	// argmin are points where f reaches optimum, formatted as assignments.
	argmin  []map[string]string
	budgets []int
	// goptuna draws the same parameters through a goptuna trial.
	goptuna func(goptuna.Trial) (map[string]string, error)
	// goptunaSpace, when set, is given to goptuna's CMA-ES up front: without it goptuna
	// v0.9.0 panics comparing categorical distributions ("comparing uncomparable type
	// goptuna.CategoricalDistribution" in IntersectionSearchSpace).
	goptunaSpace map[string]interface{}
}

func num(m map[string]string, k string) float64 {
	v, err := strconv.ParseFloat(m[k], 64)
	if err != nil {
		panic(fmt.Sprintf("%s=%q: %v", k, m[k], err))
	}
	return v
}

func dbl(name string, lo, hi float64) experiment.ParameterSpec {
	return experiment.ParameterSpec{Name: name, ParameterType: experiment.ParameterTypeDouble,
		FeasibleSpace: experiment.FeasibleSpace{Min: strconv.FormatFloat(lo, 'f', -1, 64), Max: strconv.FormatFloat(hi, 'f', -1, 64)}}
}

func branin(m map[string]string) float64 {
	x1, x2 := num(m, "x1"), num(m, "x2")
	b, c, t := 5.1/(4*math.Pi*math.Pi), 5/math.Pi, 1/(8*math.Pi)
	return math.Pow(x2-b*x1*x1+c*x1-6, 2) + 10*(1-t)*math.Cos(x1) + 10
}

var h6A = [4][6]float64{{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}}
var h6P = [4][6]float64{
	{1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991},
	{2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}}
var h6Alpha = [4]float64{1, 1.2, 3, 3.2}

func hartmann6(m map[string]string) float64 {
	s := 0.0
	for i := 0; i < 4; i++ {
		in := 0.0
		for j := 0; j < 6; j++ {
			x := num(m, fmt.Sprintf("x%d", j+1))
			in += h6A[i][j] * math.Pow(x-h6P[i][j]*1e-4, 2)
		}
		s += h6Alpha[i] * math.Exp(-in)
	}
	return -s
}

// mixed has its optimum 0 at layers=13, x=0.7, lr=10^-2.5, opt=b; x and log10(lr) interact.
var mixedOffsets = map[string]float64{"a": 0.6, "b": 0, "c": 0.3, "d": 1.0}

func mixed(m map[string]string) float64 {
	n := num(m, "layers")
	x := num(m, "x") - 0.7
	l := math.Log10(num(m, "lr")) + 2.5
	return 0.05*(n-13)*(n-13) + x*x + 0.5*x*l + 0.5*l*l + mixedOffsets[m["opt"]]
}

func problems() []problem {
	var h6 []experiment.ParameterSpec
	for j := 1; j <= 6; j++ {
		h6 = append(h6, dbl(fmt.Sprintf("x%d", j), 0, 1))
	}
	return []problem{
		{name: "Branin", params: []experiment.ParameterSpec{dbl("x1", -5, 10), dbl("x2", 0, 15)}, f: branin, optimum: 0.397887, budgets: []int{50, 100},
			argmin: []map[string]string{{"x1": ff(-math.Pi), "x2": "12.275"}, {"x1": ff(math.Pi), "x2": "2.275"}, {"x1": "9.42478", "x2": "2.475"}},
			goptuna: func(t goptuna.Trial) (map[string]string, error) {
				x1, err := t.SuggestFloat("x1", -5, 10)
				if err != nil {
					return nil, err
				}
				x2, err := t.SuggestFloat("x2", 0, 15)
				return map[string]string{"x1": ff(x1), "x2": ff(x2)}, err
			}},
		{name: "Hartmann6", params: h6, f: hartmann6, optimum: -3.32237, budgets: []int{100, 200},
			argmin: []map[string]string{{"x1": "0.20169", "x2": "0.150011", "x3": "0.476874", "x4": "0.275332", "x5": "0.311652", "x6": "0.6573"}},
			goptuna: func(t goptuna.Trial) (map[string]string, error) {
				m := map[string]string{}
				for j := 1; j <= 6; j++ {
					v, err := t.SuggestFloat(fmt.Sprintf("x%d", j), 0, 1)
					if err != nil {
						return nil, err
					}
					m[fmt.Sprintf("x%d", j)] = ff(v)
				}
				return m, nil
			}},
		{name: "Mixed4", params: []experiment.ParameterSpec{
			{Name: "layers", ParameterType: experiment.ParameterTypeInt, FeasibleSpace: experiment.FeasibleSpace{Min: "1", Max: "20"}},
			dbl("x", -2, 2),
			{Name: "lr", ParameterType: experiment.ParameterTypeDouble, FeasibleSpace: experiment.FeasibleSpace{Min: "0.00001", Max: "1", Distribution: experiment.DistributionLogUniform}},
			{Name: "opt", ParameterType: experiment.ParameterTypeCategorical, FeasibleSpace: experiment.FeasibleSpace{List: []string{"a", "b", "c", "d"}}},
		}, f: mixed, optimum: 0, budgets: []int{50, 100},
			argmin: []map[string]string{{"layers": "13", "x": "0.7", "lr": ff(math.Pow(10, -2.5)), "opt": "b"}},
			goptunaSpace: map[string]interface{}{
				"layers": goptuna.IntUniformDistribution{Low: 1, High: 20},
				"x":      goptuna.UniformDistribution{Low: -2, High: 2},
				"lr":     goptuna.LogUniformDistribution{Low: 0.00001, High: 1},
				"opt":    goptuna.CategoricalDistribution{Choices: []string{"a", "b", "c", "d"}},
			},
			goptuna: func(t goptuna.Trial) (map[string]string, error) {
				n, err := t.SuggestInt("layers", 1, 20)
				if err != nil {
					return nil, err
				}
				x, err := t.SuggestFloat("x", -2, 2)
				if err != nil {
					return nil, err
				}
				lr, err := t.SuggestLogFloat("lr", 0.00001, 1)
				if err != nil {
					return nil, err
				}
				c, err := t.SuggestCategorical("opt", []string{"a", "b", "c", "d"})
				return map[string]string{"layers": strconv.Itoa(n), "x": ff(x), "lr": ff(lr), "opt": c}, err
			}},
	}
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// runner runs studies and returns the best-so-far value after every trial: run does one seed's
// study, all (for peers that run elsewhere) every seed's at once.
type runner struct {
	name string
	run  func(p problem, seed, n int) ([]float64, error)
	all  func(p problem, seeds, n int) ([][]float64, error)
	// fromCache, when set, says whether the last all call read stored results (no time to show).
	fromCache func() bool
}

// studyLabel names one of our algorithms with its settings in the tables: bayesianoptimization
// with acq_func gp_hedge is "bayesianoptimization+gp_hedge", others "tpe+weighting=uniform".
func studyLabel(algorithm string, settings []string) string {
	name := algorithm
	for i := 0; i+1 < len(settings); i += 2 {
		if settings[i] == "acq_func" {
			name += "+" + settings[i+1]
		} else {
			name += "+" + settings[i] + "=" + settings[i+1]
		}
	}
	return name
}

func ours(algorithm string, settings ...string) runner {
	name := studyLabel(algorithm, settings)
	return runner{name: name, run: func(p problem, seed, n int) ([]float64, error) {
		spec := &experiment.ExperimentSpec{
			Parameters: p.params,
			Objective:  &experiment.ObjectiveSpec{Type: experiment.ObjectiveTypeMinimize, ObjectiveMetricName: "y"},
			Algorithm: &experiment.AlgorithmSpec{AlgorithmName: algorithm, AlgorithmSettings: []experiment.AlgorithmSetting{
				{Name: "random_state", Value: strconv.Itoa(seed)}}},
		}
		for i := 0; i+1 < len(settings); i += 2 {
			spec.Algorithm.AlgorithmSettings = append(spec.Algorithm.AlgorithmSettings, experiment.AlgorithmSetting{Name: settings[i], Value: settings[i+1]})
		}
		alg, err := suggest.New(spec)
		if err != nil {
			return nil, err
		}
		var hist []suggest.Trial
		best := make([]float64, 0, n)
		b := math.Inf(1)
		for len(hist) < n {
			s, err := alg.Suggest(hist, 1)
			if err != nil {
				return nil, err
			}
			if len(s) != 1 {
				return nil, fmt.Errorf("%s gave %d suggestions after %d trials", algorithm, len(s), len(hist))
			}
			m := map[string]string{}
			for _, a := range s[0].Assignments {
				m[a.Name] = a.Value
			}
			y := p.f(m)
			b = math.Min(b, y)
			best = append(best, b)
			hist = append(hist, suggest.Trial{Name: fmt.Sprint(len(hist)), Assignments: s[0].Assignments, Labels: s[0].Labels,
				State: suggest.StateSucceeded, Objective: &y})
		}
		return best, nil
	}}
}

func goptunaPeer(name string, mk func(seed int) []goptuna.StudyOption) runner {
	return runner{name: name, run: func(p problem, seed, n int) ([]float64, error) {
		opts := append([]goptuna.StudyOption{goptuna.StudyOptionLogger(nil)}, mk(seed)...)
		if p.goptunaSpace != nil && name == "goptuna-cmaes" {
			opts = append(opts, goptuna.StudyOptionDefineSearchSpace(p.goptunaSpace))
		}
		study, err := goptuna.CreateStudy("bench", opts...)
		if err != nil {
			return nil, err
		}
		best := make([]float64, 0, n)
		b := math.Inf(1)
		err = study.Optimize(func(t goptuna.Trial) (float64, error) {
			m, err := p.goptuna(t)
			if err != nil {
				return 0, err
			}
			y := p.f(m)
			b = math.Min(b, y)
			best = append(best, b)
			return y, nil
		}, n)
		return best, err
	}}
}

// selected says whether name is in the comma-separated list only (everything when empty).
func selected(only, name string) bool {
	if only == "" {
		return true
	}
	for _, n := range strings.Split(only, ",") {
		if n == name {
			return true
		}
	}
	return false
}

func runners(only string, peers *optunaPeers, workers int) []runner {
	all := []runner{
		ours("random"),
		goptunaPeer("goptuna-tpe", func(seed int) []goptuna.StudyOption {
			return []goptuna.StudyOption{goptuna.StudyOptionSampler(tpe.NewSampler(tpe.SamplerOptionSeed(int64(seed))))}
		}),
		goptunaPeer("goptuna-cmaes", func(seed int) []goptuna.StudyOption {
			// A seeded fallback: goptuna's default independent sampler is fixed at seed 0.
			return []goptuna.StudyOption{
				goptuna.StudyOptionSampler(goptuna.NewRandomSampler(goptuna.RandomSamplerOptionSeed(int64(seed)))),
				goptuna.StudyOptionRelativeSampler(cmaes.NewSampler(cmaes.SamplerOptionSeed(int64(seed))))}
		}),
	}
	for _, s := range peers.samplers("") {
		all = append(all, peers.runner(s, workers))
	}
	all = append(all,
		ours("sobol"),
		ours("tpe"),
		ours("multivariate-tpe"),
		// Optuna 3.1's TPESampler defaults, to tell our estimator from our defaults.
		ours("tpe", "weighting", "uniform", "n_ei_candidates", "24"),
		ours("multivariate-tpe", "weighting", "uniform", "gamma", "0.1"),
		ours("cmaes"),
		ours("bayesianoptimization"),
		ours("bayesianoptimization", "acq_func", "gp_hedge"),
	)
	var out []runner
	for _, r := range all {
		if selected(only, r.name) {
			out = append(out, r)
		}
	}
	return out
}

type cell struct {
	problem string
	budget  int
	algo    string
	regrets []float64
	seconds float64
}

func quantile(s []float64, q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	x := append([]float64(nil), s...)
	sort.Float64s(x)
	pos := q * float64(len(x)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(x)-1)
	return x[lo] + (pos-float64(lo))*(x[hi]-x[lo])
}

func main() {
	seeds := flag.Int("seeds", 30, "number of seeds (1..N)")
	quick := flag.Bool("quick", false, "8 seeds, for development")
	only := flag.String("algorithms", "", "comma-separated subset of algorithms")
	onlyProblem := flag.String("problems", "", "comma-separated subset of problems")
	workers := flag.Int("workers", runtime.NumCPU(), "studies run in parallel")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	withOptuna := flag.Bool("optuna", true, "run Optuna's samplers as peers (needs optuna importable by -python)")
	python := flag.String("python", "/usr/bin/python3", "Python interpreter for the Optuna peers")
	optunaCache := flag.Bool("optuna-cache", true, "reuse the Optuna peers' studies from an earlier run with the same request, script and Optuna version")
	suggestTime := flag.Int("suggest-time", 0, "instead of the regret table, time the asks of one study of this many trials per algorithm and problem")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *quick {
		*seeds = 8
	}
	start := time.Now()
	var ps []problem
	for _, p := range problems() {
		if selected(*onlyProblem, p.name) {
			ps = append(ps, p)
		}
	}
	peers := newOptunaPeers(*python, *withOptuna && wantsOptuna(*only), *optunaCache)
	defer peers.close()
	if peers.available() {
		if err := peers.checkObjectives(problems()); err != nil {
			// The peers' regrets would not be comparable with ours; better no table than that.
			fmt.Fprintf(os.Stderr, "the Python objectives differ from the Go ones: %v\n", err)
			peers.close()
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "%s: objectives agree with Go's at %d check points\n", peers.version, checkPoints(problems()))
	} else {
		fmt.Fprintln(os.Stderr, peers.note)
	}
	if *suggestTime > 0 {
		suggestTimes(ps, *suggestTime, 50, *only, peers, 1)
		fmt.Printf("\n%s\ntotal %.0fs on %d CPUs\n", peerLine(peers), time.Since(start).Seconds(), runtime.NumCPU())
		return
	}
	rs := runners(*only, peers, *workers)
	var cells []cell
	var skipped []string
	for _, p := range ps {
		maxB := p.budgets[len(p.budgets)-1]
		for _, r := range rs {
			t0 := time.Now()
			curves := make([][]float64, *seeds)
			errs := make([]error, *seeds)
			var wg sync.WaitGroup
			sem := make(chan struct{}, *workers)
			if r.all != nil {
				var err error
				if curves, err = r.all(p, *seeds, maxB); err != nil {
					// A peer that breaks (an Optuna bug, a killed interpreter) costs its rows,
					// not the rest of a long run.
					fmt.Fprintf(os.Stderr, "%s on %s: %v\n", r.name, p.name, err)
					skipped = append(skipped, fmt.Sprintf("%s on %s failed (see stderr); its rows are missing.", r.name, p.name))
					continue
				}
			}
			for s := 1; s <= *seeds && r.all == nil; s++ {
				wg.Add(1)
				sem <- struct{}{}
				go func(s int) {
					defer wg.Done()
					defer func() { <-sem }()
					curves[s-1], errs[s-1] = r.run(p, s, maxB)
				}(s)
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s on %s: %v\n", r.name, p.name, err)
					peers.close()
					os.Exit(1)
				}
			}
			el := time.Since(t0).Seconds()
			if r.fromCache != nil && r.fromCache() {
				el = math.NaN()
			}
			for _, b := range p.budgets {
				c := cell{problem: p.name, budget: b, algo: r.name, seconds: el}
				for _, cv := range curves {
					c.regrets = append(c.regrets, cv[b-1]-p.optimum)
				}
				cells = append(cells, c)
			}
			if math.IsNaN(el) {
				fmt.Fprintf(os.Stderr, "%-10s %-29s cached\n", p.name, r.name)
			} else {
				fmt.Fprintf(os.Stderr, "%-10s %-29s %6.1fs\n", p.name, r.name, el)
			}
		}
	}
	printTable(cells, *seeds)
	fmt.Printf("\n%d seeds, total %.0fs on %d CPUs\n%s\n", *seeds, time.Since(start).Seconds(), runtime.NumCPU(), peerLine(peers))
	for _, s := range skipped {
		fmt.Println(s)
	}
}

// wantsOptuna says whether the -algorithms selection has any Optuna peer in it.
func wantsOptuna(only string) bool {
	for _, s := range optunaSamplers {
		if selected(only, s.label) {
			return true
		}
	}
	return false
}

func checkPoints(ps []problem) int {
	n := 0
	for _, p := range ps {
		n += len(p.argmin) + 6
	}
	return n
}

// peerLine is the table's footnote on the Optuna peers: which version ran, or why none did.
func peerLine(peers *optunaPeers) string {
	if peers.available() {
		line := "optuna-* rows: " + peers.version + " (tpe and mvtpe: TPESampler defaults, independent and multivariate; " +
			"cmaes: CmaEsSampler; qmc: scrambled Sobol QMCSampler; all seeded with the seed)."
		if peers.cached > 0 {
			line += fmt.Sprintf("\n%d of %d optuna-* row groups read from %s (same request, script and Optuna version); -optuna-cache=false runs them again.",
				peers.cached, peers.cached+peers.fresh, peers.cacheDir)
		}
		return line
	}
	return peers.note
}

func printTable(cells []cell, seeds int) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "PROBLEM@TRIALS\tALGORITHM\tMEDIAN REGRET\tQ25\tQ75\tvs RANDOM\tSECONDS (all seeds)\t")
	randomMedian := map[string]float64{}
	for _, c := range cells {
		if c.algo == "random" {
			randomMedian[fmt.Sprintf("%s@%d", c.problem, c.budget)] = quantile(c.regrets, 0.5)
		}
	}
	keys := []string{}
	byKey := map[string][]cell{}
	for _, c := range cells {
		k := fmt.Sprintf("%s@%d", c.problem, c.budget)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], c)
	}
	for _, k := range keys {
		for _, c := range byKey[k] {
			med := quantile(c.regrets, 0.5)
			rel := ""
			if rm, ok := randomMedian[k]; ok && rm > 0 {
				rel = fmt.Sprintf("%.2fx", med/rm)
			}
			secs := fmt.Sprintf("%.1f", c.seconds)
			if math.IsNaN(c.seconds) {
				secs = "cached"
			}
			fmt.Fprintf(w, "%s\t%s\t%.4g\t%.4g\t%.4g\t%s\t%s\t\n", k, c.algo, med, quantile(c.regrets, 0.25), quantile(c.regrets, 0.75), rel, secs)
		}
		fmt.Fprintln(w, "\t\t\t\t\t\t\t")
	}
	w.Flush()
}
