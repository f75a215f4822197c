"""Write ``docs/img/panel.png``: the control panel of a live run in JupyterLab 4.

Usage:
    python scripts/screenshot.py [--out docs/img/panel.png]

It runs the JupyterLab case of the browser test (tests/browser/test_panel_browser.py), which
starts JupyterLab on 127.0.0.1, runs the quickstart's ``%%hpo`` cell in Debian's Chromium
(``apt-get install chromium``), narrows ``gamma`` with the space editor and saves the panel,
history tab shown, to the path given. The picture is therefore one the test checked.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "panel.png")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    before = out.stat().st_mtime if out.exists() else None
    env = dict(os.environ, HPO_LAB_PANEL_SCREENSHOT=str(out))
    test = "tests/browser/test_panel_browser.py::test_panel_controls_a_live_run[lab]"
    status = subprocess.call(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], cwd=ROOT, env=env
    )
    if status != 0:
        print(f"the browser test failed (exit {status}); {out} was not updated", file=sys.stderr)
        return status
    if not out.exists() or out.stat().st_mtime == before:
        print(f"the browser test passed but wrote no {out}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
