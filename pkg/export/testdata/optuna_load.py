"""Loads an exported Optuna journal the way a user would and prints what Optuna made of it.

Usage: optuna_load.py JOURNAL STUDY_NAME

Prints one JSON object: the study (name, directions, user attributes), every trial (number,
state, params with their Python types, distributions, values, intermediate values, user
attributes, times), the best trial's number, and the warnings Optuna raised while loading.
The study is also copied into an in-memory storage, which validates every trial as Optuna's
add_trial does. Floats that JSON cannot hold are printed as the strings "NaN", "Infinity"
and "-Infinity".
"""

import json
import math
import sys
import warnings

import optuna
from optuna.distributions import distribution_to_json
from optuna.exceptions import ExperimentalWarning


def plain(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def when(t):
    return None if t is None else t.isoformat(timespec="microseconds")


def main():
    path, name = sys.argv[1], sys.argv[2]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(path))
        study = optuna.load_study(study_name=name, storage=storage)
        trials = study.get_trials(deepcopy=True)
        try:
            best = study.best_trial.number
        except ValueError:
            best = None
        optuna.copy_study(
            from_study_name=name,
            from_storage=storage,
            to_storage=optuna.storages.InMemoryStorage(),
        )
    out = {
        "study": {
            "name": study.study_name,
            "directions": [d.name for d in study.directions],
            "user_attrs": plain(study.user_attrs),
        },
        "trials": [
            {
                "number": t.number,
                "state": t.state.name,
                "params": {k: [plain(v), type(v).__name__] for k, v in t.params.items()},
                "distributions": {
                    k: json.loads(distribution_to_json(d)) for k, d in t.distributions.items()
                },
                "values": plain(t.values),
                "intermediate_values": plain(t.intermediate_values),
                "user_attrs": plain(t.user_attrs),
                "datetime_start": when(t.datetime_start),
                "datetime_complete": when(t.datetime_complete),
            }
            for t in trials
        ],
        "best_trial": best,
        "warnings": [
            str(w.message) for w in caught if not issubclass(w.category, ExperimentalWarning)
        ],
    }
    json.dump(out, sys.stdout, allow_nan=False, sort_keys=True)


if __name__ == "__main__":
    main()
