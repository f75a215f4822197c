"""The live panel at scale, in a real browser: issue 19's targets, measured.

Not a test: it drives JupyterLab 4 in Debian's Chromium (the browser tests' harness,
``tests/browser/conftest.py``) and prints Markdown tables. Regenerate with

    python benchmarks/panel_scale.py                  # N = 10,000, 3 repetitions: ~7 minutes
    python benchmarks/panel_scale.py --trials 2000 --repeat 1     # a quick look

Each configuration gets a fresh kernel (a notebook of its own, in a workspace of its own). A
``%%hpo`` cell runs ``--trials 2N --jobs 2 --sampler random`` with a trivial body (``x + k``):
the random sampler keeps a trial's cost flat, so trials come as fast as this machine allows,
the panel's worst case. Runs go to 2 N so that the study spends long enough at and past N for
the probes below; everything reported about probes is from the time the study had N / 2 or
more trials. Measured:

* **1 + 1 round trip**: a cell ``1 + 1`` run again and again (Ctrl+Enter) while the run goes
  on, timed in the page from the key press to the new execution count in its prompt (a
  MutationObserver), and the same with the kernel idle. Median and p95 of the probes, pooled
  over the repetitions, and how far above the idle kernel's each is.
* **Throughput**: trials over the time from the first trial's start to the last one's end
  (from the store), with the panel and with ``--no-panel``.
* **Pause**: in another run with the panel, Pause is clicked as the header passes 10%, 50% and
  95% of N; from the click (the page's clock) to the run's status turning ``paused`` (the
  kernel's clock; one machine), to the page showing it, and to the start of the last trial
  started after the click (negative: none started after it).
* **Kernel memory**: resident set size after the run minus before the ``%%hpo`` cell.
* **Saved notebook**: the file's size after Ctrl+S (JupyterLab saves no widget state by
  default).
* **Bytes per update**: every comm message the kernel sends is counted, per bridge tick (one
  batched update of the panel), and reported by the study's size when the tick ran: between
  half and one and a half times 100, 1,000 and 10,000 trials.
* **SQLite, many processes**: 4 processes write 2 N trials to one SQLite file, once with no
  notebook looking, once while the notebook shows their study's panel (``%hpo show NAME
  --storage FILE``): the writers' throughput both ways, and the probes, memory and notebook
  as above.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    JupyterServer,
    NotebookPage,
    start_server,
)

# Kernel-side helpers, run first in every notebook: memory, comm bytes per panel tick, and the
# time a run turned paused. They read private attributes: this is instrumentation.
SETUP = textwrap.dedent(
    """\
    %load_ext hpo_lab
    import json, time, gc, threading
    from ipykernel.comm.comm import BaseComm
    from hpo_lab.notebook import _registry
    from hpo_lab.notebook._panel import Panel

    def rss_mb():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

    _bench = {"bytes": 0, "ticks": [], "paused_at": [], "rss0": None}
    _publish = BaseComm.publish_msg

    def _counting(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        _bench["bytes"] += len(json.dumps(data, default=str))
        return _publish(self, msg_type, data, metadata, buffers, **keys)

    BaseComm.publish_msg = _counting
    _tick = Panel._tick

    def _counted_tick(self):
        before = _bench["bytes"]
        _tick(self)
        _bench["ticks"].append((len(self._tally), _bench["bytes"] - before))

    Panel._tick = _counted_tick

    from hpo_lab.execution._run import Run
    _transition = Run._transition

    def _timed_transition(self, to, frm):
        done = _transition(self, to, frm)
        if done and str(to) == "paused":
            _bench["paused_at"].append(time.time())
        return done

    Run._transition = _timed_transition

    def finished(name):
        return sum(t.state.is_finished() for t in _registry.get(name).study.trials)

    def report(name, panel=True):
        study = _registry.get(name).study
        gc.collect()
        starts = [t.datetime_start.timestamp() for t in study.trials if t.datetime_start]
        ends = [t.datetime_complete.timestamp() for t in study.trials if t.datetime_complete]
        out = {"n": len(study.trials), "span": max(ends) - min(starts),
               "rss_growth": rss_mb() - _bench["rss0"], "ticks": _bench["ticks"]}
        entry = _registry.get(name)
        if panel and entry.panel is not None:
            p = entry.panel
            state = 0
            stack = [p.widget]
            while stack:
                w = stack.pop()
                state += len(json.dumps(w.get_state(), default=str))
                stack.extend(getattr(w, "children", ()))
            for view in p._figures.all_views().values():
                state += len(json.dumps(view.widget.get_state(), default=str))
            out["widget_state"] = state
            out["patches"] = p.history_view.n_patches
            out["renders"] = p.history_view.n_renders
        print("BENCH" + json.dumps(out))
    """
)
BODY = "x = hp.float(0, 1)\nk = hp.int(0, 5)\nx + k"
PROBE = "1 + 1"

# Records, in the page, when Ctrl+Enter is pressed and when the probe cell's prompt shows a new
# execution count.
PAGE_PROBE = """
(index) => { window.__hpoProbe = new Promise((resolve) => {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  const prompt = cell.querySelector('.jp-InputPrompt');
  const before = prompt.textContent.trim();
  let start = null;
  const onKey = (e) => { if (e.key === 'Enter' && e.ctrlKey && start === null) start = performance.now(); };
  document.addEventListener('keydown', onKey, true);
  const obs = new MutationObserver(() => {
    const now = prompt.textContent.trim();
    if (start !== null && now !== before && /\\[\\d+\\]/.test(now)) {
      obs.disconnect();
      document.removeEventListener('keydown', onKey, true);
      resolve(performance.now() - start);
    }
  });
  obs.observe(prompt, { subtree: true, childList: true, characterData: true });
}); }
"""


@dataclass
class Result:
    label: str
    probes: list[tuple[int, float]] = field(default_factory=list)  # (finished trials, ms)
    info: dict[str, Any] = field(default_factory=dict)


def _write(root: Path, name: str, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
    )
    nbformat.write(nb, root / name)


class Bench:
    """One notebook open in the page; cells are run with Ctrl+Enter (the cell stays selected)."""

    def __init__(self, server: JupyterServer, page: Page, name: str, cells: list[str]) -> None:
        _write(server.root, name, cells)
        self.server = server
        self.page = page
        self.path = server.root / name
        self.nb = NotebookPage(page, server, server.root)
        # A workspace of its own: the page shows this notebook alone (cells are addressed by
        # index in the whole page).
        stem = Path(name).stem
        page.goto(f"{server.base}/lab/workspaces/{stem}/tree/{name}?token={server.token}&reset")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
        deadline = time.monotonic() + 120
        while not any(
            s.get("path", "").endswith(name) and s.get("kernel") for s in server.api("sessions")
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no kernel started for {name}")
            time.sleep(0.2)

    def select(self, index: int) -> None:
        cell = self.nb.cell(index)
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Escape")  # command mode, this cell selected

    def run(self, index: int, timeout: float = 300) -> str:
        """Run cell ``index`` and return its output text once it has an execution count."""
        self.select(index)
        before = self.nb.prompt(index)
        self.page.keyboard.press("Control+Enter")
        deadline = time.monotonic() + timeout
        while True:
            now = self.nb.prompt(index)
            if now != before and "*" not in now and any(c.isdigit() for c in now):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"cell {index} did not finish in {timeout} s")
            self.page.wait_for_timeout(30)
        # The cell's own output area (the panel holds output areas of its own).
        text: str = self.nb.cell(index).locator(".jp-Cell-outputArea").first.inner_text()
        return text

    def probe(self, index: int) -> float:
        """One round trip of cell ``index`` (selected), in milliseconds."""
        self.page.evaluate(PAGE_PROBE, index)
        self.page.keyboard.press("Control+Enter")
        took: float = self.page.evaluate("() => window.__hpoProbe")
        return took

    def save(self) -> int:
        """Save with Ctrl+S; the file's size in bytes."""
        mtime = self.path.stat().st_mtime
        self.page.keyboard.press("Control+S")
        deadline = time.monotonic() + 60
        while self.path.stat().st_mtime == mtime and time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
        self.page.wait_for_timeout(500)
        return self.path.stat().st_size

    def close(self) -> None:
        import urllib.request

        for s in self.server.api("sessions"):
            url = f"{self.server.base}/api/sessions/{s['id']}?token={self.server.token}"
            urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30)


def _bench_value(text: str) -> dict[str, Any]:
    line = next(x for x in text.splitlines() if x.startswith("BENCH"))
    out: dict[str, Any] = json.loads(line[5:])
    return out


def idle(server: JupyterServer, page: Page, probes: int, rep: int = 0) -> Result:
    bench = Bench(server, page, f"idle{rep}.ipynb", [SETUP, PROBE])
    bench.run(0)
    result = Result(IDLE)
    bench.select(1)
    for _ in range(probes):
        result.probes.append((0, bench.probe(1)))
        page.wait_for_timeout(200)
    bench.close()
    return result


def run_config(
    server: JupyterServer,
    page: Page,
    trials: int,
    panel: bool,
    rep: int = 0,
    pause_at: tuple[float, ...] = (),
) -> Result:
    flag = "" if panel else " --no-panel"
    # Each run goes on to 2 N: at this machine's trial rate, the time the study spends near N
    # would leave few probes; probes are reported from N / 2 on, so all are at or past N / 2.
    budget = 2 * trials
    cells = [
        SETUP + '\n_bench["rss0"] = rss_mb()',
        f"%%hpo bench --trials {budget} --jobs 2 --sampler random --seed 0{flag}\n{BODY}",
        PROBE,
        "print(_registry.get('bench').run.progress.finished)",
        "report('bench')",
        "pass",
        "print(json.dumps([_bench['paused_at'][-1:], max(t.datetime_start.timestamp() "
        "for t in _registry.get('bench').study.trials if t.datetime_start)]))",
    ]
    label = ("panel" if panel else "--no-panel") + (", Pause clicked" if pause_at else "")
    kind = "panel" if panel else "nopanel"
    bench = Bench(server, page, f"run-{kind}-{len(pause_at)}-{rep}.ipynb", cells)
    bench.run(0)
    bench.run(1)
    result = Result(label)
    done = 0
    pauses: list[dict[str, float]] = []
    if pause_at:
        # No probes here: the header is watched, and Pause clicked as it passes each mark.
        for mark in pause_at:
            while (done := _header_finished(page)) < mark * trials:
                page.wait_for_timeout(50)
            ended = page.locator(".hpo-panel .hpo-pause:not([disabled])").count() == 0
            if done >= budget - trials // 20 or ended:
                break  # too near the run's end for a pause to be seen (a slow page)
            pauses.append(_pause(bench, done))
        bench.run(3)
    while done < budget:
        bench.select(2)
        for _ in range(5):
            result.probes.append((done, bench.probe(2)))
            page.wait_for_timeout(100)
        done = int(bench.run(3).strip().splitlines()[-1])
    result.info = _bench_value(bench.run(4))
    result.info["pauses"] = pauses
    if panel:
        result.info["saved_bytes"] = bench.save()
    bench.close()
    return result


def _header_finished(page: Page) -> int:
    text = page.locator(".hpo-panel .hpo-header").first.inner_text()
    import re

    m = re.search(r"(\d+)\s*/\s*\d+ trials", text)
    return int(m.group(1)) if m else 0


def _pause(bench: Bench, done: int) -> dict[str, float]:
    page = bench.page
    page.evaluate(
        """() => { window.__hpoClick = null; document.addEventListener('click', (e) => {
            if (e.target.closest && e.target.closest('.hpo-pause')) window.__hpoClick = Date.now();
        }, { capture: true, once: true }); }"""
    )
    page.locator(".hpo-panel .hpo-pause:not([disabled])").click(timeout=120_000)
    clicked_ms: float = page.evaluate("() => window.__hpoClick")
    try:
        shown = page.wait_for_function(
            "() => document.querySelector('.hpo-panel .hpo-status').textContent"
            ".includes('paused') && Date.now()",
            timeout=120_000,
        ).json_value()
    except Exception as exc:
        status = page.locator(".hpo-panel .hpo-status").first.inner_text()
        header = page.locator(".hpo-panel .hpo-header").first.inner_text()
        raise RuntimeError(
            f"Pause clicked at {done} trials never showed 'paused': status {status!r}, "
            f"header {header!r}"
        ) from exc
    page.wait_for_timeout(1500)
    paused_at, last_start = json.loads(bench.run(6).strip().splitlines()[-1])
    page.locator(".hpo-panel .hpo-resume:not([disabled])").click(timeout=120_000)
    page.wait_for_function(
        "() => !document.querySelector('.hpo-panel .hpo-status').textContent.includes('paused')",
        timeout=120_000,
    )
    clicked = clicked_ms / 1000
    return {
        "at_trials": done,
        "acted_s": (paused_at[0] - clicked) if paused_at else float("nan"),
        "shown_s": (float(shown) - clicked_ms) / 1000,
        "last_start_after_click_s": last_start - clicked,
    }


WRITER = textwrap.dedent(
    """    import sys, hpo_lab
    from hpo_lab.samplers import RandomSampler
    study = hpo_lab.load_study(study_name=sys.argv[2], storage=sys.argv[1],
                               sampler=RandomSampler(seed=int(sys.argv[4])))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 0, 5),
                   n_trials=int(sys.argv[3]))
    """
)


def _writers(path: Path, name: str, trials: int, n: int = 4) -> list[subprocess.Popen[bytes]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(trials // n), str(seed)], env=env
        )
        for seed in range(n)
    ]


def _span(path: Path, name: str) -> tuple[int, float]:
    import hpo_lab

    trials = hpo_lab.load_study(study_name=name, storage=str(path)).trials
    starts = [t.datetime_start.timestamp() for t in trials if t.datetime_start]
    ends = [t.datetime_complete.timestamp() for t in trials if t.datetime_complete]
    return len(trials), max(ends) - min(starts)


def _finished_in(path: Path, name: str) -> int:
    # Read-only, straight from the file: the probes must not wait for a study to load.
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM trials JOIN studies USING (study_id) "
            "WHERE studies.study_name = ? AND trials.state NOT IN ('RUNNING', 'WAITING')",
            (name,),
        ).fetchone()
    return int(row[0])


def sqlite_config(server: JupyterServer, page: Page, trials: int, rep: int) -> list[Result]:
    import hpo_lab

    path = server.root / f"shared{rep}.db"
    for name in ("alone", "shown"):
        hpo_lab.create_study(study_name=name, storage=str(path))
    # The same 2 N trials, written by 4 processes, first with no panel, then with it shown.
    alone = Result("SQLite, 4 writer processes, no panel")
    for w in _writers(path, "alone", 2 * trials):
        w.wait()
    n, span = _span(path, "alone")
    alone.info = {"n": n, "span": span}
    cells = [
        SETUP + '\n_bench["rss0"] = rss_mb()',
        f"%hpo show shown --storage {path}",
        PROBE,
        "print('BENCH' + json.dumps({'rss_growth': rss_mb() - _bench['rss0'], "
        "'ticks': _bench['ticks']}))",
    ]
    bench = Bench(server, page, f"sqlite{rep}.ipynb", cells)
    bench.run(0)
    bench.run(1)
    shown = Result("SQLite, 4 writer processes, their panel shown")
    writers = _writers(path, "shown", 2 * trials)
    bench.select(2)
    while any(w.poll() is None for w in writers):
        took = bench.probe(2)
        shown.probes.append((_finished_in(path, "shown"), took))
        page.wait_for_timeout(100)
    page.wait_for_timeout(3000)  # the panel catches up
    info = _bench_value(bench.run(3))
    n, span = _span(path, "shown")
    info.update(n=n, span=span, saved_bytes=bench.save())
    shown.info = info
    bench.close()
    return [alone, shown]


def _progress(r: Result) -> None:
    # As each configuration ends, on stderr: a long run that fails later still tells this.
    ms = [t for _, t in r.probes]
    extra = {k: v for k, v in r.info.items() if k != "ticks"}
    median = f"{statistics.median(ms):.0f} ms" if ms else "-"
    print(f"[{r.label}] {len(ms)} probes, median {median}; {extra}", file=sys.stderr)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _late(r: Result, trials: int) -> list[float]:
    late = [t for n, t in r.probes if n >= trials // 2]
    return late or [t for _, t in r.probes]


def _pooled(results: list[Result], label: str, trials: int) -> list[float]:
    return [t for r in results if r.label == label for t in _late(r, trials)]


def _median_of(results: list[Result], label: str, key: Callable[[Result], float | None]) -> str:
    values = [v for r in results if r.label == label if (v := key(r)) is not None]
    return f"{statistics.median(values):.0f}" if values else ""


def table(results: list[Result], trials: int) -> str:
    """One row per configuration: probes pooled over the repetitions, the other columns the
    median of the repetitions'."""
    labels = list(dict.fromkeys(r.label for r in results))
    idle_ms = _pooled(results, IDLE, trials)
    idle_med, idle_p95 = statistics.median(idle_ms), _p95(idle_ms)
    lines = [
        "| configuration | `1 + 1` median (ms) | above idle | p95 (ms) | above idle "
        "| trials/s | kernel memory growth (MB) | saved notebook (KB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in labels:
        ms = _pooled(results, label, trials)
        cells = ["", "", "", ""]
        if ms:
            med, p95 = statistics.median(ms), _p95(ms)
            cells = [f"{med:.0f}", "", f"{p95:.0f}", ""]
            if label != IDLE:
                cells[1], cells[3] = f"{med - idle_med:+.0f}", f"{p95 - idle_p95:+.0f}"
        rate = _median_of(
            results, label, lambda r: r.info["n"] / r.info["span"] if "span" in r.info else None
        )
        mem = _median_of(results, label, lambda r: r.info.get("rss_growth"))
        saved = _median_of(
            results,
            label,
            lambda r: r.info["saved_bytes"] / 1024 if "saved_bytes" in r.info else None,
        )
        lines.append(f"| {label} | {' | '.join(cells)} | {rate} | {mem} | {saved} |")
    return "\n".join(lines)


IDLE = "idle kernel (no run)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000, help="N: each run goes to 2 N")
    parser.add_argument("--probes", type=int, default=30, help="probes with the kernel idle")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of every config")
    args = parser.parse_args(argv)
    if args.trials < 100 or args.probes < 1 or args.repeat < 1:
        parser.error(
            "--trials must be >= 100, --probes and --repeat >= 1, but got "
            f"{args.trials}, {args.probes} and {args.repeat}"
        )
    trials = args.trials
    load = os.getloadavg()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="hpo-panel-scale-") as tmp:
        server = start_server("lab", Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                for rep in range(args.repeat):
                    run: list[Result] = [idle(server, page, args.probes, rep)]
                    run.append(run_config(server, page, trials, panel=False, rep=rep))
                    run.append(run_config(server, page, trials, panel=True, rep=rep))
                    run.append(
                        run_config(
                            server, page, trials, panel=True, rep=rep, pause_at=(0.1, 0.5, 0.95)
                        )
                    )
                    run += sqlite_config(server, page, trials, rep)
                    for r in run:
                        _progress(r)
                    results += run
                browser.close()
        finally:
            server.stop()
    load_after = os.getloadavg()
    import hpo_lab

    print(
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, hpo_lab {hpo_lab.__version__}; N = {trials} "
        f"(each run goes to {2 * trials}); {args.repeat} repetitions; load average "
        f"{load[0]:.1f} before, {load_after[0]:.1f} after. Date: {time.strftime('%Y-%m-%d %H:%M')}."
    )
    print()
    print(table(results, trials))
    print()
    ticks = [tuple(t) for r in results if r.label == "panel" for t in r.info["ticks"]]
    print("| study size | bytes per update, median | p95 | max | updates |")
    print("|---:|---:|---:|---:|---:|")
    for size in (100, 1_000, 10_000):
        window = [b for n, b in ticks if 0.5 * size <= n <= 1.5 * size]
        if window:
            print(
                f"| {size:,} | {statistics.median(window):,.0f} | {_p95(window):,.0f} "
                f"| {max(window):,} | {len(window)} |"
            )
    print()
    print("| Pause clicked at (trials) | acted after (s) | shown after (s) "
          "| last trial started after the click (s) |")
    print("|---:|---:|---:|---:|")
    for r in results:
        for p in r.info.get("pauses", ()):
            print(
                f"| {p['at_trials']:,} | {p['acted_s']:.2f} | {p['shown_s']:.2f} "
                f"| {p['last_start_after_click_s']:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
