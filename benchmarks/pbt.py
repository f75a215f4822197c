"""Population-based training, measured: does PBT beat fixed hyperparameters at equal compute?

Two problems, each over several seeds:

* **toy** (the PBT paper, section 4.1): maximise Q(theta) = 1.2 - (theta0^2 + theta1^2) by
  gradient ascent on the surrogate 1.2 - (h0 theta0^2 + h1 theta1^2), h one of (1, 0) and
  (0, 1). No fixed h reaches the optimum (each moves one coordinate only); PBT can switch h
  along the way. Compared at equal steps per member: hpo_lab's PBT (population 2 and 4), the
  best fixed h of the grid, and Ray Tune's PBT when ``ray[tune]`` is installed (quality and
  wall time).
* **mlp**: a torch MLP (30-64-5) trained with SGD and momentum on a 5-class problem generated
  with scikit-learn's ``make_classification`` (3,000 points, 30 features of which 12
  informative, 3% flipped labels: hard enough that the schedule matters; on digits every
  reasonable configuration reaches 97-98% and nothing can be told apart);
  hyperparameters: learning rate (log 1e-3..1) and weight decay (log 1e-6..1e-2). PBT
  (population 8, an interval of 2 epochs, 16 epochs per member) against random search over 8
  fixed configurations of 16 epochs each: the same 128 epochs of compute. Each method's model
  is chosen by validation accuracy; the table gives that model's test accuracy.

Usage:
    nice -n 10 python benchmarks/pbt.py [--seeds 0-4] [--problems toy mlp] [--no-ray]
    python benchmarks/pbt.py --quick      # seconds: 2 seeds, toy only, no Ray
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

import hpo_lab
from hpo_lab.pbt import PopulationBasedTraining, segment

# -- the toy problem ---------------------------------------------------------------------------
H = {"first": (1.0, 0.0), "second": (0.0, 1.0)}
TOY_LR = 0.05


def _q(t0: float, t1: float) -> float:
    return 1.2 - (t0 * t0 + t1 * t1)


def toy_objective(trial: Any) -> float:
    h = H[trial.suggest_categorical("h", list(H))]
    t0, t1 = trial.checkpoint.load(default=(0.9, 0.9))
    for step in segment(trial):
        t0 -= TOY_LR * 2.0 * h[0] * t0
        t1 -= TOY_LR * 2.0 * h[1] * t1
        trial.report(_q(t0, t1), step)
    trial.checkpoint.save((t0, t1))
    return _q(t0, t1)


def toy_fixed(h: str, steps: int) -> float:
    t0, t1 = 0.9, 0.9
    for _ in range(steps):
        t0 -= TOY_LR * 2.0 * H[h][0] * t0
        t1 -= TOY_LR * 2.0 * H[h][1] * t1
    return _q(t0, t1)


def toy_pbt(seed: int, population: int, steps: int, interval: int) -> tuple[float, float]:
    study = hpo_lab.create_study(
        direction="maximize", sampler=hpo_lab.samplers.RandomSampler(seed=seed)
    )
    pbt = PopulationBasedTraining(
        population=population, interval=interval, max_steps=steps, quantile=0.25, seed=seed
    )
    start = time.perf_counter()
    study.optimize(toy_objective, scheduler=pbt)
    return study.best_value, time.perf_counter() - start


def toy_ray(seed: int, population: int, steps: int, interval: int) -> tuple[float, float] | None:
    try:
        import ray
        from ray import tune
        from ray.tune.schedulers import PopulationBasedTraining as RayPBT
    except ImportError:
        return None
    import tempfile

    def trainable(config: dict[str, Any]) -> None:
        checkpoint = tune.get_checkpoint()
        t0, t1, step = 0.9, 0.9, 0
        if checkpoint is not None:
            with checkpoint.as_directory() as folder:
                t0, t1, step = np.load(os.path.join(folder, "theta.npy")).tolist()
        while step < steps:
            h = H[config["h"]]
            for _ in range(interval):
                t0 -= TOY_LR * 2.0 * h[0] * t0
                t1 -= TOY_LR * 2.0 * h[1] * t1
                step += 1
            with tempfile.TemporaryDirectory() as folder:
                np.save(os.path.join(folder, "theta.npy"), np.array([t0, t1, step]))
                tune.report(
                    {"q": _q(t0, t1), "step": step},
                    checkpoint=tune.Checkpoint.from_directory(folder),
                )

    if not ray.is_initialized():
        # Ray's workers import this module to run the trainable: let them find it.
        here = os.path.dirname(os.path.abspath(__file__))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (here, os.environ.get("PYTHONPATH", "")) if p
        )
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    scheduler = RayPBT(
        time_attr="step", perturbation_interval=interval,
        hyperparam_mutations={"h": list(H)}, quantile_fraction=0.25,
    )
    start = time.perf_counter()
    tuner = tune.Tuner(
        trainable,
        param_space={"h": tune.choice(list(H))},
        tune_config=tune.TuneConfig(
            metric="q", mode="max", scheduler=scheduler, num_samples=population
        ),
    )
    results = tuner.fit()
    elapsed = time.perf_counter() - start
    best = max(r.metrics["q"] for r in results if r.metrics and "q" in r.metrics)
    return float(best), elapsed


# -- the MLP on digits -------------------------------------------------------------------------
N_FEATURES, N_CLASSES = 30, 5


def _mlp() -> Any:
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(N_FEATURES, 64), torch.nn.ReLU(), torch.nn.Linear(64, N_CLASSES)
    )


def _data(seed: int) -> tuple[Any, ...]:
    import torch
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    x, y = make_classification(
        n_samples=3000, n_features=N_FEATURES, n_informative=12, n_classes=N_CLASSES,
        class_sep=0.9, flip_y=0.03, random_state=seed,
    )
    x = (x - x.mean(0)) / x.std(0)
    x_tr, x_rest, y_tr, y_rest = train_test_split(x, y, test_size=0.4, random_state=seed,
                                                  stratify=y)
    x_va, x_te, y_va, y_te = train_test_split(x_rest, y_rest, test_size=0.5,
                                              random_state=seed, stratify=y_rest)

    def tensors(a: Any, b: Any) -> tuple[Any, Any]:
        return torch.tensor(a, dtype=torch.float32), torch.tensor(b)

    return (*tensors(x_tr, y_tr), *tensors(x_va, y_va), *tensors(x_te, y_te))


class MLPTask:
    """One epoch of SGD at given hyperparameters, from a checkpoint, scored on validation."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.data = _data(seed)

    def new_state(self, member_seed: int) -> dict[str, Any]:
        import torch

        torch.manual_seed(member_seed)
        model = _mlp()
        return {"model": model.state_dict(), "momentum": None, "epoch": 0}

    def train(self, state: dict[str, Any], lr: float, wd: float, epochs: int) -> dict[str, Any]:
        import torch

        x_tr, y_tr = self.data[0], self.data[1]
        model = _mlp()
        model.load_state_dict(state["model"])
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=wd)
        if state["momentum"] is not None:
            opt.load_state_dict(state["momentum"])
            for group in opt.param_groups:
                group["lr"], group["weight_decay"] = lr, wd
        gen = torch.Generator().manual_seed(self.seed * 1000 + state["epoch"])
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(epochs):
            order = torch.randperm(len(x_tr), generator=gen)
            for i in range(0, len(x_tr), 32):
                idx = order[i : i + 32]
                opt.zero_grad()
                loss = loss_fn(model(x_tr[idx]), y_tr[idx])
                loss.backward()
                opt.step()
        return {"model": model.state_dict(), "momentum": opt.state_dict(),
                "epoch": state["epoch"] + epochs}

    def accuracy(self, state: dict[str, Any], split: str) -> float:
        import torch

        x, y = (self.data[2], self.data[3]) if split == "val" else (self.data[4], self.data[5])
        model = _mlp()
        model.load_state_dict(state["model"])
        with torch.no_grad():
            out = model(x)
        if not torch.isfinite(out).all():
            return 0.0
        return float((out.argmax(1) == y).float().mean())


def mlp_pbt(seed: int, population: int, epochs: int, interval: int) -> tuple[float, float]:
    task = MLPTask(seed)

    def objective(trial: Any) -> float:
        lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        wd = trial.suggest_float("wd", 1e-6, 1e-2, log=True)
        state = trial.checkpoint.load()
        if state is None:
            state = task.new_state(seed * 100 + trial.number)
        state = task.train(state, lr, wd, len(segment(trial)))
        trial.checkpoint.save(state)
        trial.set_user_attr("test", task.accuracy(state, "test"))
        return task.accuracy(state, "val")

    study = hpo_lab.create_study(
        direction="maximize", sampler=hpo_lab.samplers.RandomSampler(seed=seed)
    )
    pbt = PopulationBasedTraining(
        population=population, interval=interval, max_steps=epochs, seed=seed
    )
    study.optimize(objective, scheduler=pbt)
    final = [t for t in study.trials
             if t.system_attrs["pbt"]["generation"] == epochs // interval - 1]
    best = max(final, key=lambda t: t.value or 0.0)
    return float(best.value or 0.0), float(best.user_attrs["test"])


def mlp_random(seed: int, n_configs: int, epochs: int) -> tuple[float, float]:
    task = MLPTask(seed)

    def objective(trial: Any) -> float:
        lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        wd = trial.suggest_float("wd", 1e-6, 1e-2, log=True)
        state = task.train(task.new_state(seed * 100 + trial.number), lr, wd, epochs)
        trial.set_user_attr("test", task.accuracy(state, "test"))
        return task.accuracy(state, "val")

    study = hpo_lab.create_study(
        direction="maximize", sampler=hpo_lab.samplers.RandomSampler(seed=seed)
    )
    study.optimize(objective, n_trials=n_configs)
    best = study.best_trial
    return float(best.value or 0.0), float(best.user_attrs["test"])


# -- the tables ----------------------------------------------------------------------------------
def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def _median(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.3f}"


def run_toy(seeds: list[int], ray_too: bool, steps: int = 40, interval: int = 4) -> None:
    best_fixed = max(toy_fixed(h, steps) for h in H)
    rows: dict[str, list[float]] = {"best fixed h (grid)": [best_fixed] * len(seeds)}
    times: dict[str, list[float]] = {}
    for population in (2, 4):
        name = f"hpo_lab PBT, population {population}"
        for seed in seeds:
            q, t = toy_pbt(seed, population, steps, interval)
            rows.setdefault(name, []).append(q)
            times.setdefault(name, []).append(t)
    if ray_too:
        for population in (2, 4):
            name = f"Ray Tune PBT, population {population}"
            for seed in seeds:
                got = toy_ray(seed, population, steps, interval)
                if got is None:
                    print("(ray[tune] is not installed: no Ray rows)")
                    break
                rows.setdefault(name, []).append(got[0])
                times.setdefault(name, []).append(got[1])
    print(f"\n### Toy problem (PBT paper): best Q after {steps} steps per member, "
          f"interval {interval}, seeds {seeds[0]}-{seeds[-1]}\n")
    print("| method | median best Q | min | max | median wall time (s) |")
    print("|---|---:|---:|---:|---:|")
    for name, qs in rows.items():
        t = f"{statistics.median(times[name]):.2f}" if name in times else "-"
        print(f"| {name} | {_median(qs)} | {min(qs):.3f} | {max(qs):.3f} | {t} |")
    print("\nThe optimum is Q = 1.2.")


def run_mlp(seeds: list[int], population: int = 8, epochs: int = 16, interval: int = 2) -> None:
    pbt_val, pbt_test, rnd_val, rnd_test, wins = [], [], [], [], 0
    for seed in seeds:
        v, t = mlp_pbt(seed, population, epochs, interval)
        rv, rt = mlp_random(seed, population, epochs)
        pbt_val.append(v)
        pbt_test.append(t)
        rnd_val.append(rv)
        rnd_test.append(rt)
        wins += t > rt
        print(f"  seed {seed}: PBT val {v:.4f} test {t:.4f} | random val {rv:.4f} test {rt:.4f}",
              file=sys.stderr)
    print(f"\n### MLP on a generated 5-class problem: {population} members x {epochs} epochs (PBT, interval "
          f"{interval}) against {population} random configurations x {epochs} epochs, "
          f"seeds {seeds[0]}-{seeds[-1]}\n")
    print("| method | median validation accuracy | median test accuracy | test accuracies |")
    print("|---|---:|---:|---|")
    print(f"| PBT | {_median(pbt_val)} | {_median(pbt_test)} | "
          f"{', '.join(f'{x:.3f}' for x in pbt_test)} |")
    print(f"| random search, fixed hyperparameters | {_median(rnd_val)} | {_median(rnd_test)} | "
          f"{', '.join(f'{x:.3f}' for x in rnd_test)} |")
    print(f"\nPBT's selected model tests better on {wins} of {len(seeds)} seeds.")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--problems", nargs="+", default=["toy", "mlp"], choices=["toy", "mlp"])
    parser.add_argument("--no-ray", action="store_true", help="skip Ray Tune's PBT")
    parser.add_argument("--quick", action="store_true", help="2 seeds, toy only, no Ray")
    args = parser.parse_args(argv)
    seeds = [0, 1] if args.quick else _seeds(args.seeds)
    problems = ["toy"] if args.quick else args.problems
    try:
        import torch

        torch.set_num_threads(1)  # one core per training: comparable times on a shared machine
    except ImportError:
        pass
    load = os.getloadavg()
    print(f"python {platform.python_version()}, hpo_lab {hpo_lab.__version__}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if "toy" in problems:
        run_toy(seeds, ray_too=not (args.no_ray or args.quick))
    if "mlp" in problems:
        run_mlp(seeds)


if __name__ == "__main__":
    main()
