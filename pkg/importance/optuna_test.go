package importance

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/optuna_fanova.json from a live Optuna run")

// The system interpreter is the one Debian's python3-optuna and python3-sklearn install into;
// a python3 earlier on PATH may be another installation without them.
const systemPython = "/usr/bin/python3"

const goldenPath = "testdata/optuna_fanova.json"

// fixtureParam is a parameter as both sides read it; Step only tells Optuna the grid of a
// discrete parameter, which its importance evaluator ignores like ours.
type fixtureParam struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Low     float64  `json:"low"`
	High    float64  `json:"high"`
	Log     bool     `json:"log"`
	Step    float64  `json:"step,omitempty"`
	Choices []string `json:"choices,omitempty"`
}

type fixtureTrial struct {
	Values    []float64 `json:"values"`
	Objective float64   `json:"objective"`
}

type fixture struct {
	Name     string         `json:"name"`
	Function string         `json:"function"`
	Params   []fixtureParam `json:"params"`
	Trials   []fixtureTrial `json:"trials"`
	// Expected lists the parameters from most to least important; the parameters of a group
	// are equally important by construction, so their order is left to chance.
	Expected [][]string `json:"expected"`
	// Optuna holds Optuna's importances for these trials, as recorded in the golden file.
	Optuna map[string]float64 `json:"optuna,omitempty"`
}

var kindNames = map[string]Kind{"double": Double, "int": Int, "discrete": Discrete, "categorical": Categorical}

func (f *fixture) inputs() ([]Param, []Trial) {
	params := make([]Param, len(f.Params))
	for i, p := range f.Params {
		params[i] = Param{Name: p.Name, Kind: kindNames[p.Kind], Low: p.Low, High: p.High, Log: p.Log, Choices: p.Choices}
	}
	trials := make([]Trial, len(f.Trials))
	for i, t := range f.Trials {
		trials[i] = Trial(t)
	}
	return params, trials
}

// sample draws a parameter value the way Optuna's random sampler would: log-scaled ones
// uniformly in log space, categoricals as a choice index.
func sample(rng *rand.Rand, p fixtureParam) float64 {
	switch p.Kind {
	case "int":
		return p.Low + float64(rng.IntN(int(p.High-p.Low)+1))
	case "discrete":
		return p.Low + p.Step*float64(rng.IntN(int(math.Round((p.High-p.Low)/p.Step))+1))
	case "categorical":
		return float64(rng.IntN(len(p.Choices)))
	}
	if p.Log {
		return math.Exp(math.Log(p.Low) + (math.Log(p.High)-math.Log(p.Low))*rng.Float64())
	}
	return p.Low + (p.High-p.Low)*rng.Float64()
}

// makeFixtures builds three experiments whose ranking is known from their objective.
func makeFixtures() []fixture {
	level := map[float64]float64{0: 0, 1: 0.5, 2: 1} // the categorical's choices as numbers
	defs := []struct {
		fixture
		n int
		f func(v []float64) float64
	}{
		{
			fixture: fixture{
				Name:     "dominant",
				Function: "10*x1 + 0.5*x2 + 0.1*x3",
				Params: []fixtureParam{
					{Name: "x1", Kind: "double", Low: 0, High: 1},
					{Name: "x2", Kind: "int", Low: 0, High: 3},
					{Name: "x3", Kind: "double", Low: 0.01, High: 1, Log: true},
				},
				Expected: [][]string{{"x1"}, {"x2"}, {"x3"}},
			},
			n: 150,
			f: func(v []float64) float64 { return 10*v[0] + 0.5*v[1] + 0.1*v[2] },
		},
		{
			fixture: fixture{
				Name:     "equal-pair",
				Function: "x1 + x2 + 0.05*x3, x3 in {low: 0, mid: 0.5, high: 1}",
				Params: []fixtureParam{
					{Name: "x1", Kind: "double", Low: 0, High: 1},
					{Name: "x2", Kind: "double", Low: 0, High: 1},
					{Name: "x3", Kind: "categorical", Choices: []string{"low", "mid", "high"}},
				},
				Expected: [][]string{{"x1", "x2"}, {"x3"}},
			},
			n: 200,
			f: func(v []float64) float64 { return v[0] + v[1] + 0.05*level[v[2]] },
		},
		{
			fixture: fixture{
				Name:     "interaction",
				Function: "x1*x2 + 0.1*x3",
				Params: []fixtureParam{
					{Name: "x1", Kind: "double", Low: 0, High: 1},
					{Name: "x2", Kind: "int", Low: 1, High: 3},
					{Name: "x3", Kind: "discrete", Low: 0, High: 1, Step: 0.25},
				},
				Expected: [][]string{{"x1"}, {"x2"}, {"x3"}},
			},
			n: 200,
			f: func(v []float64) float64 { return v[0]*v[1] + 0.1*v[2] },
		},
	}
	rng := rand.New(rand.NewPCG(2024, 7))
	var out []fixture
	for _, d := range defs {
		fx := d.fixture
		for range d.n {
			v := make([]float64, len(fx.Params))
			for j, p := range fx.Params {
				v[j] = sample(rng, p)
			}
			fx.Trials = append(fx.Trials, fixtureTrial{Values: v, Objective: d.f(v)})
		}
		out = append(out, fx)
	}
	return out
}

// optunaScript fits Optuna's default fANOVA evaluator (seed 0) to each fixture's trials.
const optunaScript = `
import json
import sys

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.importance import FanovaImportanceEvaluator, get_param_importances

optuna.logging.set_verbosity(optuna.logging.ERROR)

with open(sys.argv[1]) as f:
    fixtures = json.load(f)

out = {}
for fx in fixtures:
    dists = {}
    for p in fx["params"]:
        if p["kind"] == "categorical":
            dists[p["name"]] = CategoricalDistribution(p["choices"])
        elif p["kind"] == "int":
            dists[p["name"]] = IntDistribution(int(p["low"]), int(p["high"]), log=p["log"])
        elif p["kind"] == "discrete":
            dists[p["name"]] = FloatDistribution(p["low"], p["high"], step=p["step"])
        else:
            dists[p["name"]] = FloatDistribution(p["low"], p["high"], log=p["log"])
    study = optuna.create_study()
    for t in fx["trials"]:
        params = {}
        for p, v in zip(fx["params"], t["values"]):
            if p["kind"] == "categorical":
                params[p["name"]] = p["choices"][int(v)]
            elif p["kind"] == "int":
                params[p["name"]] = int(v)
            else:
                params[p["name"]] = v
        study.add_trial(
            optuna.trial.create_trial(params=params, distributions=dists, value=t["objective"])
        )
    importances = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    out[fx["name"]] = {k: float(v) for k, v in importances.items()}

json.dump(out, sys.stdout)
`

// requirePython skips the test when the system interpreter lacks Optuna or scikit-learn,
// unless KATIB_REQUIRE_PYTHON=1 asks for the comparison to be mandatory.
func requirePython(t *testing.T) {
	t.Helper()
	out, err := exec.Command(systemPython, "-c", "import optuna, sklearn").CombinedOutput()
	if err == nil {
		return
	}
	why := err.Error()
	if o := strings.TrimSpace(string(out)); o != "" {
		why = o
	}
	msg := fmt.Sprintf("%s cannot import optuna and sklearn (%s); install python3-optuna and python3-sklearn to compare with Optuna",
		systemPython, why)
	if os.Getenv("KATIB_REQUIRE_PYTHON") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func runOptuna(t *testing.T, fixtures []fixture) map[string]map[string]float64 {
	t.Helper()
	dir := t.TempDir()
	input := filepath.Join(dir, "fixtures.json")
	script := filepath.Join(dir, "fanova.py")
	data, err := json.Marshal(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(input, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(optunaScript), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(systemPython, script, input)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("optuna script: %v\n%s", err, stderr.String())
	}
	var res map[string]map[string]float64
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("optuna output %q: %v", stdout.String(), err)
	}
	return res
}

// TestAgreesWithOptuna runs Optuna on freshly generated fixtures and compares. With -update it
// also records the fixtures and Optuna's answers for TestAgreesWithRecordedOptuna.
func TestAgreesWithOptuna(t *testing.T) {
	requirePython(t)
	fixtures := makeFixtures()
	optuna := runOptuna(t, fixtures)
	for i := range fixtures {
		fx := &fixtures[i]
		fx.Optuna = optuna[fx.Name]
		t.Run(fx.Name, func(t *testing.T) { compareWithOptuna(t, fx) })
	}
	if *updateGolden {
		data, err := json.MarshalIndent(fixtures, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAgreesWithRecordedOptuna compares with Optuna's answers recorded in testdata, so the
// agreement is checked where Python is not installed too.
func TestAgreesWithRecordedOptuna(t *testing.T) {
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var fixtures []fixture
	if err := json.Unmarshal(data, &fixtures); err != nil {
		t.Fatal(err)
	}
	if len(fixtures) != 3 {
		t.Fatalf("%s has %d fixtures, want 3", goldenPath, len(fixtures))
	}
	for i := range fixtures {
		fx := &fixtures[i]
		t.Run(fx.Name, func(t *testing.T) { compareWithOptuna(t, fx) })
	}
}

const (
	// maxAbsDiff bounds how far one parameter's importance may be from Optuna's: the two
	// forests draw different bootstrap samples, which moves importances by a few hundredths.
	maxAbsDiff = 0.05
	// tieTolerance bounds the gap between two parameters that are equally important by
	// construction.
	tieTolerance = 0.1
	minSpearman  = 0.9
)

func compareWithOptuna(t *testing.T, fx *fixture) {
	params, trials := fx.inputs()
	res, err := Fanova(params, trials, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ours := make(map[string]float64, len(res))
	for _, r := range res {
		ours[r.Name] = r.Importance
	}
	if len(fx.Optuna) != len(params) {
		t.Fatalf("Optuna reported %v for %d parameters", fx.Optuna, len(params))
	}

	var names []string
	for _, p := range params {
		names = append(names, p.Name)
	}
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%s: f = %s, %d trials\n  %-*s %8s %8s\n", fx.Name, fx.Function, len(trials), width, "", "ours", "optuna")
	for _, n := range names {
		fmt.Fprintf(&table, "  %-*s %8.4f %8.4f\n", width, n, ours[n], fx.Optuna[n])
	}
	rho := spearman(names, ours, fx.Optuna, fx.Expected)
	fmt.Fprintf(&table, "  Spearman %.3f", rho)
	t.Log(table.String())

	for _, n := range names {
		if d := math.Abs(ours[n] - fx.Optuna[n]); d > maxAbsDiff {
			t.Errorf("%s: ours %.4f, Optuna %.4f, differ by more than %v", n, ours[n], fx.Optuna[n], maxAbsDiff)
		}
	}
	checkRanking(t, "ours", ours, fx.Expected)
	checkRanking(t, "Optuna", fx.Optuna, fx.Expected)
	if rho < minSpearman {
		t.Errorf("Spearman rank correlation %.3f with Optuna, want >= %v", rho, minSpearman)
	}
}

// checkRanking asserts that every parameter of a group outranks every parameter of the later
// groups, and that the parameters within a group are within tieTolerance of each other.
func checkRanking(t *testing.T, who string, imp map[string]float64, expected [][]string) {
	t.Helper()
	for g, group := range expected {
		for _, a := range group {
			for _, b := range group {
				if d := imp[a] - imp[b]; d > tieTolerance {
					t.Errorf("%s: %s (%.4f) and %s (%.4f) should be about equal", who, a, imp[a], b, imp[b])
				}
			}
			for _, later := range expected[g+1:] {
				for _, b := range later {
					if imp[a] <= imp[b] {
						t.Errorf("%s: %s (%.4f) should outrank %s (%.4f)", who, a, imp[a], b, imp[b])
					}
				}
			}
		}
	}
}

// spearman is the rank correlation of two importance maps. Parameters that the fixture
// declares equally important share their average rank on both sides, so that which of them
// comes first, a coin toss, does not count as disagreement.
func spearman(names []string, a, b map[string]float64, expected [][]string) float64 {
	ra, rb := ranks(names, a, expected), ranks(names, b, expected)
	return pearson(ra, rb)
}

func ranks(names []string, imp map[string]float64, expected [][]string) []float64 {
	order := append([]string(nil), names...)
	sort.SliceStable(order, func(i, j int) bool { return imp[order[i]] > imp[order[j]] })
	rank := make(map[string]float64, len(names))
	for i, n := range order {
		rank[n] = float64(i + 1)
	}
	// Values that are exactly equal are ties too.
	for i := 0; i < len(order); {
		j := i
		for j+1 < len(order) && imp[order[j+1]] == imp[order[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			rank[order[k]] = float64(i+j+2) / 2
		}
		i = j + 1
	}
	for _, group := range expected {
		var sum float64
		for _, n := range group {
			sum += rank[n]
		}
		for _, n := range group {
			rank[n] = sum / float64(len(group))
		}
	}
	out := make([]float64, len(names))
	for i, n := range names {
		out[i] = rank[n]
	}
	return out
}

func pearson(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	if sxx == 0 || syy == 0 {
		// Constant ranks on both sides (everything tied) agree completely.
		if sxx == syy {
			return 1
		}
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}

func TestSpearmanWithTies(t *testing.T) {
	names := []string{"a", "b", "c"}
	a := map[string]float64{"a": 0.5, "b": 0.45, "c": 0.05}
	b := map[string]float64{"a": 0.45, "b": 0.5, "c": 0.05}
	if got := spearman(names, a, b, nil); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("without declared ties: %v, want 0.5", got)
	}
	if got := spearman(names, a, b, [][]string{{"a", "b"}, {"c"}}); math.Abs(got-1) > 1e-12 {
		t.Errorf("with a, b tied: %v, want 1", got)
	}
	c := map[string]float64{"a": 0.05, "b": 0.45, "c": 0.5}
	if got := spearman(names, a, c, nil); math.Abs(got+1) > 1e-12 {
		t.Errorf("reversed: %v, want -1", got)
	}
}
