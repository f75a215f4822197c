"""Record the learning curves that ``benchmarks/multifidelity.py`` replays.

No pip package ships per-epoch learning curves for offline use, so this script makes a small
table once, on this machine's CPU: a grid of scikit-learn ``MLPClassifier`` configurations
trained epoch by epoch (``partial_fit``, one pass over the training split per epoch) on data
that scikit-learn ships or that is generated here, recording after every epoch the validation
error rate (accuracy-like: rankings settle early) and the validation log loss (loss-like: the
configurations that learn fastest overfit later, so curves cross).

Datasets: ``digits``, ``breast_cancer`` and ``wine`` (bundled with scikit-learn) and
``covtype_like`` (``make_classification``: 54 features, 7 classes, label noise; a stand-in
for covertype, generated so nothing is downloaded). Each is split 70/30 (stratified, fixed
seed) and standardized on the training part.

The grid (``GRID``) has 7 x 3 x 4 x 3 x 2 = 504 configurations; each is trained with its own
fixed seed, so the table is deterministic for a given scikit-learn version. Values are stored
as float16 in ``benchmarks/data/mlp_curves.npz`` (about 0.25 MB); a diverged network (NaN
weights) is stored as chance-level error and a log loss of 10.

Each dataset is first saved in a part file beside ``--out`` (``mlp_curves.<dataset>.part.npz``,
not committed), so a recording can be resumed or split over processes; a run over all datasets
then merges the parts into ``--out``.

Usage:
    nice -n 10 python benchmarks/record_curves.py              # all datasets (~35 min, 1 core)
    nice -n 10 python benchmarks/record_curves.py --datasets covtype_like --parts-only &
    python benchmarks/record_curves.py --datasets wine --configs 20 --out /tmp/c.npz
"""

from __future__ import annotations

import argparse
import itertools
import math
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "data" / "mlp_curves.npz"
N_EPOCHS = 30
GRID: dict[str, tuple[object, ...]] = {
    "learning_rate_init": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
    "hidden": (16, 64, 256),
    "alpha": (1e-6, 1e-4, 1e-2, 1.0),
    "batch_size": (16, 64, 256),
    "solver": ("adam", "sgd"),
}
DATASETS = ("digits", "breast_cancer", "wine", "covtype_like")
MAX_LOSS = 10.0


def load(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Train and validation arrays of one dataset, standardized on the training part."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if name == "covtype_like":
        x, y = datasets.make_classification(
            n_samples=3000, n_features=54, n_informative=14, n_redundant=10,
            n_classes=7, n_clusters_per_class=2, class_sep=0.9, flip_y=0.05,
            weights=[0.36, 0.36, 0.1, 0.06, 0.05, 0.04, 0.03], random_state=0,
        )
    else:
        x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(
        x, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(x_tr)
    return scaler.transform(x_tr), scaler.transform(x_va), y_tr, y_va


def configurations() -> list[tuple[int, ...]]:
    """Every grid point as a tuple of level indices, in a fixed order."""
    return list(itertools.product(*(range(len(v)) for v in GRID.values())))


def record(name: str, configs: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """``(error, loss)`` arrays of shape ``(len(configs), N_EPOCHS)`` for one dataset."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier

    x_tr, x_va, y_tr, y_va = load(name)
    classes = np.unique(y_tr)
    error = np.empty((len(configs), N_EPOCHS))
    loss = np.empty((len(configs), N_EPOCHS))
    keys = list(GRID)
    for i, levels in enumerate(configs):
        c = {k: GRID[k][j] for k, j in zip(keys, levels)}
        model = MLPClassifier(
            hidden_layer_sizes=(int(c["hidden"]),),  # type: ignore[call-overload]
            solver=str(c["solver"]),
            learning_rate_init=float(c["learning_rate_init"]),  # type: ignore[arg-type]
            alpha=float(c["alpha"]),  # type: ignore[arg-type]
            batch_size=int(c["batch_size"]),  # type: ignore[call-overload]
            momentum=0.9,
            random_state=i,
        )
        for epoch in range(N_EPOCHS):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                warnings.simplefilter("ignore", UserWarning)  # batch_size > wine's 124 rows
                model.partial_fit(x_tr, y_tr, classes=classes)
                proba = model.predict_proba(x_va)
            if not np.all(np.isfinite(proba)):
                error[i, epoch] = 1.0 - 1.0 / len(classes)
                loss[i, epoch] = MAX_LOSS
                continue
            error[i, epoch] = float(np.mean(classes[np.argmax(proba, axis=1)] != y_va))
            value = float(log_loss(y_va, np.clip(proba, 1e-12, 1.0), labels=classes))
            loss[i, epoch] = min(value, MAX_LOSS) if math.isfinite(value) else MAX_LOSS
    return error, loss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--configs", type=int, default=None, help="only the first N grid points")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--parts-only", action="store_true",
        help="record the datasets' part files and stop (merge them with a later run)",
    )
    args = parser.parse_args(argv)
    import sklearn

    configs = configurations()[: args.configs] if args.configs else configurations()
    arrays: dict[str, np.ndarray] = {
        "configs": np.asarray(configs, dtype=np.int8),
        "n_epochs": np.asarray(N_EPOCHS),
    }
    for key, levels in GRID.items():
        arrays[f"grid_{key}"] = np.asarray(levels)
    for name in args.datasets:
        # Each dataset is kept in its own part file as soon as it is done, so a long recording
        # can be resumed, or split over several processes (one per dataset) and merged.
        part = args.out.with_name(f"{args.out.stem}.{name}.part.npz")
        if part.exists():
            with np.load(part) as done:
                if done["configs"].shape == arrays["configs"].shape:
                    arrays[f"{name}_error"] = done["error"]
                    arrays[f"{name}_loss"] = done["loss"]
                    print(f"{name}: read from {part.name}", flush=True)
                    continue
        start = time.perf_counter()
        error, loss = record(name, configs)
        arrays[f"{name}_error"] = error.astype(np.float16)
        arrays[f"{name}_loss"] = loss.astype(np.float16)
        part.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            part, configs=arrays["configs"], error=arrays[f"{name}_error"],
            loss=arrays[f"{name}_loss"],
        )
        print(
            f"{name}: {len(configs)} configurations x {N_EPOCHS} epochs in "
            f"{time.perf_counter() - start:.0f} s; best final error {error[:, -1].min():.4f}, "
            f"best final loss {loss[:, -1].min():.4f}",
            flush=True,
        )
    if args.parts_only:
        return 0
    arrays["meta"] = np.asarray(
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
