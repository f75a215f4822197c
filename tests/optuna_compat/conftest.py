"""The example scripts are Optuna programs run by ``run_examples.py``, not test modules: pytest
must not import them (``--doctest-modules`` would, running their module-level code)."""

collect_ignore_glob = ["examples/*.py", "run_examples.py"]
