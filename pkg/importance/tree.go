package importance

import (
	"math"
	"math/rand/v2"
	"sort"
)

// featureThreshold is the smallest gap between two feature values that a split may fall in;
// scikit-learn's splitter treats closer values as equal, and doing the same keeps the trees
// (and so the split-defined subspaces fANOVA integrates over) alike.
const featureThreshold = 1e-7

// tree is a fitted regression tree in flat arrays; node 0 is the root. A leaf has feature -1.
// A sample goes left when its feature value is <= threshold.
type tree struct {
	feature   []int32
	threshold []float64
	left      []int32
	right     []int32
	value     []float64
}

func (t *tree) predict(x []float64) float64 {
	n := int32(0)
	for t.feature[n] >= 0 {
		if x[t.feature[n]] <= t.threshold[n] {
			n = t.left[n]
		} else {
			n = t.right[n]
		}
	}
	return t.value[n]
}

func (t *tree) addNode() int32 {
	t.feature = append(t.feature, -1)
	t.threshold = append(t.threshold, 0)
	t.left = append(t.left, -1)
	t.right = append(t.right, -1)
	t.value = append(t.value, 0)
	return int32(len(t.feature) - 1)
}

// treeParams are the CART settings; Optuna fixes minSplit at 2 and minLeaf at 1.
type treeParams struct {
	maxDepth int
	minSplit int
	minLeaf  int
}

// presorted holds, for every column, the sample indices in increasing order of that column.
// It is computed once per forest; each tree filters it to its bootstrap sample, which keeps
// split search linear in the node size instead of sorting at every node.
type presorted struct {
	cols  [][]float64
	y     []float64
	order [][]int32
}

func presort(cols [][]float64, y []float64) *presorted {
	p := &presorted{cols: cols, y: y, order: make([][]int32, len(cols))}
	for c, col := range cols {
		idx := make([]int32, len(y))
		for i := range idx {
			idx[i] = int32(i)
		}
		sort.SliceStable(idx, func(a, b int) bool { return col[idx[a]] < col[idx[b]] })
		p.order[c] = idx
	}
	return p
}

// treeBuilder grows one tree at a time; its buffers are reused across the trees a worker fits.
type treeBuilder struct {
	data   *presorted
	params treeParams
	rng    *rand.Rand
	weight []float64 // bootstrap multiplicity of each sample; 0 means out of bag
	order  [][]int32 // per column, the in-bag samples of each node's segment in sorted order
	goLeft []bool
	buf    []int32
	perm   []int
	t      *tree
}

func newTreeBuilder(data *presorted, params treeParams) *treeBuilder {
	n := len(data.y)
	b := &treeBuilder{
		data:   data,
		params: params,
		weight: make([]float64, n),
		order:  make([][]int32, len(data.cols)),
		goLeft: make([]bool, n),
		buf:    make([]int32, n),
		perm:   make([]int, len(data.cols)),
	}
	for c := range b.order {
		b.order[c] = make([]int32, 0, n)
	}
	return b
}

// fit grows a tree on the samples with the given multiplicities, like scikit-learn's
// DecisionTreeRegressor with sample_weight: samples of weight 0 take no part, the others
// count once towards min samples and by their weight towards means and impurities.
func (b *treeBuilder) fit(weight []float64, rng *rand.Rand) *tree {
	copy(b.weight, weight)
	b.rng = rng
	m := 0
	for c := range b.order {
		b.order[c] = b.order[c][:0]
		for _, i := range b.data.order[c] {
			if b.weight[i] > 0 {
				b.order[c] = append(b.order[c], i)
			}
		}
		m = len(b.order[c])
	}
	b.t = &tree{}
	b.grow(0, m, 0)
	return b.t
}

func (b *treeBuilder) grow(start, end, depth int) int32 {
	node := b.t.addNode()
	y, w := b.data.y, b.weight
	seg := b.order[0][start:end]
	var sum, wsum float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, i := range seg {
		sum += w[i] * y[i]
		wsum += w[i]
		lo = math.Min(lo, y[i])
		hi = math.Max(hi, y[i])
	}
	b.t.value[node] = sum / wsum
	count := end - start
	if depth >= b.params.maxDepth || count < b.params.minSplit || count < 2*b.params.minLeaf || lo == hi {
		return node
	}

	// scikit-learn visits the features in a random order and keeps the first best split, so
	// equally good splits (e.g. on the two columns of a two-choice categorical) are chosen at
	// random; shuffling does the same.
	for c := range b.perm {
		b.perm[c] = c
	}
	b.rng.Shuffle(len(b.perm), func(i, j int) { b.perm[i], b.perm[j] = b.perm[j], b.perm[i] })

	bestFeature, bestPos := -1, 0
	bestProxy, bestThreshold := math.Inf(-1), 0.0
	for _, c := range b.perm {
		col := b.data.cols[c]
		s := b.order[c][start:end]
		if col[s[count-1]] <= col[s[0]]+featureThreshold {
			continue
		}
		var sumL, wL float64
		for p := 1; p < count; p++ {
			prev := s[p-1]
			sumL += w[prev] * y[prev]
			wL += w[prev]
			xPrev, x := col[prev], col[s[p]]
			if x <= xPrev+featureThreshold {
				continue
			}
			if p < b.params.minLeaf || count-p < b.params.minLeaf {
				continue
			}
			// Maximising this proxy minimises the children's weighted squared error.
			sumR, wR := sum-sumL, wsum-wL
			proxy := sumL*sumL/wL + sumR*sumR/wR
			if proxy > bestProxy {
				bestProxy, bestFeature, bestPos = proxy, c, p
				bestThreshold = xPrev/2 + x/2
				if bestThreshold == x || math.IsInf(bestThreshold, 0) {
					bestThreshold = xPrev
				}
			}
		}
	}
	if bestFeature < 0 {
		return node
	}

	// The best column's segment is already split at bestPos; partition every other column's
	// segment stably so that each child again sees its samples in sorted order.
	for _, i := range b.order[bestFeature][start : start+bestPos] {
		b.goLeft[i] = true
	}
	for c := range b.order {
		if c == bestFeature {
			continue
		}
		s := b.order[c][start:end]
		nl, nr := 0, 0
		for _, i := range s {
			if b.goLeft[i] {
				s[nl] = i
				nl++
			} else {
				b.buf[nr] = i
				nr++
			}
		}
		copy(s[nl:], b.buf[:nr])
	}
	for _, i := range b.order[bestFeature][start : start+bestPos] {
		b.goLeft[i] = false
	}

	b.t.feature[node] = int32(bestFeature)
	b.t.threshold[node] = bestThreshold
	l := b.grow(start, start+bestPos, depth+1)
	r := b.grow(start+bestPos, end, depth+1)
	b.t.left[node], b.t.right[node] = l, r
	return node
}

// treeRNG gives every tree its own stream, so a forest is the same however its trees are
// spread over goroutines.
func treeRNG(seed uint64, index int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(index)^0x9e3779b97f4a7c15))
}

// bootstrap draws n samples with replacement and returns how often each was drawn.
func bootstrap(rng *rand.Rand, n int, weight []float64) {
	clear(weight)
	for range n {
		weight[rng.IntN(n)]++
	}
}
