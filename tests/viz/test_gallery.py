"""The gallery script writes one PNG per plot (needs kaleido and a Chromium)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "optimization_history", "optimization_history_warm_start", "param_importances",
    "parallel_coordinate", "slice", "contour", "contour_matrix", "intermediate_values",
    "timeline", "edf",
}


@pytest.mark.slow
def test_gallery_writes_one_png_per_plot(tmp_path: Path) -> None:
    # CI installs kaleido (dev extra) and Debian's chromium (.ci/run): missing either is a failure.
    import kaleido  # noqa: F401

    assert os.environ.get("BROWSER_PATH") or shutil.which("chromium"), (
        "static export needs Chromium: apt-get install -y chromium"
    )
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_gallery.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    written = {p.stem: p for p in tmp_path.glob("*.png")}
    assert set(written) == EXPECTED
    for name, path in written.items():
        head = path.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n", name
        width, height = struct.unpack(">II", head[16:24])
        assert width == (1100 if name in ("slice", "parallel_coordinate", "timeline") else 800)
        assert height >= 300
