package suggest

import (
	"math"
	"sort"

	"github.com/kubectl-katib/plugins/pkg/experiment"
)

// Multi-objective helpers. Every function here works on losses: each objective turned so
// that smaller is better (Losses flips the maximised ones), so one dominance rule serves
// every mix of directions.

// Losses turns a trial's objective values into losses, in the order of objectives; false
// when a value is missing or not a finite number.
func Losses(values []float64, objectives []experiment.Objective) ([]float64, bool) {
	if len(values) != len(objectives) || len(values) == 0 {
		return nil, false
	}
	out := make([]float64, len(values))
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		out[i] = v
		if objectives[i].Type == experiment.ObjectiveTypeMaximize {
			out[i] = -v
		}
	}
	return out, true
}

// Dominates reports whether loss vector a is no worse than b in every objective and better
// in at least one.
func Dominates(a, b []float64) bool {
	better := false
	for i := range a {
		switch {
		case a[i] > b[i]:
			return false
		case a[i] < b[i]:
			better = true
		}
	}
	return better
}

// ParetoFront returns the indices of the points no other point dominates, in input order.
// Points with equal losses are all kept: neither dominates the other.
func ParetoFront(points [][]float64) []int {
	var front []int
	for i, p := range points {
		dominated := false
		for j, q := range points {
			if j != i && Dominates(q, p) {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, i)
		}
	}
	return front
}

// NonDominatedSort splits the points into fronts (Deb et al.'s fast non-dominated sort):
// the first holds the points nothing dominates, the next those dominated only by the first,
// and so on. Indices keep input order within a front.
func NonDominatedSort(points [][]float64) [][]int {
	n := len(points)
	dominatedBy := make([]int, n)
	dominates := make([][]int, n)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			switch {
			case Dominates(points[i], points[j]):
				dominates[i] = append(dominates[i], j)
				dominatedBy[j]++
			case Dominates(points[j], points[i]):
				dominates[j] = append(dominates[j], i)
				dominatedBy[i]++
			}
		}
	}
	var fronts [][]int
	var current []int
	for i := 0; i < n; i++ {
		if dominatedBy[i] == 0 {
			current = append(current, i)
		}
	}
	for len(current) > 0 {
		fronts = append(fronts, current)
		var next []int
		for _, i := range current {
			for _, j := range dominates[i] {
				if dominatedBy[j]--; dominatedBy[j] == 0 {
					next = append(next, j)
				}
			}
		}
		sort.Ints(next)
		current = next
	}
	return fronts
}

// CrowdingDistance is NSGA-II's measure of how isolated each of the given points is within
// its front: per objective, the gap between its two neighbours relative to the front's
// range, summed; the extremes of an objective with a non-zero range get +Inf. An objective
// on which every point has the same value adds nothing (as in Optuna).
func CrowdingDistance(points [][]float64, members []int) map[int]float64 {
	dist := make(map[int]float64, len(members))
	for _, m := range members {
		dist[m] = 0
	}
	if len(members) == 0 {
		return dist
	}
	order := append([]int(nil), members...)
	for k := range points[members[0]] {
		sort.SliceStable(order, func(a, b int) bool { return points[order[a]][k] < points[order[b]][k] })
		lo, hi := points[order[0]][k], points[order[len(order)-1]][k]
		width := hi - lo
		if width == 0 {
			continue
		}
		dist[order[0]], dist[order[len(order)-1]] = math.Inf(1), math.Inf(1)
		for j := 1; j < len(order)-1; j++ {
			dist[order[j]] += (points[order[j+1]][k] - points[order[j-1]][k]) / width
		}
	}
	return dist
}

// Hypervolume is the measure of the region the points dominate and the reference point
// bounds (all losses; the reference is worse than every point of interest in every
// objective). Points not strictly better than the reference in every objective add nothing.
// Two objectives are swept exactly; more are sliced along the last objective.
func Hypervolume(points [][]float64, ref []float64) float64 {
	var in [][]float64
	for _, p := range points {
		inside := len(p) == len(ref)
		for i := range p {
			if !(p[i] < ref[i]) {
				inside = false
				break
			}
		}
		if inside {
			in = append(in, p)
		}
	}
	return hypervolume(in, ref)
}

func hypervolume(points [][]float64, ref []float64) float64 {
	if len(points) == 0 {
		return 0
	}
	d := len(ref)
	switch d {
	case 1:
		best := ref[0]
		for _, p := range points {
			best = math.Min(best, p[0])
		}
		return ref[0] - best
	case 2:
		sorted := append([][]float64(nil), points...)
		sort.Slice(sorted, func(a, b int) bool {
			if sorted[a][0] != sorted[b][0] {
				return sorted[a][0] < sorted[b][0]
			}
			return sorted[a][1] < sorted[b][1]
		})
		// The staircase: each point that lowers the best second loss so far adds the strip
		// from its first loss to the next such point's (or the reference).
		var stairs [][]float64
		low := ref[1]
		for _, p := range sorted {
			if p[1] < low {
				stairs = append(stairs, p)
				low = p[1]
			}
		}
		hv := 0.0
		for i, p := range stairs {
			next := ref[0]
			if i+1 < len(stairs) {
				next = stairs[i+1][0]
			}
			hv += (next - p[0]) * (ref[1] - p[1])
		}
		return hv
	}
	sorted := append([][]float64(nil), points...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a][d-1] < sorted[b][d-1] })
	hv := 0.0
	proj := make([][]float64, 0, len(sorted))
	for i, p := range sorted {
		proj = append(proj, p[:d-1])
		top := ref[d-1]
		if i+1 < len(sorted) {
			top = sorted[i+1][d-1]
		}
		if top > p[d-1] {
			hv += (top - p[d-1]) * hypervolume(proj, ref[:d-1])
		}
	}
	return hv
}
