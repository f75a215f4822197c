"""Ablations of the GP sampler's internals, on the sampler benchmark's problems.

Each variant is ``GPSampler(seed=s)`` with one thing changed, run on the same seeds as the
default; the sampler benchmark's ``suggest_all`` and problem functions, 100 trials. Some
variants change a private constant or wrap a private function for the run (they are
experiments on the internals, not options a user has):

* ``default``: the shipped sampler;
* ``deterministic``: ``deterministic_objective=True`` (noise fixed at 1e-6, not fitted);
* ``noise-prior-1e-4``: the log-normal noise prior centred at 1e-4 instead of 1e-2;
* ``roulette-candidates``: 4 more candidates for the acquisition search, drawn from 512
  uniform points with probability proportional to ``exp(log EI)`` (as Optuna picks its local
  starts); they join the design's candidates and are refined only if they rank among the best;
* ``search-20x10``: 10 local starts and up to 20 alternations of continuous refinement and
  neighbour sweeps (the default: 3 alternations, and 4 starts, or 10 where the space has a
  categorical parameter); ``starts-4``: 4 starts in every space (the default before
  2026-12-07's change);
* ``onehot-1``: categorical one-hot blocks scaled by 1 instead of ``1/sqrt(2)`` (two choices
  at squared distance 2: a 1.41x shorter effective length scale);
* ``no-target-warp``: targets only standardized (no Yeo-Johnson);
* ``believer-0`` and ``believer-0.5``: with ``--jobs 4``, a running trial believed at the
  predicted mean (plus 0 or 0.5 deviations instead of 1).

``--jobs N`` runs each study with ``n_jobs=N`` on threads and an objective that sleeps the
benchmark's 20 ms (as its parallel rows do); such runs are not reproducible (the workers'
interleaving decides what is running at each ask), so ``--repeats`` runs each seed again and
no paired test is made. Sequential runs are paired with the default (Wilcoxon), and, with
``--peer``, with a peer's runs cached by ``benchmarks/samplers.py``.

Reported per problem: the median regret (best value minus the optimum) at 100 trials, the
share of runs whose regret exceeds ``--stuck`` (a local optimum), the median regret of the
others, and the paired tests.

Usage:
    python benchmarks/gp_variants.py --problems nas_mixed --seeds 0-29 --peer optuna-gp \\
        --variants default deterministic roulette-candidates onehot-1 no-target-warp search-20x10
    python benchmarks/gp_variants.py --problems levy10 hartmann6 branin nas_mixed \\
        --seeds 0-9 --variants default deterministic noise-prior-1e-4
    python benchmarks/gp_variants.py --problems hartmann6 --seeds 0-29 --jobs 4 --repeats 3 \\
        --stuck 0.05 --variants default believer-0.5 believer-0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from samplers import DEFAULT_CACHE, PARALLEL_SLEEP_MS, PROBLEMS, _run_path, _seeds, _Timed


@contextlib.contextmanager
def _patched(module: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


def _wrapped_search(**changes: Any) -> Callable[[], contextlib.AbstractContextManager[None]]:
    """A variant that calls the acquisition search with some arguments changed."""

    def enter() -> contextlib.AbstractContextManager[None]:
        from hpo_lab.samplers._gp import _optimize

        search = _optimize.optimize_acquisition

        def changed(*args: Any, **kwargs: Any) -> Any:
            return search(*args, **{**kwargs, **changes})

        return _patched(_optimize, "optimize_acquisition", changed)

    return enter


def _roulette_candidates() -> contextlib.AbstractContextManager[None]:
    from hpo_lab.samplers._gp import _optimize

    search = _optimize.optimize_acquisition

    def with_roulette(space: Any, acquisition: Any, value_and_grad: Any, rng: Any,
                      **kwargs: Any) -> Any:
        p = len(space.dims)
        lo = np.zeros(p) if kwargs.get("lower") is None else kwargs["lower"]
        hi = np.ones(p) if kwargs.get("upper") is None else kwargs["upper"]
        z = lo + rng.random((512, p)) * (hi - lo)
        log_ei = acquisition(space.features(z))
        weights = np.nan_to_num(np.exp(log_ei - np.nanmax(log_ei)))
        k = min(4, int(np.count_nonzero(weights)))
        if k == 0:
            return search(space, acquisition, value_and_grad, rng, **kwargs)
        picked = z[rng.choice(len(z), size=k, replace=False, p=weights / weights.sum())]
        starts = kwargs.get("starts")
        kwargs["starts"] = picked if starts is None else np.vstack([starts, picked])
        return search(space, acquisition, value_and_grad, rng, **kwargs)

    return _patched(_optimize, "optimize_acquisition", with_roulette)


def _module_constant(module: str, name: str, value: Any) -> Callable[[], Any]:
    def enter() -> contextlib.AbstractContextManager[None]:
        import importlib

        return _patched(importlib.import_module(module), name, value)

    return enter


def _standardized(values: np.ndarray) -> np.ndarray:
    sd = float(values.std())
    return (values - values.mean()) / (sd if sd > 1e-12 else 1.0)


_GP = "hpo_lab.samplers._gp._gp"
_SAMPLER = "hpo_lab.samplers._gp._sampler"
_OPTIMIZE = "hpo_lab.samplers._gp._optimize"
#: name -> (GPSampler keyword arguments, context that changes an internal, or None)
VARIANTS: dict[str, tuple[dict[str, Any], Callable[[], Any] | None]] = {
    "default": ({}, None),
    "deterministic": ({"deterministic_objective": True}, None),
    "noise-prior-1e-4": ({}, _module_constant(_GP, "_LOG_NOISE_MEAN", math.log(1e-4))),
    "roulette-candidates": ({}, _roulette_candidates),
    "search-20x10": ({}, _wrapped_search(n_rounds=20, n_local=10)),
    "starts-4": ({}, _wrapped_search(n_local=4)),
    "onehot-1": ({}, _module_constant(_OPTIMIZE, "ONE_HOT_SCALE", 1.0)),
    "no-target-warp": ({}, _module_constant(_SAMPLER, "warp_targets", _standardized)),
    "believer-0": ({}, _module_constant(_SAMPLER, "_BELIEVER_SD", 0.0)),
    "believer-0.5": ({}, _module_constant(_SAMPLER, "_BELIEVER_SD", 0.5)),
}


def one_run(problem_name: str, variant: str, seed: int, n_trials: int, jobs: int) -> float:
    """The regret at ``n_trials`` of one run of ``variant``."""
    import hpo_lab
    from hpo_lab.samplers import GPSampler

    problem = PROBLEMS[problem_name]
    kwargs, context = VARIANTS[variant]
    objective = _Timed(problem, PARALLEL_SLEEP_MS if jobs > 1 else 0.0)
    with context() if context is not None else contextlib.nullcontext():
        study = hpo_lab.create_study(sampler=GPSampler(seed=seed, **kwargs))
        study.optimize(objective, n_trials=n_trials, n_jobs=jobs)
    return min(objective.in_order()[:n_trials]) - (problem.optimum or 0.0)


def _peer_regrets(problem_name: str, peer: str, seeds: list[int]) -> list[float] | None:
    problem = PROBLEMS[problem_name]
    out = []
    for seed in seeds:
        path = _run_path(DEFAULT_CACHE, problem_name, peer, seed)
        if not path.exists():
            return None
        values = json.loads(path.read_text())["values"][:100]
        out.append(min(values) - (problem.optimum or 0.0))
    return out


def _paired(a: list[float], b: list[float]) -> str:
    from scipy.stats import wilcoxon

    better = sum(x < y for x, y in zip(a, b, strict=True))
    worse = sum(x > y for x, y in zip(a, b, strict=True))
    diffs = [x - y for x, y in zip(a, b, strict=True) if x != y]
    p = wilcoxon(diffs).pvalue if diffs else 1.0
    return f"{better} / {worse}, p = {p:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=["nas_mixed"], choices=sorted(PROBLEMS))
    parser.add_argument("--variants", nargs="+", default=["default"], choices=list(VARIANTS))
    parser.add_argument("--seeds", type=_seeds, default=_seeds("0-9"))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--stuck", type=float, default=math.inf,
                        help="regret above which a run counts as stuck in a local optimum")
    parser.add_argument("--peer", default=None, help="a peer cached by samplers.py, e.g. optuna-gp")
    args = parser.parse_args()
    trials = 100
    seeds = [s for _ in range(args.repeats) for s in args.seeds]
    print(f"# GP variants: seeds {args.seeds[0]}-{args.seeds[-1]} x {args.repeats}, "
          f"n_jobs={args.jobs}, {trials} trials; load average {os.getloadavg()[0]:.1f} before\n")
    print("| problem | variant | runs | median regret | stuck | median of the others "
          "| vs default | vs peer |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for name in args.problems:
        peer = _peer_regrets(name, args.peer, args.seeds) if args.peer else None
        results: dict[str, list[float]] = {}
        for variant in args.variants:
            results[variant] = [one_run(name, variant, s, trials, args.jobs) for s in seeds]
            end = results[variant]
            free = [r for r in end if r <= args.stuck]
            paired = args.jobs == 1 and args.repeats == 1
            versus = (_paired(end, results["default"])
                      if paired and variant != "default" and "default" in results else "")
            versus_peer = _paired(end, peer) if paired and peer is not None else ""
            print(f"| {name} | {variant} | {len(end)} | {statistics.median(end):.4g} "
                  f"| {len(end) - len(free)} | "
                  f"{statistics.median(free) if free else math.nan:.4g} | {versus} "
                  f"| {versus_peer} |", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
