"""Optuna's NSGAIISampler on ZDT1, one study per seed, for hack/bench-pareto.

Reads a JSON request on stdin: {"dims": 30, "trials": 200, "population": 50, "seeds": [1, ...]}
and prints one JSON line per seed: {"seed": s, "values": [[f1, f2], ...]} (every trial's
objectives, in trial order). Trials run one after another, as the Go side runs ours.
"""
import json
import math
import sys

import optuna


def zdt1(x):
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    return x[0], g * (1 - math.sqrt(x[0] / g))


def main():
    req = json.load(sys.stdin)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dims = req["dims"]
    for seed in req["seeds"]:
        sampler = optuna.samplers.NSGAIISampler(population_size=req["population"], seed=seed)
        study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)

        def objective(trial):
            return zdt1([trial.suggest_float("x%02d" % i, 0.0, 1.0) for i in range(dims)])

        study.optimize(objective, n_trials=req["trials"])
        values = [t.values for t in study.trials if t.values is not None]
        print(json.dumps({"seed": seed, "version": optuna.__version__, "values": values}), flush=True)


if __name__ == "__main__":
    main()
