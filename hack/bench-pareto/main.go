// Command bench-pareto measures how well the nsga2 algorithm finds a Pareto front: ZDT1 (30
// variables in [0,1], two objectives minimised) at 200 trials with a population of 50, our
// nsga2 against Optuna's NSGAIISampler (and our random search as the floor), on the same
// seeds in the same run. Quality is the hypervolume of each study's non-dominated trials,
// against two reference points: (1.1, 11), tight on f1, and (11, 11), the one often quoted
// for ZDT problems. Optuna runs through /usr/bin/python3 (Debian's python3-optuna); without
// it the table shows ours alone.
//
//	go run ./hack/bench-pareto [-seeds 10] [-trials 200] [-population 50] [-parallel 1]
package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kubectl-katib/plugins/pkg/experiment"
	"github.com/kubectl-katib/plugins/pkg/suggest"
)

//go:embed optuna_nsga2.py
var optunaScript []byte

var refs = [][]float64{{1.1, 11}, {11, 11}}

var objectives = []experiment.Objective{
	{MetricName: "f1", Type: experiment.ObjectiveTypeMinimize},
	{MetricName: "f2", Type: experiment.ObjectiveTypeMinimize},
}

func main() {
	seeds := flag.Int("seeds", 10, "studies per method, seeds 1..N")
	trials := flag.Int("trials", 200, "trials per study")
	population := flag.Int("population", 50, "population_size")
	dims := flag.Int("dims", 30, "ZDT1 variables")
	parallel := flag.Int("parallel", 1, "trials our algorithms are asked for at a time (each batch finishes before the next ask)")
	python := flag.String("python", "/usr/bin/python3", "interpreter that imports optuna")
	verbose := flag.Bool("v", false, "print every study's hypervolumes")
	flag.Parse()

	var seedList []int
	for s := 1; s <= *seeds; s++ {
		seedList = append(seedList, s)
	}
	fmt.Printf("ZDT1, %d variables in [0,1], %d trials, population_size %d, seeds 1..%d, %d trial(s) asked at a time by ours\n",
		*dims, *trials, *population, *seeds, *parallel)

	results := map[string][][]float64{} // method -> per seed -> hypervolume per reference
	times := map[string]time.Duration{}
	methods := []string{"nsga2 (ours)"}
	for _, s := range seedList {
		start := time.Now()
		results["nsga2 (ours)"] = append(results["nsga2 (ours)"], hypervolumes(ours("nsga2", s, *dims, *trials, *population, *parallel)))
		times["nsga2 (ours)"] += time.Since(start)
		start = time.Now()
		results["random (ours)"] = append(results["random (ours)"], hypervolumes(ours("random", s, *dims, *trials, *population, *parallel)))
		times["random (ours)"] += time.Since(start)
	}
	start := time.Now()
	opt, version, err := optuna(*python, seedList, *dims, *trials, *population)
	if err != nil {
		fmt.Printf("Optuna not run: %v\n", err)
	} else {
		label := "optuna " + version + " NSGAIISampler"
		for _, values := range opt {
			results[label] = append(results[label], hypervolumes(values))
		}
		times[label] = time.Since(start)
		methods = append(methods, label)
	}
	methods = append(methods, "random (ours)")

	for r, ref := range refs {
		fmt.Printf("\nhypervolume against the reference point (%g, %g), higher is better:\n", ref[0], ref[1])
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "method\tmedian\tIQR (q1-q3)\tmin\tmax\tvs Optuna (median)\ttime")
		var optMedian float64
		if len(methods) > 2 {
			optMedian = median(column(results[methods[1]], r))
		}
		for _, m := range methods {
			col := column(results[m], r)
			q1, q3 := quantile(col, 0.25), quantile(col, 0.75)
			ratio := ""
			if optMedian > 0 {
				ratio = fmt.Sprintf("%.3f", median(col)/optMedian)
			}
			fmt.Fprintf(tw, "%s\t%.4f\t%.4f (%.4f-%.4f)\t%.4f\t%.4f\t%s\t%s\n", m, median(col), q3-q1, q1, q3, minOf(col), maxOf(col), ratio,
				times[m].Round(time.Millisecond))
		}
		tw.Flush()
	}
	if *verbose {
		fmt.Println("\nper seed (reference (1.1, 11)):")
		for i, s := range seedList {
			var parts []string
			for _, m := range methods {
				parts = append(parts, fmt.Sprintf("%s %.4f", m, results[m][i][0]))
			}
			fmt.Printf("  seed %d: %s\n", s, strings.Join(parts, ", "))
		}
	}
}

func spec(algorithm string, seed, dims, population int) *experiment.ExperimentSpec {
	s := &experiment.ExperimentSpec{
		Objective: &experiment.ObjectiveSpec{Type: experiment.ObjectiveTypeMinimize, ObjectiveMetricName: "f1", AdditionalMetricNames: []string{"f2"}},
		Algorithm: &experiment.AlgorithmSpec{AlgorithmName: algorithm},
	}
	for i := 0; i < dims; i++ {
		s.Parameters = append(s.Parameters, experiment.ParameterSpec{Name: fmt.Sprintf("x%02d", i), ParameterType: experiment.ParameterTypeDouble,
			FeasibleSpace: experiment.FeasibleSpace{Min: "0", Max: "1"}})
	}
	settings := []experiment.AlgorithmSetting{{Name: "random_state", Value: strconv.Itoa(seed)}}
	if algorithm == "nsga2" {
		settings = append(settings, experiment.AlgorithmSetting{Name: "population_size", Value: strconv.Itoa(population)})
	}
	s.Algorithm.AlgorithmSettings = settings
	return s
}

// ours runs one study of our algorithm and returns every trial's objectives.
func ours(algorithm string, seed, dims, trials, population, parallel int) [][]float64 {
	alg, err := suggest.NewForObjectives(spec(algorithm, seed, dims, population), objectives)
	if err != nil {
		fail(err)
	}
	var history []suggest.Trial
	var values [][]float64
	for len(history) < trials {
		sugs, err := alg.Suggest(history, min(parallel, trials-len(history)))
		if err != nil || len(sugs) == 0 {
			fail(fmt.Errorf("%s after %d trials: %d suggestions, %v", algorithm, len(history), len(sugs), err))
		}
		for _, s := range sugs {
			f := zdt1(s.Assignments)
			history = append(history, suggest.Trial{Name: strconv.Itoa(len(history)), Assignments: s.Assignments, Labels: s.Labels,
				State: suggest.StateSucceeded, Objective: &f[0], Objectives: f})
			values = append(values, f)
		}
	}
	return values
}

func zdt1(as []experiment.ParameterAssignment) []float64 {
	x := make([]float64, len(as))
	for i, a := range as {
		v, err := strconv.ParseFloat(a.Value, 64)
		if err != nil {
			fail(err)
		}
		x[i] = v
	}
	g := 0.0
	for _, v := range x[1:] {
		g += v
	}
	g = 1 + 9*g/float64(len(x)-1)
	return []float64{x[0], g * (1 - math.Sqrt(x[0]/g))}
}

func hypervolumes(values [][]float64) []float64 {
	out := make([]float64, len(refs))
	for i, ref := range refs {
		out[i] = suggest.Hypervolume(values, ref)
	}
	return out
}

// optuna runs Optuna's NSGAIISampler on the same problem, one study per seed.
func optuna(python string, seeds []int, dims, trials, population int) ([][][]float64, string, error) {
	f, err := os.CreateTemp("", "bench-pareto-*.py")
	if err != nil {
		return nil, "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(optunaScript); err != nil {
		return nil, "", err
	}
	f.Close()
	req, _ := json.Marshal(map[string]any{"dims": dims, "trials": trials, "population": population, "seeds": seeds})
	cmd := exec.Command(python, f.Name())
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v: %s (Debian's python3-optuna provides it: apt-get install -y python3-optuna)", python, err, strings.TrimSpace(lastLine(stderr.String())))
	}
	var all [][][]float64
	version := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var res struct {
			Seed    int         `json:"seed"`
			Version string      `json:"version"`
			Values  [][]float64 `json:"values"`
		}
		if err := json.Unmarshal(sc.Bytes(), &res); err != nil {
			return nil, "", fmt.Errorf("reading Optuna's output: %v", err)
		}
		all, version = append(all, res.Values), res.Version
	}
	if len(all) != len(seeds) {
		return nil, "", fmt.Errorf("optuna returned %d studies for %d seeds", len(all), len(seeds))
	}
	return all, version, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func column(rows [][]float64, i int) []float64 {
	out := make([]float64, len(rows))
	for j, r := range rows {
		out[j] = r[i]
	}
	return out
}

func median(v []float64) float64 { return quantile(v, 0.5) }

// quantile interpolates linearly between order statistics (numpy's default).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench-pareto:", err)
	os.Exit(1)
}
