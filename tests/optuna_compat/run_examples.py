"""Run the Optuna example scripts in ``examples/`` in one process and report each outcome.

``python run_examples.py MODE OUT.json NAME...``: MODE ``optuna`` uses the real Optuna,
``hpo_lab`` first points ``optuna`` at hpo_lab (:func:`hpo_lab.optuna.install`, what
``python -m hpo_lab.optuna script.py`` does). Each script runs as ``__main__`` in a fresh
temporary folder with fixed seeds (an Optuna sampler made without a seed gets seed 0);
``fig.show()`` draws nothing. OUT.json maps each name to ``{"ok", "result", "error",
"seconds", "shown", "log"}``, where ``result`` is the JSON the script printed after ``RESULT``
and ``log`` the messages logged at INFO or above while it ran.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import json
import logging
import os
import random
import runpy
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "examples"


def _seed_optuna_samplers(optuna: Any) -> None:
    """Give every Optuna sampler made without a seed the seed 0.

    Optuna's samplers draw their own seed from the operating system when none is given (the
    global ``random`` and ``numpy`` seeds do not reach them), so an example that builds its
    study with ``create_study()`` would differ from run to run: the real-Optuna baselines the
    tests compare with would then be a lottery, not a baseline.
    """
    for name in optuna.samplers.__all__:
        cls = getattr(optuna.samplers, name)
        if not isinstance(cls, type) or "__init__" not in vars(cls):
            continue
        init = cls.__init__
        signature = inspect.signature(init)
        if "seed" not in signature.parameters:
            continue

        def seeded(self: Any, *args: Any, _init: Any = init, _sig: Any = signature,
                   **kwargs: Any) -> None:
            by_position = "seed" in _sig.bind_partial(self, *args).arguments
            if kwargs.get("seed") is None and not by_position:
                kwargs["seed"] = 0
            _init(self, *args, **kwargs)

        cls.__init__ = functools.wraps(init)(seeded)


class _Collect(logging.Handler):
    """Keeps the messages logged at INFO or above."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def main() -> None:
    mode, out, *names = sys.argv[1:]
    warnings.simplefilter("ignore")
    if mode == "hpo_lab":
        import hpo_lab.optuna

        hpo_lab.optuna.install()
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        _seed_optuna_samplers(optuna)
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
        handler = _Collect()
        logging.getLogger().addHandler(handler)
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
                logging.getLogger().removeHandler(handler)
        for line in buffer.getvalue().splitlines():
            if line.startswith("RESULT "):
                entry["result"] = json.loads(line[len("RESULT "):])
        entry["seconds"] = round(time.perf_counter() - start, 2)
        entry["shown"] = shown[0]
        entry["log"] = handler.messages
        report[name] = entry
    Path(out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
