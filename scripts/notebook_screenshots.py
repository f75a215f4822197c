"""Write ``docs/img/notebook_*.png``: three teaching notebooks as JupyterLab shows them.

Usage:
    python scripts/notebook_screenshots.py [--out docs/img]

Each notebook is executed headlessly first (nbclient, a real kernel, in a copy of
``notebooks/`` so that nothing in the checkout changes), then opened in JupyterLab 4, started
on 127.0.0.1 as the browser tests start it (``tests/browser/conftest.py``), in Debian's
Chromium (``apt-get install chromium``). The picture is the output of one chosen cell, as the
browser renders the saved outputs (plotly figures through JupyterLab's plotly renderer): its
figure, clipped from the page.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

#: notebook -> (text that identifies the cell whose output is shown, picture name)
SHOTS = {
    "02_why_hyperparameters_matter.ipynb": ("go.Heatmap(", "notebook_02_surface.png"),
    "04_bayesian_optimization.ipynb": ("stages = [4, 7, 10]", "notebook_04_surrogate.png"),
    "06_population_based_training.ipynb": ("toy_study.optimize(", "notebook_06_schedule.png"),
}


def _browser_helpers():  # type: ignore[no-untyped-def]
    path = ROOT / "tests" / "browser" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_browser_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--only", nargs="*", default=None, help="notebook names to shoot")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    browser_helpers = _browser_helpers()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = work / "root"
        shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns("scripts"))
        chosen = {k: v for k, v in SHOTS.items() if not args.only or k in args.only}
        for name in chosen:
            path = root / name
            nb = nbformat.read(path, as_version=4)
            start = time.monotonic()
            NotebookClient(nb, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(root)}}).execute()
            nbformat.write(nb, path)
            print(f"executed {name} in {time.monotonic() - start:.0f} s")
        server = browser_helpers.start_server("lab", work)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=browser_helpers.CHROMIUM, args=browser_helpers.CHROMIUM_ARGS
                )
                page = browser.new_context(viewport={"width": 1300, "height": 1400}).new_page()
                page.set_default_timeout(180_000)  # a page of large figures renders slowly
                for name, (marker, picture) in chosen.items():
                    page.goto(server.notebook_url(name))
                    # Only the notebook shown: JupyterLab keeps the ones opened before in tabs.
                    shown = ".jp-NotebookPanel:not(.lm-mod-hidden)"
                    cells = page.locator(f"{shown} .jp-Notebook .jp-Cell")
                    cells.first.wait_for(timeout=180_000)
                    nb = nbformat.read(root / name, as_version=4)
                    index = next(i for i, c in enumerate(nb.cells) if marker in c.source)
                    cell = cells.nth(index)
                    # A notebook full of figures keeps re-laying out while plotly draws, and the
                    # plotly renderer draws a figure once it is in view: scroll by script until
                    # the figure is there (Playwright's own scroll waits for a stable element).
                    output = cell.locator(".jp-OutputArea").first
                    deadline = time.monotonic() + 180
                    while not cell.locator(".js-plotly-plot").count():
                        if time.monotonic() > deadline:
                            raise TimeoutError(f"no plotly figure drawn in {name}")
                        output.evaluate("e => e.scrollIntoView()")
                        page.wait_for_timeout(1000)
                    page.wait_for_timeout(3000)
                    figure = cell.locator(".js-plotly-plot").last
                    figure.evaluate("e => e.scrollIntoView()")
                    page.mouse.move(0, 0)
                    page.wait_for_timeout(1500)
                    # The figure alone, clipped from the page (an element screenshot waits for
                    # the element to stop moving, which a plotly figure may never do).
                    box = figure.bounding_box()
                    assert box is not None, f"no output shown for {name}"
                    page.screenshot(path=str(out / picture), clip=box)
                    print(f"wrote {out / picture}")
                browser.close()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
