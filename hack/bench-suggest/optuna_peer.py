"""Optuna peers for hack/bench-suggest.

bench-suggest writes one JSON request on stdin and reads one JSON answer on stdout:

  {"mode": "version"}
      -> {"optuna": "3.1.0", "python": "3.11.2"}
  {"mode": "check", "points": [{"problem": "Branin", "assignments": {"x1": "1.5", ...}}, ...]}
      -> {"values": [f(point), ...]}  (the Python objective at each point, to compare with Go's)
  {"mode": "run", "problem": {...}, "sampler": "tpe", "budget": 100, "seeds": [1, 2], "workers": 2}
      -> {"values": [[y_1, ..., y_budget] for each seed]}  (objective of every trial, in order)
  {"mode": "time", "problem": {...}, "sampler": "tpe", "budget": 500, "seeds": [1]}
      -> {"seconds": [t_1, ..., t_budget]}  (time of each ask: study.ask plus the suggest calls)

A problem is {"name": ..., "params": [{"name", "type": "double"|"int"|"categorical", "low",
"high", "log", "choices"}]}. The objectives below must stay identical to the Go ones in
main.go; the "check" mode is how bench-suggest makes sure they are.
"""

import json
import math
import multiprocessing
import os
import platform
import sys
import time
import warnings


def branin(a):
    x1, x2 = float(a["x1"]), float(a["x2"])
    b, c, t = 5.1 / (4 * math.pi * math.pi), 5 / math.pi, 1 / (8 * math.pi)
    return math.pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * math.cos(x1) + 10


H6_A = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
H6_P = [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]
H6_ALPHA = [1, 1.2, 3, 3.2]


def hartmann6(a):
    s = 0.0
    for i in range(4):
        inner = 0.0
        for j in range(6):
            x = float(a["x%d" % (j + 1)])
            inner += H6_A[i][j] * math.pow(x - H6_P[i][j] * 1e-4, 2)
        s += H6_ALPHA[i] * math.exp(-inner)
    return -s


MIXED_OFFSETS = {"a": 0.6, "b": 0, "c": 0.3, "d": 1.0}


def mixed(a):
    n = float(a["layers"])
    x = float(a["x"]) - 0.7
    lr = math.log10(float(a["lr"])) + 2.5
    return 0.05 * (n - 13) * (n - 13) + x * x + 0.5 * x * lr + 0.5 * lr * lr + MIXED_OFFSETS[a["opt"]]


OBJECTIVES = {"Branin": branin, "Hartmann6": hartmann6, "Mixed4": mixed}


def quiet():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    # QMCSampler is marked experimental in 3.1; the warning says nothing about the results.
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def make_sampler(name, seed):
    import optuna

    if name == "tpe":
        # Optuna's defaults: independent TPE, 10 random startup trials, 24 EI candidates.
        return optuna.samplers.TPESampler(seed=seed)
    if name == "mvtpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, warn_independent_sampling=False)
    if name == "cmaes":
        # The categorical parameter goes to the sampler's seeded random fallback, as it does
        # for goptuna's CMA-ES in the same table.
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "qmc":
        # Scrambled, so that each seed is a different Sobol sequence like our sobol's; the
        # unscrambled default would give every seed the same points.
        return optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed, warn_independent_sampling=False)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError("unknown sampler %r" % name)


def draw(trial, params):
    out = {}
    for p in params:
        if p["type"] == "double":
            out[p["name"]] = trial.suggest_float(p["name"], p["low"], p["high"], log=p.get("log", False))
        elif p["type"] == "int":
            out[p["name"]] = trial.suggest_int(p["name"], int(p["low"]), int(p["high"]), log=p.get("log", False))
        elif p["type"] == "categorical":
            out[p["name"]] = trial.suggest_categorical(p["name"], p["choices"])
        else:
            raise ValueError("unknown parameter type %r" % p["type"])
    return out


def run_study(args):
    """One seeded study with ask/tell; returns the objectives in trial order and the time of each ask."""
    import optuna

    quiet()
    problem, sampler, budget, seed = args
    f = OBJECTIVES[problem["name"]]
    study = optuna.create_study(direction="minimize", sampler=make_sampler(sampler, seed))
    values, seconds = [], []
    for _ in range(budget):
        t0 = time.perf_counter()
        trial = study.ask()
        a = draw(trial, problem["params"])
        seconds.append(time.perf_counter() - t0)
        y = f(a)
        study.tell(trial, y)
        values.append(y)
    return values, seconds


def main():
    req = json.load(sys.stdin)
    mode = req["mode"]
    if mode == "version":
        import optuna

        out = {"optuna": optuna.__version__, "python": platform.python_version()}
    elif mode == "check":
        out = {"values": [OBJECTIVES[p["problem"]](p["assignments"]) for p in req["points"]]}
    elif mode == "run":
        jobs = [(req["problem"], req["sampler"], req["budget"], s) for s in req["seeds"]]
        workers = max(1, min(int(req.get("workers", 1)), len(jobs)))
        if workers == 1:
            results = [run_study(j) for j in jobs]
        else:
            # fork keeps the imported optuna in the workers instead of importing it again.
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.map(run_study, jobs, chunksize=1)
        out = {"values": [r[0] for r in results]}
    elif mode == "time":
        _, seconds = run_study((req["problem"], req["sampler"], req["budget"], req["seeds"][0]))
        out = {"seconds": seconds}
    else:
        raise ValueError("unknown mode %r" % mode)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    # One BLAS thread per process: the studies already run in parallel, one per worker.
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(v, "1")
    main()
