"""The learning-curve table that the multi-fidelity benchmark and notebook 05 replay is the one
``benchmarks/record_curves.py`` records: complete, and reproduced by the script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CURVES = ROOT / "benchmarks" / "data" / "mlp_curves.npz"


def test_the_committed_table_holds_every_configuration_of_every_dataset() -> None:
    with np.load(CURVES) as data:
        configs = data["configs"]
        assert configs.shape == (504, 5)
        assert len({tuple(c) for c in configs}) == 504
        for dataset in ("digits", "breast_cancer", "wine", "covtype_like"):
            for metric in ("error", "loss"):
                values = data[f"{dataset}_{metric}"].astype(float)
                assert values.shape == (504, int(data["n_epochs"]))
                assert np.all(np.isfinite(values)) and values.min() >= 0.0
            assert data[f"{dataset}_error"].max() <= 1.0


def test_the_script_reproduces_the_first_rows(tmp_path: Path) -> None:
    out = tmp_path / "c.npz"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "record_curves.py"), "--datasets", "wine",
         "--configs", "3", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    with np.load(out) as new, np.load(CURVES) as committed:
        for metric in ("error", "loss"):
            np.testing.assert_allclose(
                new[f"wine_{metric}"].astype(float),
                committed[f"wine_{metric}"][:3].astype(float),
                rtol=1e-2, atol=1e-3,
            )
