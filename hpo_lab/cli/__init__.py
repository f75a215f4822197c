"""The ``hpo-lab`` command: look at, export, import, delete and run studies from a terminal.

::

    hpo-lab ls runs.db                        # the studies in a SQLite file
    hpo-lab show runs.db demo                 # a summary and the best trials
    hpo-lab best runs.db demo --json          # the best trial
    hpo-lab export runs.db demo --csv -o trials.csv   # or --json, --parquet
    hpo-lab rm runs.db demo                   # asks first; --yes does not
    hpo-lab import-optuna sqlite:///optuna.db runs.db
    hpo-lab export-optuna runs.db demo sqlite:///optuna.db
    hpo-lab run train.py --storage runs.db --trials 50 --jobs 4

Every command has ``--help``. The command line is built on click (the ``cli`` extra); a study
that is not there, or a file that is not a study store, is one line of error, never a new file.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run ``hpo-lab`` with ``argv`` (default: the process's arguments).

    Example:
        >>> try:
        ...     main(["--version"])
        ... except SystemExit as done:
        ...     print("exit", done.code)  # doctest: +ELLIPSIS
        hpo-lab ...
        exit 0
    """
    try:
        import click  # noqa: F401 - only to find out whether it is there
    except ImportError:
        print("error: the hpo-lab command needs click: pip install 'hpo_lab[cli]'", file=sys.stderr)
        raise SystemExit(1) from None
    from hpo_lab.cli._commands import cli

    cli.main(args=argv, prog_name="hpo-lab")
