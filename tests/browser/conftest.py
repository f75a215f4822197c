"""A real JupyterLab 4 / Notebook 7 server and a real Chromium, for the browser tests.

Each test gets a server started on 127.0.0.1 with a random token, its own root directory and
its own config, runtime, settings, workspace and IPython directories (the venv's data path stays
the default, so the installed lab extensions -- ipywidgets, anywidget -- are found). Chromium is
Debian's ``/usr/bin/chromium`` driven by Playwright's sync API; Playwright's own browser download
is never used. Screenshots go to ``$HPO_LAB_BROWSER_ARTIFACTS`` (default: a folder under pytest's
base temp directory), and a failing test leaves one there too.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APPS = ("lab", "notebook")

# User settings for the test server: no news poll (no network here), and every cell kept in the
# DOM (JupyterLab's windowed list would drop off-screen cells, which the tests address by index).
_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class JupyterServer:
    """One running ``jupyter lab`` or ``jupyter notebook`` server."""

    app: str
    root: Path
    port: int
    token: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, relpath: str) -> str:
        """The page that opens ``relpath`` (relative to the root) in this server's UI."""
        prefix = "lab/tree" if self.app == "lab" else "notebooks"
        return f"{self.base}/{prefix}/{relpath}?token={self.token}"

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.base}/api/{path}?token={self.token}", timeout=5) as r:
            return json.loads(r.read())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_server(app: str, workdir: Path, timeout: float = 90.0) -> JupyterServer:
    """Start ``jupyter <app>`` on a free port, rooted at ``workdir/root``; wait until ready."""
    if app not in APPS:
        raise ValueError(f"app must be one of {APPS}, but got app={app!r}")
    root = workdir / "root"
    root.mkdir(parents=True, exist_ok=True)
    settings = workdir / "lab-settings"
    for name, values in _SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(workdir / "config"),
        JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"),
        IPYTHONDIR=str(workdir / "ipython"),
        PYTHONUNBUFFERED="1",
    )
    # The kernel must import this checkout's hpo_lab, as the test process does.
    checkout = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (checkout, env.get("PYTHONPATH")) if p)
    port, token = _free_port(), secrets.token_hex(16)
    log_path = workdir / f"jupyter-{app}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "jupyter", app,
                "--no-browser",
                "--allow-root",  # CI containers run as root
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.open_browser=False",
            ],
            env=env,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = JupyterServer(app, root, port, token, proc, log_path)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter {app} exited with {proc.returncode}:\n{server.log()}")
        try:
            server.api("status")
            return server
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise TimeoutError(f"jupyter {app} not ready after {timeout} s:\n{server.log()}")
        time.sleep(0.2)


@dataclass
class NotebookPage:
    """A notebook open in the browser, addressed by cell index (0-based)."""

    page: Page
    server: JupyterServer
    artifacts: Path
    shots: list[Path] = field(default_factory=list)

    def open(self, relpath: str, timeout: float = 90.0) -> None:
        self.page.goto(self.server.notebook_url(relpath))
        self.page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=timeout * 1000)
        # A kernel session exists for this notebook before any cell is run.
        deadline = time.monotonic() + timeout
        while not any(
            s.get("path", "").endswith(relpath) and s.get("kernel")
            for s in self.server.api("sessions")
        ):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no kernel started for {relpath} after {timeout} s")
            time.sleep(0.2)

    def cell(self, index: int) -> Any:
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def n_cells(self) -> int:
        return self.page.locator(".jp-Notebook .jp-Cell").count()

    def run_cell(self, index: int) -> None:
        """Put the cursor in cell ``index`` and press Shift+Enter (it runs and moves on)."""
        cell = self.cell(index)
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Shift+Enter")

    def prompt(self, index: int) -> str:
        """The input prompt text: ``[*]:`` while queued or running, ``[7]:`` once run."""
        text: str = self.cell(index).locator(".jp-InputPrompt").inner_text()
        return text.strip()

    def wait_executed(self, index: int, timeout: float) -> float:
        """Wait until cell ``index`` shows an execution count; return the seconds it took."""
        start = time.monotonic()
        deadline = start + timeout
        while not re.fullmatch(r"\[\d+\]:?", self.prompt(index)):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"cell {index} did not finish in {timeout} s (prompt {self.prompt(index)!r})"
                )
            self.page.wait_for_timeout(50)
        return time.monotonic() - start

    def output_text(self, index: int) -> str:
        text: str = self.cell(index).locator(".jp-OutputArea").inner_text()
        return text

    def wait_for(self, predicate: Callable[[], Any], what: str, timeout: float) -> Any:
        """Poll ``predicate`` until it returns something truthy; fail naming ``what``."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not seen after {timeout} s")
            self.page.wait_for_timeout(100)

    def screenshot(self, name: str) -> Path:
        path = self.artifacts / f"{self.server.app}-{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        self.shots.append(path)
        return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once per session."""
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: install the Debian package chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$HPO_LAB_BROWSER_ARTIFACTS`` or a session temp folder."""
    chosen = os.environ.get("HPO_LAB_BROWSER_ARTIFACTS")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("browser-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(params=APPS)
def jupyter(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JupyterServer]:
    """A fresh server per test, once as JupyterLab 4 and once as Notebook 7."""
    server = start_server(request.param, tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def notebook_page(
    request: pytest.FixtureRequest, browser: Browser, jupyter: JupyterServer, artifacts: Path
) -> Iterator[NotebookPage]:
    """A new browser page on ``jupyter``; a failing test leaves a screenshot, the server log
    and the browser console in the artifacts folder."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    nb = NotebookPage(page, jupyter, artifacts)
    try:
        yield nb
    finally:
        if request.node.stash.get(_FAILED, False):
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            try:
                page.screenshot(path=str(artifacts / f"FAILED-{name}.png"))
            except Exception:  # the page may be gone; the log below still helps
                pass
            shutil.copy(jupyter.log_path, artifacts / f"FAILED-{name}.log")
            (artifacts / f"FAILED-{name}.console.txt").write_text("\n".join(console))
        context.close()
