"""Write the results files that the teaching notebooks load (``notebooks/data/*.json``).

A notebook computes what it can in its 15-30 s; where an honest measurement needs more seeds
than that, it loads one of these files and names the command that wrote it:

    python notebooks/scripts/make_results.py grid_vs_random   # 03: SVC on digits, grid vs random
    python notebooks/scripts/make_results.py bayes_vs_random  # 04: random, TPE, GP over seeds
    python notebooks/scripts/make_results.py narrowing        # 07: narrowing and warm start
    python notebooks/scripts/make_results.py parallel_cost    # 09: k trials in flight
    python notebooks/scripts/make_results.py early_stopping   # 05: pruners on recorded curves
    python notebooks/scripts/make_results.py nas_table        # 10: 729 architectures trained
    python notebooks/scripts/make_results.py all

``--workers N`` runs the seeds of bayes_vs_random and narrowing in N processes.

Every file records the command, the machine (cores, Python, library versions) and the date.
The objectives are the notebooks' own (each notebook shows the same code). Run it with
``nice -n 10`` on a shared machine: only the seconds it records are affected by load.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import hpo_lab
from hpo_lab.samplers import GPSampler, GridSampler, RandomSampler, TPESampler

DATA = Path(__file__).resolve().parents[1] / "data"


def _machine() -> dict[str, Any]:
    import scipy
    import sklearn

    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "hpo_lab": hpo_lab.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
        "date": _dt.date.today().isoformat(),
    }


def _write(name: str, command: str, payload: dict[str, Any], started: float) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    payload = {
        "command": f"python notebooks/scripts/make_results.py {command}",
        "machine": _machine(),
        "seconds": round(time.time() - started, 1),
        **payload,
    }
    path = DATA / name
    path.write_text(json.dumps(payload, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes, {payload['seconds']} s)")


def _r(values: Any, digits: int = 5) -> Any:
    """Round floats to ``digits`` significant digits, to keep the files small."""
    if isinstance(values, (list, tuple)):
        return [_r(v, digits) for v in values]
    if isinstance(values, float) and math.isfinite(values):
        return float(f"{values:.{digits}g}")
    return values


def _values(study: hpo_lab.Study) -> list[float]:
    return [float(t.value) for t in study.trials if t.value is not None]


# -- the objectives (the same code as in the notebooks) -------------------------------------------
def svc_data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[::2], y[::2]


def svc_error(X: np.ndarray, y: np.ndarray, C: float, gamma: float) -> float:
    """3-fold cross-validated error rate of an RBF SVC (notebooks 03 and 04)."""
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC

    return 1.0 - float(cross_val_score(SVC(C=C, gamma=gamma), X, y, cv=3).mean())


def svc_objective(X: np.ndarray, y: np.ndarray) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        C = trial.suggest_float("C", 1e-2, 1e3, log=True)
        gamma = trial.suggest_float("gamma", 1e-5, 1e-1, log=True)
        return svc_error(X, y, C, gamma)

    return objective


def branin(x1: float, x2: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])


def hartmann6(x: np.ndarray) -> float:
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x[None, :] - _H6_P) ** 2, axis=1))))


def branin_objective(trial: Any) -> float:
    return branin(trial.suggest_float("x1", -5.0, 10.0), trial.suggest_float("x2", 0.0, 15.0))


def hartmann_objective(trial: Any) -> float:
    return hartmann6(np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)]))


def digits_split(n_train: int = 1200) -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return X[:n_train], y[:n_train], X[1200:], y[1200:]


def train_mlp(X, y, Xv, yv, lr, weight_decay, width, momentum, epochs=15, batch=32, seed=0):  # type: ignore[no-untyped-def]
    """A one-hidden-layer network trained with SGD (momentum, weight decay) in numpy; returns
    the validation error rate (notebook 07)."""
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0, 1 / 8, (64, width))
    b1 = np.zeros(width)
    W2 = rng.normal(0, 1 / math.sqrt(width), (width, 10))
    b2 = np.zeros(10)
    params = [W1, b1, W2, b2]
    velocity = [np.zeros_like(p) for p in params]
    Y = np.eye(10)[y]
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for i in range(0, len(X), batch):
            idx = order[i : i + batch]
            h = np.maximum(X[idx] @ W1 + b1, 0.0)
            z = h @ W2 + b2
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            g = (p - Y[idx]) / len(idx)
            gh = (g @ W2.T) * (h > 0)
            grads = [X[idx].T @ gh, gh.sum(0), h.T @ g, g.sum(0)]
            for param, v, grad in zip(params, velocity, grads):
                v *= momentum
                v -= lr * (grad + weight_decay * param)
                param += v
        if not np.all(np.isfinite(W2)):
            return 1.0
    scores = np.maximum(Xv @ W1 + b1, 0.0) @ W2 + b2
    return float(np.mean(scores.argmax(axis=1) != yv))


def mlp_objective(data: tuple[np.ndarray, ...]) -> Callable[[Any], float]:
    X, y, Xv, yv = data

    def objective(trial: Any) -> float:
        lr = trial.suggest_float("lr", 1e-3, 3.0, log=True)
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True)
        width = trial.suggest_int("width", 8, 256, log=True)
        momentum = trial.suggest_float("momentum", 0.0, 0.95)
        with np.errstate(all="ignore"):
            return train_mlp(X, y, Xv, yv, lr, weight_decay, width, momentum)

    return objective


# -- 03 -------------------------------------------------------------------------------------------
def grid_vs_random(seeds: int = 20, max_trials: int = 36) -> None:
    started = time.time()
    X, y = svc_data()
    objective = svc_objective(X, y)
    grids = {}
    for k in (3, 4, 5, 6):
        study = hpo_lab.create_study(sampler=GridSampler(n_points=k, seed=0))
        study.optimize(objective, n_trials=k * k)
        grids[str(k)] = {
            "values": _r(_values(study)),
            "params": [_r([t.params["C"], t.params["gamma"]]) for t in study.trials],
        }
        print(f"grid {k}x{k}: best {min(_values(study)):.4f}")
    random = []
    for seed in range(seeds):
        study = hpo_lab.create_study(sampler=RandomSampler(seed=seed))
        study.optimize(objective, n_trials=max_trials)
        random.append({
            "values": _r(_values(study)),
            "params": [_r([t.params["C"], t.params["gamma"]]) for t in study.trials],
        })
        print(f"random seed {seed}: best {min(_values(study)):.4f}")
    _write("03_grid_vs_random.json", "grid_vs_random", {
        "what": "3-fold CV error of an RBF SVC on every other image of scikit-learn's digits; "
                "C log-uniform in [1e-2, 1e3], gamma log-uniform in [1e-5, 1e-1]. Grids of "
                "k x k points (GridSampler(n_points=k), ends included, log-spaced) and random "
                "search (RandomSampler(seed=s)).",
        "grids": grids,
        "random": random,
    }, started)


# -- 04 -------------------------------------------------------------------------------------------
def _bayes_run(job: tuple[str, str, int, int]) -> list[float]:
    problem, method, seed, n_trials = job
    from threadpoolctl import threadpool_limits

    objective = {
        "branin": branin_objective,
        "hartmann6": hartmann_objective,
        "svc_digits": svc_objective(*svc_data()),
    }[problem]
    sampler = {"random": RandomSampler, "tpe": TPESampler, "gp": GPSampler}[method](seed=seed)
    with threadpool_limits(1):
        study = hpo_lab.create_study(sampler=sampler)
        study.optimize(objective, n_trials=n_trials)
    return _r(_values(study))


def bayes_vs_random(seeds: int = 20, svc_seeds: int = 10, workers: int = 1) -> None:
    started = time.time()
    problems = {"branin": (100, seeds, 0.397887), "hartmann6": (100, seeds, -3.32237),
                "svc_digits": (60, svc_seeds, None)}
    jobs = [(p, m, s, n) for p, (n, k, _) in problems.items()
            for m in ("random", "tpe", "gp") for s in range(k)]
    values = dict(zip(jobs, _map(_bayes_run, jobs, workers)))
    out: dict[str, Any] = {}
    for name, (n_trials, n_seeds, optimum) in problems.items():
        runs = {m: [values[(name, m, s, n_trials)] for s in range(n_seeds)]
                for m in ("random", "tpe", "gp")}
        for m, r in runs.items():
            print(f"{name} {m}: median best {np.median([min(v) for v in r]):.4g}")
        out[name] = {"trials": n_trials, "seeds": n_seeds, "optimum": optimum, "values": runs}
    _write("04_bayes_vs_random.json", "bayes_vs_random", {
        "what": "Objective values of every trial (in order), per problem, method and seed "
                "(seed s: RandomSampler(seed=s), TPESampler(seed=s), GPSampler(seed=s), all "
                "defaults). svc_digits: 3-fold CV error of an RBF SVC on every other digits "
                "image, log C in [1e-2, 1e3], log gamma in [1e-5, 1e-1].",
        "problems": out,
    }, started)


def _map(fn: Callable[[Any], Any], jobs: list[Any], workers: int) -> list[Any]:
    """``map`` over ``jobs``, in ``workers`` processes when more than one (results in order)."""
    if workers <= 1:
        return [fn(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, jobs))


# -- 07 -------------------------------------------------------------------------------------------
def best_quarter_ranges(study: hpo_lab.Study) -> dict[str, tuple[float, float]]:
    """For each numeric parameter, the range of the best quarter of the finished trials: what
    the panel's space editor shows beside each slider (and what notebook 07 narrows to)."""
    done = sorted((t for t in study.trials if t.value is not None), key=lambda t: t.value)
    best = done[: max(2, len(done) // 4)]
    ranges = {}
    for name in ("lr", "weight_decay", "width", "momentum"):
        values = [t.params[name] for t in best]
        low, high = min(values), max(values)
        if low == high:
            continue
        ranges[name] = (low, high)
    return ranges


def _narrowing_seed(job: tuple[int, int, int, int]) -> dict[str, Any]:
    seed, budget, first, child = job
    from threadpoolctl import threadpool_limits

    full, old = digits_split(1200), digits_split(600)
    out: dict[str, Any] = {}
    with threadpool_limits(1), np.errstate(all="ignore"):
        study = hpo_lab.create_study(sampler=hpo_lab.samplers.AutoSampler(seed=seed))
        study.optimize(mlp_objective(full), n_trials=budget)
        out["plain"] = _r(_values(study))
        best_plain = study.best_params

        study = hpo_lab.create_study(sampler=hpo_lab.samplers.AutoSampler(seed=seed))
        study.optimize(mlp_objective(full), n_trials=first)
        ranges = best_quarter_ranges(study)
        study.narrow(**ranges)
        study.optimize(mlp_objective(full), n_trials=budget - first)
        out["narrowed"] = _r(_values(study))
        # Would the plain run's best point have been allowed by the narrowing?
        out["excluded"] = any(not lo <= best_plain[n] <= hi for n, (lo, hi) in ranges.items())

        parent = hpo_lab.create_study(
            study_name=f"old-{seed}", sampler=hpo_lab.samplers.AutoSampler(seed=seed)
        )
        parent.optimize(mlp_objective(old), n_trials=budget)
        out["parent"] = _r(_values(parent))
        kid = hpo_lab.create_study(
            storage=parent.storage, study_name=f"new-{seed}", warm_start_from=parent,
            sampler=hpo_lab.samplers.AutoSampler(seed=seed),
        )
        kid.optimize(mlp_objective(full), n_trials=child)
        out["warm"] = _r(_values(kid))
        fresh = hpo_lab.create_study(sampler=hpo_lab.samplers.AutoSampler(seed=seed + 1000))
        fresh.optimize(mlp_objective(full), n_trials=child)
        out["cold"] = _r(_values(fresh))
    print(f"seed {seed}: plain {min(out['plain']):.4f} narrowed {min(out['narrowed']):.4f} "
          f"warm {min(out['warm']):.4f} cold {min(out['cold']):.4f} excluded {out['excluded']}",
          flush=True)
    return out


def narrowing(seeds: int = 12, budget: int = 40, first: int = 15, child: int = 20,
              workers: int = 1) -> None:
    started = time.time()
    runs = _map(_narrowing_seed, [(s, budget, first, child) for s in range(seeds)], workers)
    keys = ("plain", "narrowed", "parent", "warm", "cold", "excluded")
    _write("07_narrowing.json", "narrowing", {
        "what": f"Validation error of a numpy MLP on digits (train_mlp in the notebook), "
                f"AutoSampler(seed=s). plain: {budget} trials. narrowed: {first} trials, then "
                f"every numeric parameter narrowed to the range of the best quarter, then "
                f"{budget - first} more. parent: {budget} trials on the first 600 training "
                f"images; warm: {child} trials on all 1,200, warm-started from the parent; "
                f"cold: {child} trials on all 1,200 from scratch (seed s + 1000). "
                "excluded: the narrowing left out the plain run's best point.",
        **{k: [r[k] for r in runs] for k in keys},
    }, started)


# -- 09 -------------------------------------------------------------------------------------------
def in_flight(
    objective: Callable[[Any], float], sampler: Any, k: int, n_trials: int
) -> list[float]:
    """Run ``n_trials`` with ``k`` trials always in flight: ask k, then each time the oldest
    finishes, tell it and ask a new one (what k workers with equal trial times do). The
    sampler sees the k - 1 others as RUNNING when it proposes, as in a real parallel run."""
    study = hpo_lab.create_study(sampler=sampler)
    pending: list[tuple[Any, float]] = []
    asked = 0
    while asked < min(k, n_trials):
        trial = study.ask()
        pending.append((trial, objective(trial)))
        asked += 1
    while pending:
        trial, value = pending.pop(0)
        study.tell(trial, value)
        if asked < n_trials:
            new = study.ask()
            pending.append((new, objective(new)))
            asked += 1
    return [float(t.value) for t in sorted(study.trials, key=lambda t: t.number)]


def parallel_cost(seeds: int = 10, n_trials: int = 60) -> None:
    started = time.time()
    problems = {"branin": branin_objective, "hartmann6": hartmann_objective}
    makers: dict[str, Callable[[int], Any]] = {
        "random": lambda s: RandomSampler(seed=s),
        "tpe": lambda s: TPESampler(seed=s),
        "gp": lambda s: GPSampler(seed=s),
    }
    out: dict[str, Any] = {}
    for name, objective in problems.items():
        out[name] = {}
        for method, make in makers.items():
            out[name][method] = {}
            for k in (1, 2, 4, 8):
                runs = [_r(in_flight(objective, make(s), k, n_trials)) for s in range(seeds)]
                out[name][method][str(k)] = runs
                print(f"{name} {method} k={k}: median best "
                      f"{np.median([min(r) for r in runs]):.4g}")
    _write("09_parallel_cost.json", "parallel_cost", {
        "what": f"{n_trials} trials with k trials always in flight (ask k; each time the "
                "oldest finishes, tell it and ask another), seeds 0..9, default samplers "
                "(constant liar on). Values in trial order.",
        "problems": out,
    }, started)


# -- 10 -------------------------------------------------------------------------------------------
OPS = ("none", "skip", "dense")
EDGES = ("1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2")


def train_cell(arch: tuple[str, ...], seed: int = 0, steps: tuple[int, ...] = (25, 50, 100),
               width: int = 32) -> dict[str, Any]:
    """Train one cell-based network on digits (notebook 10 describes it): a dense stem to
    ``width`` units, one cell of 4 nodes where node j sums op(node i) over the edges i -> j
    (ops: none, skip, dense = Linear + ReLU), and a linear head on node 3. Full-batch Adam,
    lr 0.01, on 1,000 images; validation loss (cross-entropy) and accuracy on 400 images at
    each of ``steps``, test accuracy on the last 397 images at the last step."""
    import torch

    torch.manual_seed(seed)
    from sklearn.datasets import load_digits

    full_x, full_y = load_digits(return_X_y=True)
    full_x = full_x / 16.0
    X, y = full_x[:1000], full_y[:1000]
    Xv, yv = full_x[1000:1400], full_y[1000:1400]
    Xt, yt = full_x[1400:], full_y[1400:]
    tx = torch.tensor(X, dtype=torch.float32)
    ty = torch.tensor(y)
    stem = torch.nn.Linear(64, width)
    head = torch.nn.Linear(width, 10)
    dense = {e: torch.nn.Linear(width, width) for e, op in zip(EDGES, arch) if op == "dense"}
    modules = [stem, head, *dense.values()]
    params = [p for m in modules for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=0.01)

    def forward(inp: Any) -> Any:
        nodes = [torch.relu(stem(inp))]
        for j in (1, 2, 3):
            total = None
            for e, op in zip(EDGES, arch):
                target, source = int(e[0]), int(e[-1])
                if target != j or op == "none":
                    continue
                h = nodes[source] if op == "skip" else torch.relu(dense[e](nodes[source]))
                total = h if total is None else total + h
            nodes.append(total if total is not None else torch.zeros_like(nodes[0]))
        return head(nodes[3])

    val: dict[str, float] = {}
    val_loss: dict[str, float] = {}
    vx, vy = torch.tensor(Xv, dtype=torch.float32), torch.tensor(yv)
    for step in range(1, max(steps) + 1):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(forward(tx), ty)
        loss.backward()
        opt.step()
        if step in steps:
            with torch.no_grad():
                logits = forward(vx)
            val[str(step)] = float(np.mean(logits.argmax(1).numpy() == yv))
            val_loss[str(step)] = float(torch.nn.functional.cross_entropy(logits, vy))
    with torch.no_grad():
        pred = forward(torch.tensor(Xt, dtype=torch.float32)).argmax(1).numpy()
    test = float(np.mean(pred == yt))
    n_params = sum(p.numel() for p in params)
    return {"val": val, "val_loss": val_loss, "test": test, "params": int(n_params)}


def nas_table(noise_archs: int = 60) -> None:
    import itertools

    import torch

    torch.set_num_threads(1)
    started = time.time()
    rows = []
    archs = list(itertools.product(OPS, repeat=len(EDGES)))
    for i, arch in enumerate(archs):
        t0 = time.process_time()
        r = train_cell(arch)
        rows.append(["".join(op[0] for op in arch), r["params"],
                     *(_r(r["val_loss"][s], 4) for s in ("25", "50", "100")),
                     _r(r["val"]["100"], 4), _r(r["test"], 4), round(time.process_time() - t0, 3)])
        if i % 50 == 0:
            print(f"{i}/{len(archs)} {rows[-1]}")
    # The noise of one training run: a second and third seed for a sample of architectures.
    rng = np.random.default_rng(0)
    sample = rng.choice(len(archs), size=noise_archs, replace=False)
    repeats = []
    for i in sample:
        arch = archs[int(i)]
        again = [train_cell(arch, seed=s) for s in (1, 2)]
        repeats.append(["".join(op[0] for op in arch),
                        *(_r(a["val_loss"]["100"], 4) for a in again),
                        *(_r(a["val"]["100"], 4) for a in again)])
    _write("10_nas_table.json", "nas_table", {
        "what": "Every cell of a 4-node cell space (6 edges, ops none / skip / dense) trained "
                "once (seed 0) on digits: a Linear(64, 32) + ReLU stem, the cell, a linear head; "
                "full-batch Adam (lr 0.01) on 1,000 images; validation loss (400 images) after "
                "25, 50 and 100 steps, validation and test accuracy (397 images) after 100, CPU "
                "seconds. arch: one letter per edge in the order of 'edges' (n = none, s = skip, "
                "d = dense). repeats: validation loss at 100 steps with seeds 1 and 2, then "
                "validation accuracy with seeds 1 and 2, for a random sample of architectures "
                "(the noise of one training run).",
        "edges": list(EDGES), "ops": list(OPS),
        "columns": ["arch", "params", "val_loss@25", "val_loss@50", "val_loss@100", "val_acc@100",
                    "test_acc", "cpu_s"],
        "rows": rows, "repeats": repeats,
    }, started)


# -- 05 -------------------------------------------------------------------------------------------
CURVES_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "mlp_curves.npz"
EARLY_STOPPING_PRUNERS = ("none", "median", "asha", "hyperband", "asha + rank check")


#: What notebook 05 compares: an accuracy-like metric whose early ranking holds, and a loss
#: whose curves cross (the fastest learners overfit).
EARLY_STOPPING_PROBLEMS = {"digits error": ("digits", "error"),
                           "breast_cancer log loss": ("breast_cancer", "loss")}


def recorded_curves() -> tuple[dict[str, list[Any]], dict[str, np.ndarray]]:
    """The recorded grid (each parameter's levels, in the table's order) and the validation
    curves of notebook 05's problems: 504 MLPs, 30 epochs each."""
    with np.load(CURVES_FILE) as data:
        grid = {name.removeprefix("grid_"): [v.item() for v in data[name]]
                for name in data.files if name.startswith("grid_")}
        curves = {name: data[f"{dataset}_{metric}"].astype(float)
                  for name, (dataset, metric) in EARLY_STOPPING_PROBLEMS.items()}
    return grid, curves


def early_stopping_pruner(name: str, n_epochs: int) -> Any:
    """Notebook 05's pruner ``name`` (a key of :data:`EARLY_STOPPING_PRUNERS`), as the
    notebook configures it, from hpo_lab's pruner factory."""
    from hpo_lab.pruners import make_pruner

    kind, kwargs = {
        "none": ("none", {}),
        "median": ("median", {"n_startup_trials": 5}),
        "asha": ("asha", {"min_resource": 1, "reduction_factor": 3}),
        "hyperband": (
            "hyperband", {"min_resource": 1, "max_resource": n_epochs, "reduction_factor": 3}
        ),
        "asha + rank check": (
            "asha", {"min_resource": 1, "reduction_factor": 3, "rank_check": True}
        ),
    }[name]
    return make_pruner(kind, **kwargs)


def curve_search(
    grid: dict[str, list[Any]], curves: np.ndarray, pruner: str, seed: int,
    budget_trials: int = 100,
) -> tuple[list[list[float]], int]:
    """Random search replaying ``curves`` (one report per epoch) until the epochs of
    ``budget_trials`` full trainings are spent; returns ``[epochs spent, best final value]``
    at each improvement of a fully trained trial, and the number of trials (notebook 05)."""
    n_epochs = curves.shape[1]
    sizes = [len(levels) for levels in grid.values()]
    # Named: Hyperband draws each trial's bracket from the study's name and the trial's number.
    study = hpo_lab.create_study(
        study_name=f"{pruner}-{seed}", sampler=RandomSampler(seed=seed),
        pruner=early_stopping_pruner(pruner, n_epochs),
    )
    budget, spent, best = budget_trials * n_epochs, 0, math.inf
    trace: list[list[float]] = []

    def objective(trial: Any) -> float:
        nonlocal spent, best
        levels = [grid[n].index(trial.suggest_categorical(n, grid[n])) for n in grid]
        curve = curves[int(np.ravel_multi_index(levels, sizes))]
        for epoch in range(1, n_epochs + 1):
            spent += 1
            trial.report(float(curve[epoch - 1]), epoch)
            if trial.should_prune():
                raise hpo_lab.TrialPruned()
        if curve[-1] < best:
            best = float(curve[-1])
            trace.append([spent, best])
        return float(curve[-1])

    def stop(study: Any, trial: Any) -> None:
        if spent >= budget:
            study.stop()

    study.optimize(objective, callbacks=[stop])
    return trace, len(study.trials)


def early_stopping(seeds: int = 20) -> None:
    started = time.time()
    grid, curves = recorded_curves()
    runs: dict[str, dict[str, Any]] = {}
    for problem, table in curves.items():
        runs[problem] = {}
        for pruner in EARLY_STOPPING_PRUNERS:
            traces, trials = [], []
            for seed in range(seeds):
                trace, n = curve_search(grid, table, pruner, seed)
                traces.append([[int(e), _r(v)] for e, v in trace])
                trials.append(n)
            runs[problem][pruner] = {"traces": traces, "trials": trials}
            print(problem, pruner, f"{time.time() - started:.0f} s", flush=True)
    _write(
        "05_early_stopping.json", "early_stopping",
        {"seeds": seeds, "budget_trials": 100, "n_epochs": int(curves["digits error"].shape[1]),
         "best_final": {m: _r(float(t[:, -1].min())) for m, t in curves.items()},
         "runs": runs},
        started,
    )


TASKS: dict[str, Callable[[], None]] = {
    "grid_vs_random": grid_vs_random,
    "bayes_vs_random": bayes_vs_random,
    "narrowing": narrowing,
    "parallel_cost": parallel_cost,
    "nas_table": nas_table,
    "early_stopping": early_stopping,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="+", choices=[*TASKS, "all"])
    parser.add_argument("--workers", type=int, default=1,
                        help="processes for bayes_vs_random and narrowing (default 1)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", category=RuntimeWarning)
    from threadpoolctl import threadpool_limits

    # One BLAS thread: these are small matrices, where threads cost more than they give.
    with threadpool_limits(1):
        for name in TASKS if "all" in args.tasks else args.tasks:
            print(f"== {name}", flush=True)
            if name in ("bayes_vs_random", "narrowing"):
                TASKS[name](workers=args.workers)  # type: ignore[call-arg]
            else:
                TASKS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
