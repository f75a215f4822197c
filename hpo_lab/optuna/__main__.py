"""``python -m hpo_lab.optuna script.py [args...]``: run an Optuna script on hpo_lab.

The script runs as ``__main__`` with ``sys.argv`` set to its own arguments, after
:func:`hpo_lab.optuna.install` has pointed ``optuna`` at hpo_lab.
"""

from __future__ import annotations

import os
import runpy
import sys

from hpo_lab.optuna._install import install


def main(argv: list[str] | None = None) -> None:
    """Run the script named in ``argv`` (default ``sys.argv[1:]``) with ``optuna`` = hpo_lab."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m hpo_lab.optuna SCRIPT.py [ARGS...]\n\n"
              "Runs a script written for Optuna with hpo_lab in Optuna's place.")
        raise SystemExit(0 if args else 2)
    script = args[0]
    if not os.path.isfile(script):
        print(f"error: no script at {script!r}", file=sys.stderr)
        raise SystemExit(2)
    install()
    sys.argv = args
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
