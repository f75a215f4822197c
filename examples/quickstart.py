"""hpo_lab in one minute: tune a toy training loss stored in SQLite, narrow, warm-start.

Run it from any directory; it writes ``quickstart.db`` there (replacing an earlier one)::

    python examples/quickstart.py

Nothing is downloaded and nothing heavy is imported: the "model" is a formula whose loss is
lowest near ``lr = 3e-3``, ``layers = 3`` and ``optimizer = "adam"``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

import hpo_lab
from hpo_lab.distributions import FloatDistribution
from hpo_lab.samplers import QMCSampler, RandomSampler

DB = Path("quickstart.db")


def objective(trial: hpo_lab.Trial) -> float:
    """A validation loss with the shape of a real one: a log-scale valley in the learning rate."""
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 8)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
    penalty = {"adam": 0.0, "sgd": 0.3, "rmsprop": 0.1}[optimizer]
    return float((math.log10(lr) + 2.5) ** 2 + 0.05 * (layers - 3) ** 2 + penalty)


def main() -> None:
    # The example owns this file: start from an empty store so every run prints the same story.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    storage = f"sqlite:///{DB}"

    # 1. A study in a SQLite file, 40 random trials.
    study = hpo_lab.create_study(
        study_name="quickstart", storage=storage, sampler=RandomSampler(seed=3)
    )
    study.optimize(objective, n_trials=40)
    print(f"== 40 random trials, stored in {DB} ==")
    print(f"best value: {study.best_value:.4f}")
    print(f"best params: {study.best_params}")
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        table = study.trials_dataframe()
        print(table[["number", "value", "state", "params_lr", "params_layers",
                     "params_optimizer"]].head().to_string(index=False))

    # 2. Narrow the learning rate around the best one; later trials use revision 1.
    best_lr = study.best_params["lr"]
    low, high = max(1e-5, best_lr / 3), min(1e-1, best_lr * 3)
    revision = study.narrow(lr=(low, high))
    study.optimize(objective, n_trials=20)
    new = study.trials[40:]
    inside = sum(low <= t.params["lr"] <= high for t in new)
    print()
    print(f"== narrowed lr to [{low:.3g}, {high:.3g}] (revision {revision.number}) ==")
    print(f"{inside} of {len(new)} new trials lie inside the narrowed range")
    print(f"best value after narrowing: {study.best_value:.4f}")

    # 3. Warm start: a child study starts in the parent's narrowed space, and the parent's
    #    finished trials that fit it are observations for the child's sampler (they do not
    #    count against its budget). QMC ignores observations; model-based samplers use them.
    child = hpo_lab.create_study(
        study_name="quickstart-child",
        storage=storage,
        sampler=QMCSampler(seed=0),
        warm_start_from=study,
    )
    child.optimize(objective, n_trials=10)
    print()
    print("== warm start ==")
    print(f"lineage: {' <- '.join(child.lineage)}")
    print(f"inherited trials: {len(child.inherited_trials)}, own trials: {len(child.trials)}")
    lr_space = child.search_space["lr"]
    assert isinstance(lr_space, FloatDistribution)
    print(f"child's lr range (the parent's revision): [{lr_space.low:.3g}, {lr_space.high:.3g}]")
    print(f"child's best value: {child.best_value:.4f}")

    # 4. Everything is in the file: reopen it as another process would.
    again = hpo_lab.load_study(study_name="quickstart", storage=storage)
    print()
    print(f"reloaded {again.study_name!r}: {len(again.trials)} trials, "
          f"best value {again.best_value:.4f} (trial {again.best_trial.number})")


if __name__ == "__main__":
    main()
