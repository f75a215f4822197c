"""Write one PNG per plot of ``hpo_lab.viz`` into ``docs/img/`` (the gallery of docs/plots.md).

Usage:
    python scripts/make_gallery.py [--out docs/img] [--scale 1.0]

Needs plotly's static export: kaleido with a Chrome or Chromium; on Debian
``apt-get install chromium`` (kaleido finds /usr/bin/chromium, or set BROWSER_PATH).

The demo study is deterministic (seeded random search) and exercises what the plots show:
log, int and categorical parameters, learning curves with pruned trials, failed trials, a
narrowed search-space revision, three parallel workers and a warm-started child study.
"""

from __future__ import annotations

import argparse
import math
import os
import queue
import threading
import time
from pathlib import Path

import plotly.io as pio

import hpo_lab
from hpo_lab import viz
from hpo_lab.samplers import RandomSampler


def objective(trial: hpo_lab.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("n_layers", 1, 6)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"])
    dropout = trial.suggest_float("dropout", 0.0, 0.6)
    # A made-up validation loss: best near lr=3e-3, 3 layers, adam, little dropout.
    floor = (
        0.15 * (math.log10(lr) + 2.5) ** 2
        + 0.03 * (layers - 3) ** 2
        + {"sgd": 0.25, "adam": 0.0, "rmsprop": 0.08}[optimizer]
        + 0.4 * dropout**2
    )
    if optimizer == "sgd" and lr < 3e-5:
        raise FloatingPointError("diverged")
    loss = 2.0
    for step in range(12):
        loss = floor + (2.0 - floor) * math.exp(-0.35 * (step + 1))
        time.sleep(0.002 * layers)
        trial.report(loss, step)
        if step >= 3 and loss > 1.0:
            raise hpo_lab.TrialPruned()
    return loss


def run_threads(study: hpo_lab.Study, n_trials: int, n_workers: int) -> None:
    """Evaluate trials on ``n_workers`` threads (so the timeline shows parallel rows)."""
    tickets: queue.Queue[int] = queue.Queue()
    for i in range(n_trials):
        tickets.put(i)

    def work() -> None:
        while True:
            try:
                tickets.get_nowait()
            except queue.Empty:
                return
            study.run_trial(objective, catch=(FloatingPointError,))

    threads = [threading.Thread(target=work, name=f"worker-{k}") for k in range(n_workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def build_studies() -> tuple[hpo_lab.Study, hpo_lab.Study]:
    parent = hpo_lab.create_study(study_name="demo", sampler=RandomSampler(seed=1))
    run_threads(parent, 60, 3)
    parent.narrow(lr=(3e-4, 3e-2), optimizer=["adam", "rmsprop"])
    run_threads(parent, 40, 3)
    child = hpo_lab.create_study(
        study_name="demo-warm", warm_start_from=parent, sampler=RandomSampler(seed=2)
    )
    run_threads(child, 25, 3)
    return parent, child


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    if "BROWSER_PATH" not in os.environ and os.path.exists("/usr/bin/chromium"):
        os.environ["BROWSER_PATH"] = "/usr/bin/chromium"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parent, child = build_studies()
    figures = {
        "optimization_history": viz.plot_optimization_history(parent),
        "optimization_history_warm_start": viz.plot_optimization_history(child),
        "param_importances": viz.plot_param_importances(parent),
        "parallel_coordinate": viz.plot_parallel_coordinate(parent),
        "slice": viz.plot_slice(parent),
        "contour": viz.plot_contour(parent, params=["lr", "n_layers"]),
        "contour_matrix": viz.plot_contour(parent, params=["lr", "n_layers", "optimizer"]),
        "intermediate_values": viz.plot_intermediate_values(parent),
        "timeline": viz.plot_timeline(parent),
        "edf": viz.plot_edf(parent),
    }
    paths = [out / f"{name}.png" for name in figures]
    wide = ("slice", "parallel_coordinate", "timeline")
    # One call exports every figure with a single browser start.
    pio.write_images(
        list(figures.values()),
        paths,
        width=[1100 if name in wide else 800 for name in figures],
        height=[fig.layout.height or 460 for fig in figures.values()],
        scale=args.scale,
    )
    for path in paths:
        print(f"wrote {path}")

if __name__ == "__main__":
    main()
