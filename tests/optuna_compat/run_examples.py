"""Run the Optuna example scripts in ``examples/`` in one process and report each outcome.

``python run_examples.py MODE OUT.json NAME...``: MODE ``optuna`` uses the real Optuna,
``hpo_lab`` first points ``optuna`` at hpo_lab (:func:`hpo_lab.optuna.install`, what
``python -m hpo_lab.optuna script.py`` does). Each script runs as ``__main__`` in a fresh
temporary folder with fixed seeds; ``fig.show()`` draws nothing. OUT.json maps each name to
``{"ok", "result", "error", "seconds", "shown"}``, where ``result`` is the JSON the script
printed after ``RESULT``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import runpy
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

HERE = Path(__file__).parent / "examples"


def main() -> None:
    mode, out, *names = sys.argv[1:]
    warnings.simplefilter("ignore")
    if mode == "hpo_lab":
        import hpo_lab.optuna

        hpo_lab.optuna.install()
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
    import numpy as np
    import plotly.graph_objects as go

    shown = [0]
    go.Figure.show = lambda self, *a, **k: shown.__setitem__(0, shown[0] + 1)  # type: ignore[method-assign]
    home = os.getcwd()
    report = {}
    for name in names:
        shown[0] = 0
        random.seed(0)
        np.random.seed(0)
        buffer = io.StringIO()
        start = time.perf_counter()
        entry: dict[str, object] = {"ok": False, "result": None, "error": None}
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            try:
                with contextlib.redirect_stdout(buffer):
                    runpy.run_path(str(HERE / f"{name}.py"), run_name="__main__")
                entry["ok"] = True
            except BaseException as exc:  # reported, never raised: one script per entry
                entry["error"] = f"{type(exc).__name__}: {exc}"
                entry["traceback"] = traceback.format_exc()
            finally:
                os.chdir(home)
        for line in buffer.getvalue().splitlines():
            if line.startswith("RESULT "):
                entry["result"] = json.loads(line[len("RESULT "):])
        entry["seconds"] = round(time.perf_counter() - start, 2)
        entry["shown"] = shown[0]
        report[name] = entry
    Path(out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
