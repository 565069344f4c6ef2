package main

import (
	"math"
	"math/rand/v2"
)

// sample is one example with its input stored sparsely: MNIST digits are about 80% background,
// and skipping zero pixels in the first layer is what keeps a default trial within seconds.
type sample struct {
	idx   []int32
	val   []float32
	label int
}

// newSample keeps only the non-zero features of x.
func newSample(x []float32, label int) sample {
	s := sample{label: label}
	for i, v := range x {
		if v != 0 {
			s.idx = append(s.idx, int32(i))
			s.val = append(s.val, v)
		}
	}
	return s
}

// layer is a fully connected layer. Weights are stored input-major (w[i*out+j]) so that both the
// forward pass and the gradient of a sparse input touch contiguous rows.
type layer struct {
	in, out int
	w, b    []float32
}

// network is softmax regression when it has one layer, and an MLP with ReLU hidden units when it
// has more.
type network struct {
	layers []*layer
}

// newNetwork draws initial weights from rng. He initialisation for ReLU layers and a smaller
// Xavier-style scale for the output layer keep early logits small, so the first epoch does not
// start with saturated probabilities.
func newNetwork(sizes []int, rng *rand.Rand) *network {
	n := &network{}
	for k := 0; k+1 < len(sizes); k++ {
		in, out := sizes[k], sizes[k+1]
		l := &layer{in: in, out: out, w: make([]float32, in*out), b: make([]float32, out)}
		scale := math.Sqrt(2.0 / float64(in))
		if k+2 == len(sizes) {
			scale = math.Sqrt(1.0 / float64(in+out))
		}
		for i := range l.w {
			l.w[i] = float32(rng.NormFloat64() * scale)
		}
		n.layers = append(n.layers, l)
	}
	return n
}

// params lists every trainable slice in a fixed order, which optimizers rely on.
func (n *network) params() [][]float32 {
	var p [][]float32
	for _, l := range n.layers {
		p = append(p, l.w, l.b)
	}
	return p
}

// workspace holds per-sample activations and the batch's gradient, reused across steps so that
// training allocates nothing per example.
type workspace struct {
	acts  [][]float32 // acts[k] is the output of layer k (after ReLU for hidden layers)
	delta [][]float32 // gradient of the loss with respect to layer k's pre-activation
	grads [][]float32 // same order as network.params
}

func newWorkspace(n *network) *workspace {
	ws := &workspace{}
	for _, l := range n.layers {
		ws.acts = append(ws.acts, make([]float32, l.out))
		ws.delta = append(ws.delta, make([]float32, l.out))
		ws.grads = append(ws.grads, make([]float32, len(l.w)), make([]float32, len(l.b)))
	}
	return ws
}

// forward fills ws.acts and returns the output probabilities (softmax of the last layer).
func (n *network) forward(s sample, ws *workspace) []float32 {
	for k, l := range n.layers {
		a := ws.acts[k]
		copy(a, l.b)
		if k == 0 {
			for t, i := range s.idx {
				v := s.val[t]
				row := l.w[int(i)*l.out : int(i)*l.out+l.out]
				for j, wv := range row {
					a[j] += v * wv
				}
			}
		} else {
			prev := ws.acts[k-1]
			for i, v := range prev {
				if v == 0 {
					continue
				}
				row := l.w[i*l.out : i*l.out+l.out]
				for j, wv := range row {
					a[j] += v * wv
				}
			}
		}
		if k+1 < len(n.layers) {
			for j, v := range a {
				if v < 0 {
					a[j] = 0
				}
			}
		}
	}
	out := ws.acts[len(n.layers)-1]
	softmaxInPlace(out)
	return out
}

// softmaxInPlace turns logits into probabilities; subtracting the maximum first avoids overflow.
func softmaxInPlace(z []float32) {
	m := z[0]
	for _, v := range z[1:] {
		if v > m {
			m = v
		}
	}
	var sum float64
	for j, v := range z {
		e := math.Exp(float64(v - m))
		z[j] = float32(e)
		sum += e
	}
	for j := range z {
		z[j] = float32(float64(z[j]) / sum)
	}
}

// crossEntropy is -log p[label], bounded so that a confident mistake gives a large finite loss
// rather than +Inf.
func crossEntropy(p []float32, label int) float64 {
	return -math.Log(math.Max(float64(p[label]), 1e-12))
}

// backward adds the gradient of the cross-entropy loss of sample s to ws.grads. It must follow
// forward(s, ws), whose activations it reads.
func (n *network) backward(s sample, ws *workspace) {
	last := len(n.layers) - 1
	d := ws.delta[last]
	copy(d, ws.acts[last])
	d[s.label]--
	for k := last; k >= 0; k-- {
		l := n.layers[k]
		gw, gb := ws.grads[2*k], ws.grads[2*k+1]
		d = ws.delta[k]
		for j, v := range d {
			gb[j] += v
		}
		if k == 0 {
			for t, i := range s.idx {
				v := s.val[t]
				row := gw[int(i)*l.out : int(i)*l.out+l.out]
				for j, dv := range d {
					row[j] += v * dv
				}
			}
			break
		}
		prev := ws.acts[k-1]
		pd := ws.delta[k-1]
		for i, v := range prev {
			if v == 0 {
				// ReLU passes no gradient where its output was zero.
				pd[i] = 0
				continue
			}
			row := gw[i*l.out : i*l.out+l.out]
			wrow := l.w[i*l.out : i*l.out+l.out]
			var back float32
			for j, dv := range d {
				row[j] += v * dv
				back += wrow[j] * dv
			}
			pd[i] = back
		}
	}
}

// optimizer updates params in place from grads, which hold the batch's mean gradient.
type optimizer interface {
	step(params, grads [][]float32)
}

// sgd is stochastic gradient descent with classical (heavy-ball) momentum.
type sgd struct {
	lr, momentum float64
	velocity     [][]float32
}

func newSGD(params [][]float32, lr, momentum float64) *sgd {
	o := &sgd{lr: lr, momentum: momentum}
	for _, p := range params {
		o.velocity = append(o.velocity, make([]float32, len(p)))
	}
	return o
}

func (o *sgd) step(params, grads [][]float32) {
	lr, mu := float32(o.lr), float32(o.momentum)
	for k, p := range params {
		g, v := grads[k], o.velocity[k]
		for i := range p {
			v[i] = mu*v[i] - lr*g[i]
			p[i] += v[i]
		}
	}
}

// adam is Adam with bias correction; beta1 comes from --momentum so that one flag tunes the
// first-moment decay of either optimizer.
type adam struct {
	lr, beta1, beta2, eps float64
	t                     int
	m, v                  [][]float32
}

func newAdam(params [][]float32, lr, beta1 float64) *adam {
	o := &adam{lr: lr, beta1: beta1, beta2: 0.999, eps: 1e-8}
	for _, p := range params {
		o.m = append(o.m, make([]float32, len(p)))
		o.v = append(o.v, make([]float32, len(p)))
	}
	return o
}

func (o *adam) step(params, grads [][]float32) {
	o.t++
	b1, b2 := float32(o.beta1), float32(o.beta2)
	c1 := 1 - math.Pow(o.beta1, float64(o.t))
	c2 := 1 - math.Pow(o.beta2, float64(o.t))
	// Folding both bias corrections into the step size saves two divisions per weight.
	alpha := float32(o.lr * math.Sqrt(c2) / c1)
	eps := float32(o.eps * math.Sqrt(c2))
	for k, p := range params {
		g, m, v := grads[k], o.m[k], o.v[k]
		for i := range p {
			gi := g[i]
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			p[i] -= alpha * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
		}
	}
}

// trainBatch runs one optimisation step on batch and returns the batch's summed loss.
func (n *network) trainBatch(batch []sample, ws *workspace, opt optimizer) float64 {
	for _, g := range ws.grads {
		clear(g)
	}
	var loss float64
	for _, s := range batch {
		p := n.forward(s, ws)
		loss += crossEntropy(p, s.label)
		n.backward(s, ws)
	}
	inv := float32(1) / float32(len(batch))
	for _, g := range ws.grads {
		for i := range g {
			g[i] *= inv
		}
	}
	opt.step(n.params(), ws.grads)
	return loss
}

// evaluate returns accuracy and mean cross-entropy over set.
func (n *network) evaluate(set []sample, ws *workspace) (accuracy, loss float64) {
	correct := 0
	for _, s := range set {
		p := n.forward(s, ws)
		loss += crossEntropy(p, s.label)
		if argmax(p) == s.label {
			correct++
		}
	}
	return float64(correct) / float64(len(set)), loss / float64(len(set))
}

func argmax(p []float32) int {
	best := 0
	for j, v := range p {
		// NaN compares false, so a diverged network predicts class 0 instead of crashing.
		if v > p[best] {
			best = j
		}
	}
	return best
}
