"""docs/integrations.md: every Python block runs, in order, as a reader would paste them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_integration_examples_run(tmp_path: Path) -> None:
    page = ROOT / "docs" / "integrations.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 8
    code = "\n".join(blocks) + "\nprint('all examples ran')\n"
    out = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", code],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )
    assert out.returncode == 0, f"{out.stdout}\n{out.stderr}"
    assert out.stdout.rstrip().endswith("all examples ran")
    assert "trial-0" in out.stdout
    assert (tmp_path / "mlruns").is_dir() and (tmp_path / "wandb").is_dir()
