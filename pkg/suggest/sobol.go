package suggest

import (
	"math"
	"math/bits"

	"github.com/c-bata/goptuna/sobol"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

func init() {
	Register("sobol", newSobol, validateRandom)
}

// sobolSearch is a scrambled Sobol sequence. goptuna v0.9.0's Sobol sampler has no seed and no
// scrambling (every experiment gets the same points), so we take only its direction numbers
// (through sobol.Engine, which yields the plain sequence) and scramble each coordinate with
// Matoušek's random linear matrix scrambling plus a random digital shift, both drawn from
// random_state. Scrambling keeps the low-discrepancy structure and makes different seeds give
// different, individually unbiased point sets. The sequence starts at its index 0 (the origin
// before scrambling), so the first 2^m points form a balanced net.
type sobolSearch struct {
	space *space
	seed  int64
	fixed bool
}

func newSobol(spec *experiment.ExperimentSpec) (Algorithm, error) {
	sp, seed, fixed, err := seededSpace(spec)
	if err != nil {
		return nil, err
	}
	return &sobolSearch{space: sp, seed: seed, fixed: fixed}, nil
}

// scrambler holds one dimension's lower-triangular matrix (rows as masks, most significant
// bit first) and digital shift.
type scrambler struct {
	rows  [32]uint32
	shift uint32
}

func newScramblers(seed int64, d int) []scrambler {
	out := make([]scrambler, d)
	for j := range out {
		r := rngFor(seed, j, 41)
		for p := 0; p < 32; p++ {
			self := uint32(1) << (31 - p)
			higher := ^uint32(0) << (32 - p) // bits more significant than p (none for p=0)
			out[j].rows[p] = self | (r.Uint32() & higher)
		}
		out[j].shift = r.Uint32()
	}
	return out
}

func (s *scrambler) apply(x uint32) uint32 {
	var y uint32
	for p := 0; p < 32; p++ {
		y |= uint32(bits.OnesCount32(s.rows[p]&x)&1) << (31 - p)
	}
	return y ^ s.shift
}

func (a *sobolSearch) Suggest(history []Trial, n int) ([]Suggestion, error) {
	seed := resolveSeed(a.seed, a.fixed, history)
	d := len(a.space.params)
	sc := newScramblers(seed, d)
	eng := sobol.NewEngine(uint32(d))
	var out []Suggestion
	end := len(history) + n
	for k := 0; k < end; k++ {
		raw := make([]float64, d) // index 0 is the origin
		if k > 0 {
			raw = eng.Draw()
		}
		if k < len(history) {
			continue
		}
		u := make([]float64, d)
		for j := range u {
			x := uint32(raw[j] * (1 << 32))
			jitter := rngFor(seed, k*64+j, 42).Float64() // below the 32-bit resolution
			u[j] = (float64(sc[j].apply(x)) + jitter) / math.Exp2(32)
		}
		out = append(out, Suggestion{Assignments: a.space.decode(u), Labels: withSeed(nil, seed, a.fixed)})
	}
	return out, nil
}
