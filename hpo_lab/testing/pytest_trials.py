"""The trial-interface contract: an objective sees the same trial on every executor.

:func:`observing_objective` calls everything the trial interface offers (suggestions, the old
Optuna spellings, reports, pruning, attributes, every property, and the errors of bad calls)
and stores what it saw as the user attribute :data:`SEEN_ATTR`. :func:`observe_on` runs it in
a fresh study on one executor; a test compares the observations across the thread, process
and Dask executors and ``optimize``, which must agree exactly (``trial.study`` aside: only the
runner holds the study, so a worker process sees an ``AttributeError``, which is recorded).

Needs pytest (the ``dev`` extra) only for the tests that use it; this module itself does not.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import hpo_lab
from hpo_lab.pruners import MedianPruner
from hpo_lab.samplers import RandomSampler
from hpo_lab.trial._base import TrialInterface

__all__ = ["SEEN_ATTR", "observe_on", "observing_objective"]

SEEN_ATTR = "seen"


def _error_of(call: Callable[[], Any]) -> str:
    try:
        call()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "no error"


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def observing_objective(trial: TrialInterface) -> float:
    """Use every part of the trial interface and record what it shows.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> study.optimize(observing_objective, n_trials=1)
        >>> sorted(study.trials[0].user_attrs[SEEN_ATTR])[:3]
        ['again', 'datetime_start', 'distributions']
    """
    seen: dict[str, Any] = {}
    seen["members"] = sorted(
        name for name in dir(trial) if not name.startswith("_") and name != "REMOTE"
    )
    seen["number"] = trial.number
    seen["trial_id_is_int"] = isinstance(trial.trial_id, int)
    seen["user_attrs_at_start"] = trial.user_attrs
    seen["params_at_start"] = trial.params
    seen["revision"] = trial.revision
    seen["datetime_start"] = trial.datetime_start is not None
    x = trial.suggest_float("x", 0.0, 1.0)
    k = trial.suggest_int("k", 1, 8, log=True)
    c = trial.suggest_categorical("c", ["a", "b", None])
    u = trial.suggest_uniform("u", 0.0, 2.0)
    lu = trial.suggest_loguniform("lu", 1e-3, 1.0)
    du = trial.suggest_discrete_uniform("du", 0.0, 1.0, 0.25)
    seen["suggested"] = [x, k, c, u, lu, du]
    seen["again"] = trial.suggest_float("x", 0.0, 1.0) == x
    seen["errors"] = [
        _error_of(lambda: trial.suggest_float("x", 0.0, 2.0)),
        _error_of(lambda: trial.suggest_float("bad", 1.0, 0.0)),
        _error_of(lambda: trial.suggest_int("bad", 0, 5, step=0)),
        _error_of(lambda: trial.suggest_categorical("bad", "abc")),
        _error_of(lambda: trial.suggest_categorical("bad", {1, 2})),  # type: ignore[arg-type]
        _error_of(lambda: trial.suggest_float("", 0.0, 1.0)),
        _error_of(lambda: trial.report("a", 0)),  # type: ignore[arg-type]
        _error_of(lambda: trial.report(1.0, -1)),
        _error_of(lambda: trial.set_user_attr("", 1)),
        _error_of(lambda: trial.set_user_attr(1, 2)),  # type: ignore[arg-type]
        _error_of(lambda: trial.set_user_attr("obj", complex(1, 2))),
    ]
    trial.report(x, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trial.report(x + 1.0, 0)
    seen["duplicate_report_warning"] = [str(w.message) for w in caught]
    trial.report(x / 2, 1)
    seen["should_prune"] = trial.should_prune()
    trial.set_user_attr("u", {"a": [1, 2.5, None]})
    trial.set_system_attr("s", "v")
    seen["params"] = trial.params
    seen["distributions"] = {n: d.to_dict() for n, d in trial.distributions.items()}
    seen["user_attrs"] = trial.user_attrs
    seen["system_attrs"] = {k: v for k, v in trial.system_attrs.items() if k != "fixed_params"}
    seen["relative_params"] = trial.relative_params
    frozen = trial.freeze()
    seen["freeze"] = {
        "number": frozen.number,
        "state": frozen.state.value,
        "params": frozen.params,
        "intermediate_values": {str(s): v for s, v in frozen.intermediate_values.items()},
        "user_attrs": frozen.user_attrs,
    }
    try:
        seen["study"] = type(trial.study).__name__
    except AttributeError as exc:
        seen["study"] = f"AttributeError: {exc}"
    trial.set_user_attr(SEEN_ATTR, _plain(seen))
    return x


def observe_on(executor: Any = "thread", *, sync: bool = False, n_trials: int = 3) -> list[Any]:
    """Run :func:`observing_objective` in a fresh seeded study (an enqueued trial first) on
    ``executor`` (``sync``: through ``study.optimize``) and return each trial's observation
    together with its stored record.

    Example:
        >>> observed = observe_on(sync=True, n_trials=2)
        >>> [o["seen"]["number"] for o in observed]
        [0, 1]
    """
    study = hpo_lab.create_study(
        sampler=RandomSampler(seed=0), pruner=MedianPruner(n_startup_trials=1)
    )
    study.enqueue_trial({"x": 0.25, "c": None}, user_attrs={"from": "queue"})
    if sync:
        study.optimize(observing_objective, n_trials=n_trials)
    else:
        run = study.start(observing_objective, n_trials=n_trials, executor=executor)
        run.wait()
        if run.exception is not None:
            raise run.exception
    out = []
    for t in study.trials:
        stored = {
            "state": t.state.value,
            "value": t.value,
            "params": t.params,
            "distributions": {n: d.to_dict() for n, d in t.distributions.items()},
            "intermediate_values": {str(s): v for s, v in t.intermediate_values.items()},
            "user_attrs": {k: v for k, v in t.user_attrs.items() if k != SEEN_ATTR},
            "system_attrs": {k: v for k, v in t.system_attrs.items() if k != "fixed_params"},
            "decisions": [d.to_dict() | {"cursor": None} for d in t.decisions],
        }
        out.append({"seen": t.user_attrs.get(SEEN_ATTR), "stored": _plain(stored)})
    return out
