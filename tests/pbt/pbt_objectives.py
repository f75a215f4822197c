"""Objectives for the PBT tests, importable by worker processes (shipped by value)."""

from __future__ import annotations

from typing import Any

from hpo_lab.pbt import segment

# The toy problem of the PBT paper (Jaderberg et al. 2017, section 4.1): maximise
# Q(theta) = 1.2 - (theta0^2 + theta1^2) by gradient ascent on the surrogate
# 1.2 - (h0 theta0^2 + h1 theta1^2); h is one of two settings, each of which only ever moves
# one coordinate, so no fixed h reaches the optimum.
H = {"first": (1.0, 0.0), "second": (0.0, 1.0)}
LEARNING_RATE = 0.05


def toy_q(theta: tuple[float, float]) -> float:
    return 1.2 - (theta[0] ** 2 + theta[1] ** 2)


def toy_objective(trial: Any) -> float:
    h = H[trial.suggest_categorical("h", list(H))]
    state = trial.checkpoint.load(default={"theta": (0.9, 0.9)})
    t0, t1 = state["theta"]
    for step in segment(trial):
        t0 -= LEARNING_RATE * 2.0 * h[0] * t0
        t1 -= LEARNING_RATE * 2.0 * h[1] * t1
        trial.report(toy_q((t0, t1)), step)
    trial.checkpoint.save({"theta": (t0, t1)})
    return toy_q((t0, t1))


def toy_fixed(h: str, steps: int) -> float:
    t0, t1 = 0.9, 0.9
    for _ in range(steps):
        t0 -= LEARNING_RATE * 2.0 * H[h][0] * t0
        t1 -= LEARNING_RATE * 2.0 * H[h][1] * t1
    return toy_q((t0, t1))


def decay_objective(trial: Any) -> float:
    """A 1-d 'training': theta shrinks by a factor that depends on a log and an int
    hyperparameter; the score is how small theta got (minimise)."""
    lr = trial.suggest_float("lr", 1e-3, 0.5, log=True)
    k = trial.suggest_int("k", 1, 4)
    theta = trial.checkpoint.load(default=1.0)
    for _ in segment(trial):
        theta *= 1.0 - lr / k
    trial.checkpoint.save(theta)
    return abs(theta)


def checkpoint_roundtrip(trial: Any) -> float:
    """Saves a numpy array and a dict; a trial with a parent first checks what it inherits."""
    import numpy as np

    inherited = trial.checkpoint.load()
    seen = None if inherited is None else float(inherited["weights"].sum())
    trial.set_user_attr("inherited", seen)
    trial.set_user_attr("had_own", trial.checkpoint.exists)
    trial.checkpoint.save({"weights": np.full(4, trial.number, dtype=float), "n": trial.number})
    trial.set_user_attr("has_own", trial.checkpoint.exists)
    trial.set_user_attr("own_n", trial.checkpoint.load()["n"])
    return float(trial.number)


def checkpoint_files(trial: Any) -> float:
    """Writes a file of its own into checkpoint.path, as torch.save users do."""
    import os

    with open(os.path.join(trial.checkpoint.path, "model.bin"), "wb") as f:
        f.write(b"m" * 1000)
    return 0.0
