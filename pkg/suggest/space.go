package suggest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// The search space every algorithm works in is the unit cube: one coordinate u in [0,1) per
// parameter. A parameter maps u to a value through the inverse CDF of its prior distribution
// (uniform, logUniform, normal or logNormal, truncated to [min,max]) and then rounds to its
// step; categorical and discrete parameters map u to an index of their list. Because u is the
// prior's CDF, sampling u uniformly samples the prior, so random, sobol, the TPE prior,
// hyperband's random brackets, CMA-ES and the Gaussian process all honour the distribution.
// Only grid ignores it (a grid enumerates every step, as Katib's does).

// paramKind is the shape of one parameter in the unit cube.
type paramKind int

const (
	kindDouble paramKind = iota
	kindInt
	kindList // categorical and discrete: an index into list
)

// param is one parsed search-space parameter.
type param struct {
	name  string
	ptype experiment.ParameterType
	kind  paramKind
	min   float64
	max   float64
	step  float64 // 0 when the double has no step; ints default to 1
	dist  experiment.Distribution
	list  []string
	// decimals is how many digits after the point a stepped double keeps, so min+k*step
	// prints as 0.3 and not 0.30000000000000004.
	decimals int
	// lo, hi bound the continuous value before rounding (stepped values extend by half a
	// step on each side so that every level gets the same prior mass under uniform).
	lo, hi float64
	// mu, sigma are the normal prior's parameters (in log space for logNormal).
	mu, sigma float64
}

// space is the parsed parameter list of an experiment, in spec order.
type space struct {
	params []param
}

func newSpace(spec *experiment.ExperimentSpec) (*space, error) {
	if len(spec.Parameters) == 0 {
		return nil, fmt.Errorf("spec.parameters is empty")
	}
	s := &space{}
	for i, ps := range spec.Parameters {
		p, err := parseParam(ps)
		if err != nil {
			return nil, fmt.Errorf("spec.parameters[%d]: %w", i, err)
		}
		s.params = append(s.params, p)
	}
	return s, nil
}

func decimalsOf(s string) int {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0
		}
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

func parseParam(ps experiment.ParameterSpec) (param, error) {
	p := param{name: ps.Name, ptype: ps.ParameterType, dist: ps.FeasibleSpace.Distribution}
	if p.dist == "" {
		p.dist = experiment.DistributionUniform
	}
	fs := ps.FeasibleSpace
	switch ps.ParameterType {
	case experiment.ParameterTypeCategorical, experiment.ParameterTypeDiscrete:
		if len(fs.List) == 0 {
			return p, fmt.Errorf("parameter %q has an empty list", ps.Name)
		}
		p.kind = kindList
		p.list = append([]string(nil), fs.List...)
		return p, nil
	case experiment.ParameterTypeInt, experiment.ParameterTypeDouble:
	default:
		return p, fmt.Errorf("parameter %q has unknown type %q", ps.Name, ps.ParameterType)
	}
	var err error
	if p.min, err = strconv.ParseFloat(strings.TrimSpace(fs.Min), 64); err != nil {
		return p, fmt.Errorf("parameter %q: min %q is not a number", ps.Name, fs.Min)
	}
	if p.max, err = strconv.ParseFloat(strings.TrimSpace(fs.Max), 64); err != nil {
		return p, fmt.Errorf("parameter %q: max %q is not a number", ps.Name, fs.Max)
	}
	if p.max < p.min {
		return p, fmt.Errorf("parameter %q: max %v is below min %v", ps.Name, p.max, p.min)
	}
	if fs.Step != "" {
		if p.step, err = strconv.ParseFloat(strings.TrimSpace(fs.Step), 64); err != nil || p.step <= 0 {
			return p, fmt.Errorf("parameter %q: step %q is not a positive number", ps.Name, fs.Step)
		}
	}
	if ps.ParameterType == experiment.ParameterTypeInt {
		p.kind = kindInt
		p.min, p.max = math.Ceil(p.min), math.Floor(p.max)
		if p.step == 0 {
			p.step = 1 // Katib's default for int parameters
		}
		p.step = math.Max(1, math.Round(p.step))
	} else {
		p.kind = kindDouble
		p.decimals = max(decimalsOf(fs.Min), decimalsOf(fs.Step))
	}
	logScale := p.dist == experiment.DistributionLogUniform || p.dist == experiment.DistributionLogNormal
	if logScale && p.min <= 0 {
		return p, fmt.Errorf("parameter %q: a %s distribution needs min > 0", ps.Name, p.dist)
	}
	p.lo, p.hi = p.min, p.max
	if p.step > 0 {
		half := p.step / 2
		if !logScale || p.min-half > 0 {
			p.lo, p.hi = p.min-half, p.levelValue(p.levels()-1)+half
		}
	}
	switch p.dist {
	case experiment.DistributionNormal:
		// The normal prior is centred on the range with 99.7% of its mass inside it, and
		// truncated to the range (Katib's hyperopt service centres it the same way).
		p.mu, p.sigma = (p.min+p.max)/2, (p.max-p.min)/6
	case experiment.DistributionLogNormal:
		lmin, lmax := math.Log(p.min), math.Log(p.max)
		p.mu, p.sigma = (lmin+lmax)/2, (lmax-lmin)/6
	case experiment.DistributionUniform, experiment.DistributionLogUniform:
	default:
		return p, fmt.Errorf("parameter %q: unknown distribution %q", ps.Name, p.dist)
	}
	return p, nil
}

// levels is the number of values a stepped (or list) parameter can take.
func (p *param) levels() int {
	switch {
	case p.kind == kindList:
		return len(p.list)
	case p.step > 0:
		return int(math.Floor((p.max-p.min)/p.step+1e-9)) + 1
	default:
		return 0
	}
}

func (p *param) levelValue(k int) float64 {
	v := p.min + float64(k)*p.step
	if p.kind == kindDouble {
		v = roundTo(v, p.decimals)
	}
	return v
}

func roundTo(v float64, decimals int) float64 {
	if decimals > 12 {
		return v
	}
	f := math.Pow(10, float64(decimals))
	return math.Round(v*f) / f
}

func phi(x float64) float64     { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func phiInv(p float64) float64  { return -math.Sqrt2 * math.Erfcinv(2*p) }
func clamp01(u float64) float64 { return math.Min(math.Max(u, 0), math.Nextafter(1, 0)) }

// continuous maps u to a value in [lo,hi] through the prior's inverse CDF.
func (p *param) continuous(u float64) float64 {
	u = clamp01(u)
	var v float64
	switch p.dist {
	case experiment.DistributionLogUniform:
		v = math.Exp(math.Log(p.lo) + u*(math.Log(p.hi)-math.Log(p.lo)))
	case experiment.DistributionNormal, experiment.DistributionLogNormal:
		lo, hi := p.lo, p.hi
		if p.dist == experiment.DistributionLogNormal {
			lo, hi = math.Log(lo), math.Log(hi)
		}
		a, b := phi((lo-p.mu)/p.sigma), phi((hi-p.mu)/p.sigma)
		v = p.mu + p.sigma*phiInv(a+u*(b-a))
		if p.dist == experiment.DistributionLogNormal {
			v = math.Exp(v)
		}
	default:
		v = p.lo + u*(p.hi-p.lo)
	}
	return math.Min(math.Max(v, p.lo), p.hi)
}

// cdf is the inverse of continuous.
func (p *param) cdf(v float64) float64 {
	if p.hi <= p.lo {
		return 0.5
	}
	v = math.Min(math.Max(v, p.lo), p.hi)
	switch p.dist {
	case experiment.DistributionLogUniform:
		return clamp01((math.Log(v) - math.Log(p.lo)) / (math.Log(p.hi) - math.Log(p.lo)))
	case experiment.DistributionNormal, experiment.DistributionLogNormal:
		lo, hi := p.lo, p.hi
		if p.dist == experiment.DistributionLogNormal {
			lo, hi, v = math.Log(lo), math.Log(hi), math.Log(v)
		}
		a, b := phi((lo-p.mu)/p.sigma), phi((hi-p.mu)/p.sigma)
		return clamp01((phi((v-p.mu)/p.sigma) - a) / (b - a))
	default:
		return clamp01((v - p.lo) / (p.hi - p.lo))
	}
}

// value maps u to the parameter's value as a number (list parameters: the index).
func (p *param) value(u float64) float64 {
	if p.kind == kindList {
		n := len(p.list)
		return float64(min(int(clamp01(u)*float64(n)), n-1))
	}
	v := p.continuous(u)
	if p.step > 0 {
		k := int(math.Round((v - p.min) / p.step))
		k = min(max(k, 0), p.levels()-1)
		return p.levelValue(k)
	}
	return math.Min(math.Max(v, p.min), p.max)
}

// format prints a value as Katib does: ints as integers, doubles as shortest decimal
// strings, list parameters verbatim.
func (p *param) format(v float64) string {
	switch p.kind {
	case kindList:
		return p.list[int(v)]
	case kindInt:
		return strconv.FormatInt(int64(math.Round(v)), 10)
	default:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
}

// parse reads an assignment back into the parameter's number (list parameters: the index).
func (p *param) parse(s string) (float64, bool) {
	if p.kind == kindList {
		for i, e := range p.list {
			if e == s {
				return float64(i), true
			}
		}
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// unit maps a parsed value back to the centre of its u interval.
func (p *param) unit(v float64) float64 {
	if p.kind == kindList {
		return (v + 0.5) / float64(len(p.list))
	}
	return p.cdf(v)
}

// decode turns a point of the unit cube into assignments, in spec order.
func (s *space) decode(u []float64) []experiment.ParameterAssignment {
	out := make([]experiment.ParameterAssignment, len(s.params))
	for i := range s.params {
		p := &s.params[i]
		out[i] = experiment.ParameterAssignment{Name: p.name, Value: p.format(p.value(u[i]))}
	}
	return out
}

// values returns the parsed numbers of a trial's assignments (list parameters: the index),
// false when an assignment is missing or does not belong to the space.
func (s *space) values(as []experiment.ParameterAssignment) ([]float64, bool) {
	out := make([]float64, len(s.params))
	for i := range s.params {
		found := false
		for _, a := range as {
			if a.Name == s.params[i].name {
				v, ok := s.params[i].parse(a.Value)
				if !ok {
					return nil, false
				}
				out[i], found = v, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, true
}

// encode maps a trial's assignments to the unit cube.
func (s *space) encode(as []experiment.ParameterAssignment) ([]float64, bool) {
	v, ok := s.values(as)
	if !ok {
		return nil, false
	}
	for i := range v {
		v[i] = s.params[i].unit(v[i])
	}
	return v, true
}

// key identifies an assignment set independent of the order of assignments.
func assignmentKey(as []experiment.ParameterAssignment) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = strconv.Quote(a.Name) + "=" + strconv.Quote(a.Value)
	}
	sortStrings(parts)
	return strings.Join(parts, ",")
}

// sign turns an objective into a loss: algorithms minimise internally.
func sign(spec *experiment.ExperimentSpec) float64 {
	if spec.Objective != nil && spec.Objective.Type == experiment.ObjectiveTypeMaximize {
		return -1
	}
	return 1
}

// observation is a finished trial with a usable objective, in the unit cube.
type observation struct {
	index int // position in the history
	u     []float64
	loss  float64
}

// observations extracts the trials a model can learn from. Early-stopped trials count with
// the value they reached.
func (s *space) observations(history []Trial, sgn float64) []observation {
	var out []observation
	for i, t := range history {
		if t.Objective == nil || math.IsNaN(*t.Objective) || math.IsInf(*t.Objective, 0) {
			continue
		}
		if t.State != StateSucceeded && t.State != StateEarlyStopped {
			continue
		}
		u, ok := s.encode(t.Assignments)
		if !ok {
			continue
		}
		out = append(out, observation{index: i, u: u, loss: sgn * *t.Objective})
	}
	return out
}

// rngFor derives the generator of the k-th suggestion's draws from the seed and a stream
// number, so that a rebuilt algorithm draws the same numbers for the same k: ChaCha8 keyed
// through splitmix64 by all three. Each key is a fresh, independent generator. (PCG seeded with
// (mix(seed, stream), mix(k)) was not: its generators shared the high half of their state across
// k, and the TPE's candidates drawn from them were measurably worse, Branin at trial 100 over
// 120 seeds giving median regret 0.051 against 0.026 to 0.032 with ChaCha8 keys.)
func rngFor(seed int64, k int, stream uint64) *rand.Rand {
	var key [32]byte
	x := splitmix64(uint64(seed) ^ splitmix64(stream))
	x = splitmix64(x ^ splitmix64(uint64(k)+0x632be59bd9b4e019))
	for i := 0; i < 4; i++ {
		x = splitmix64(x)
		binary.LittleEndian.PutUint64(key[8*i:], x)
	}
	return rand.New(rand.NewChaCha8(key))
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func uniformPoint(r *rand.Rand, d int) []float64 {
	u := make([]float64, d)
	for i := range u {
		u[i] = r.Float64()
	}
	return u
}

func sortFloats(s []float64) { sort.Float64s(s) }
