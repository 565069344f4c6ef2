package importance

import (
	"math"
	"runtime"
	"sort"
	"sync"
)

// fanova fits the forest and returns each varying parameter's normalised importance, in the
// order of enc.paramCols.
func fanova(enc *encoded, opt Options) ([]float64, error) {
	data := presort(enc.cols, enc.y)
	params := treeParams{maxDepth: opt.MaxDepth, minSplit: 2, minLeaf: 1}
	n := len(enc.y)

	// fractions[t][k] is tree t's share of variance for parameter k; ok[t] says whether tree t
	// has any variance at all (Optuna leaves constant trees out of the mean).
	fractions := make([][]float64, opt.Trees)
	ok := make([]bool, opt.Trees)

	workers := min(runtime.GOMAXPROCS(0), opt.Trees)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := newTreeBuilder(data, params)
			weight := make([]float64, n)
			d := newDecomposer(enc)
			for t := w; t < opt.Trees; t += workers {
				rng := treeRNG(opt.Seed, t)
				bootstrap(rng, n, weight)
				tr := b.fit(weight, rng)
				fractions[t], ok[t] = d.fractions(tr)
			}
		}()
	}
	wg.Wait()

	shares := make([]float64, len(enc.paramCols))
	used := 0
	for t := range fractions {
		if !ok[t] {
			continue
		}
		used++
		for k, f := range fractions[t] {
			shares[k] += f
		}
	}
	if used == 0 {
		return nil, ErrNoVariance
	}
	var total float64
	for k := range shares {
		shares[k] /= float64(used)
		total += shares[k]
	}
	if !(total > 0) {
		return nil, ErrNoVariance
	}
	for k := range shares {
		shares[k] /= total
	}
	return shares, nil
}

// decomposer computes, for one tree at a time, each parameter's marginal variance.
//
// A tree is piecewise constant on its leaves, which are boxes of the search space. The
// prediction marginalised over every column outside a parameter's columns S is then
// piecewise constant on the grid that the tree's thresholds on S cut S's bounds into; in
// each grid cell it is the sum over the leaves covering that cell of the leaf's value times
// the share of the other columns' volume the leaf spans. Optuna evaluates this at each cell's
// midpoint by walking the tree; summing the leaves' contributions directly gives the same
// values in time linear in the number of leaves.
type decomposer struct {
	enc     *encoded
	nCols   int
	width   []float64 // bounds width of each column
	inParam []int     // inParam[c] is the parameter column c belongs to

	// Per-tree scratch, reused.
	leafValue []float64
	leafLo    []float64 // leafLo[l*nCols+c]
	leafHi    []float64
	lo, hi    []float64
	restVol   []float64
	edges     []float64
	diff      []float64
}

func newDecomposer(enc *encoded) *decomposer {
	d := &decomposer{enc: enc, nCols: len(enc.cols)}
	d.width = make([]float64, d.nCols)
	d.inParam = make([]int, d.nCols)
	for c, b := range enc.bounds {
		d.width[c] = b[1] - b[0]
	}
	for k, cols := range enc.paramCols {
		for _, c := range cols {
			d.inParam[c] = k
		}
	}
	d.lo = make([]float64, d.nCols)
	d.hi = make([]float64, d.nCols)
	return d
}

// collectLeaves records every leaf's value and box.
func (d *decomposer) collectLeaves(t *tree) {
	d.leafValue = d.leafValue[:0]
	d.leafLo = d.leafLo[:0]
	d.leafHi = d.leafHi[:0]
	for c, b := range d.enc.bounds {
		d.lo[c], d.hi[c] = b[0], b[1]
	}
	var walk func(n int32)
	walk = func(n int32) {
		f := t.feature[n]
		if f < 0 {
			d.leafValue = append(d.leafValue, t.value[n])
			d.leafLo = append(d.leafLo, d.lo...)
			d.leafHi = append(d.leafHi, d.hi...)
			return
		}
		th := t.threshold[n]
		saved := d.hi[f]
		d.hi[f] = th
		walk(t.left[n])
		d.hi[f] = saved
		saved = d.lo[f]
		d.lo[f] = th
		walk(t.right[n])
		d.lo[f] = saved
	}
	walk(0)
}

// fractions returns each parameter's marginal variance as a fraction of the tree's variance,
// and false when the tree has no variance.
func (d *decomposer) fractions(t *tree) ([]float64, bool) {
	d.collectLeaves(t)
	nLeaves := len(d.leafValue)
	nc := d.nCols

	// A tree whose leaves all predict the same value explains nothing; testing this exactly
	// avoids dividing by a variance that is only rounding error.
	constant := true
	for _, v := range d.leafValue[1:] {
		if v != d.leafValue[0] {
			constant = false
			break
		}
	}
	if constant {
		return nil, false
	}

	vol := make([]float64, nLeaves)
	var volSum, mean float64
	for l := range nLeaves {
		v := 1.0
		for c := range nc {
			v *= d.leafHi[l*nc+c] - d.leafLo[l*nc+c]
		}
		vol[l] = v
		volSum += v
		mean += v * d.leafValue[l]
	}
	mean /= volSum
	var variance float64
	for l := range nLeaves {
		dv := d.leafValue[l] - mean
		variance += vol[l] * dv * dv
	}
	variance /= volSum
	if !(variance > 0) {
		return nil, false
	}

	out := make([]float64, len(d.enc.paramCols))
	if cap(d.restVol) < nLeaves {
		d.restVol = make([]float64, nLeaves)
	}
	restVol := d.restVol[:nLeaves]
	for k, cols := range d.enc.paramCols {
		// Each leaf's volume in the columns outside the parameter, relative to theirs in the
		// whole space: the weight of the leaf's value in the marginal over those columns.
		for l := range nLeaves {
			v := 1.0
			for c := range nc {
				if d.inParam[c] != k {
					v *= (d.leafHi[l*nc+c] - d.leafLo[l*nc+c]) / d.width[c]
				}
			}
			restVol[l] = v
		}
		var mv float64
		if len(cols) == 1 {
			mv = d.marginalVarianceColumn(t, cols[0], restVol, mean)
		} else {
			mv = d.marginalVarianceBoxes(cols, restVol, mean)
		}
		out[k] = max(mv, 0) / variance
	}
	return out, true
}

// marginalVarianceColumn handles a parameter with a single column c: the marginal is constant
// between consecutive thresholds on c, so it is accumulated over those cells with a
// difference array.
func (d *decomposer) marginalVarianceColumn(t *tree, c int, restVol []float64, mean float64) float64 {
	b := d.enc.bounds[c]
	d.edges = append(d.edges[:0], b[0], b[1])
	for n, f := range t.feature {
		if int(f) == c {
			d.edges = append(d.edges, t.threshold[n])
		}
	}
	sort.Float64s(d.edges)
	u := 1
	for i := 1; i < len(d.edges); i++ {
		if d.edges[i] != d.edges[u-1] {
			d.edges[u] = d.edges[i]
			u++
		}
	}
	edges := d.edges[:u]
	cells := len(edges) - 1
	if cells < 1 {
		return 0
	}
	if cap(d.diff) < cells+1 {
		d.diff = make([]float64, cells+1)
	}
	diff := d.diff[:cells+1]
	clear(diff)
	nc := d.nCols
	for l, v := range d.leafValue {
		// Centring on the tree's mean keeps the later sum of squares free of cancellation.
		a := (v - mean) * restVol[l]
		if a == 0 {
			continue
		}
		i := sort.SearchFloat64s(edges, d.leafLo[l*nc+c])
		j := sort.SearchFloat64s(edges, d.leafHi[l*nc+c])
		diff[i] += a
		diff[j] -= a
	}
	var run, wsum, m1, m2 float64
	for i := range cells {
		run += diff[i]
		w := edges[i+1] - edges[i]
		wsum += w
		m1 += w * run
		m2 += w * run * run
	}
	m1 /= wsum
	return m2/wsum - m1*m1
}

// marginalVarianceBoxes handles a parameter spanning several columns (a one-hot encoded
// categorical). Enumerating the grid cells of all its columns, as Optuna does, grows
// exponentially with the number of choices; instead the leaves are grouped by their box in
// the parameter's columns, and the weighted mean of the squared marginal is the sum over pairs
// of boxes of their contributions times the volume of their intersection. The grid still
// includes the one-hot combinations no trial can take (no choice, or several), as in Optuna.
func (d *decomposer) marginalVarianceBoxes(cols []int, restVol []float64, mean float64) float64 {
	nc := d.nCols
	type box struct {
		lo, hi []float64
		a      float64
	}
	var boxes []box
	index := make(map[string]int)
	key := make([]byte, 0, 16*len(cols))
	for l, v := range d.leafValue {
		a := (v - mean) * restVol[l]
		if a == 0 {
			continue
		}
		key = key[:0]
		for _, c := range cols {
			key = appendFloat(key, d.leafLo[l*nc+c])
			key = appendFloat(key, d.leafHi[l*nc+c])
		}
		if i, found := index[string(key)]; found {
			boxes[i].a += a
			continue
		}
		bx := box{lo: make([]float64, len(cols)), hi: make([]float64, len(cols)), a: a}
		for j, c := range cols {
			bx.lo[j], bx.hi[j] = d.leafLo[l*nc+c], d.leafHi[l*nc+c]
		}
		index[string(key)] = len(boxes)
		boxes = append(boxes, bx)
	}
	total := 1.0
	for _, c := range cols {
		total *= d.width[c]
	}
	var m1, m2 float64
	for i, p := range boxes {
		v := 1.0
		for j := range cols {
			v *= p.hi[j] - p.lo[j]
		}
		m1 += p.a * v
		m2 += p.a * p.a * v
		for _, q := range boxes[i+1:] {
			v := 1.0
			for j := range cols {
				w := math.Min(p.hi[j], q.hi[j]) - math.Max(p.lo[j], q.lo[j])
				if w <= 0 {
					v = 0
					break
				}
				v *= w
			}
			m2 += 2 * p.a * q.a * v
		}
	}
	m1 /= total
	return m2/total - m1*m1
}

func appendFloat(b []byte, f float64) []byte {
	u := math.Float64bits(f)
	for s := 0; s < 64; s += 8 {
		b = append(b, byte(u>>s))
	}
	return b
}
