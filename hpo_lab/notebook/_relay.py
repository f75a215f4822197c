"""Pause, Resume and Stop that act while another cell runs.

A widget made in Python has a comm the kernel opened, and ipykernel 7.4 handles its messages
on the main shell: a click on an ipywidgets ``Button`` during a long cell acts only when that
cell ends. A comm that the *frontend* opens to a target the kernel registered carries the
subshell id JupyterLab (>= 4.4) made for that target, and the kernel never sends on it, so its
messages are handled on that subshell at once. So each panel adds a hidden relay widget
(anywidget) whose script opens such a comm (target :data:`CONTROL_TARGET`) once the subshell
exists, listens for clicks on the panel's Pause, Resume and Stop buttons, and sends
``{"panel": id, "command": "pause"}`` on it; :func:`handle_control` posts the command to the
run at once.

The comm's opening message (``"command": "open"``) also tells the panel that the browser runs
widget code (``Panel.frontend_seen``); so does a ``{"event": "rendered"}`` message the script
sends on the relay widget's own comm, for frontends where the control comm cannot be opened (it
reaches the kernel when the main shell is free).

The button's own click message still arrives later; the panel counts relayed commands and drops
that many later clicks of the same button, so each click acts once. Where the relay cannot work
(no anywidget, Colab, a frontend without the JupyterLab widget manager) the buttons work as
ordinary widgets.

The relay also carries the live figures' patches (see ``_figures.py``): the kernel sends
``{"figure": name, "patch": ...}`` on the relay widget's comm and the script applies it to the
panel's graph with the page's plotly.js. The script says ``"patches"`` on that same comm once it
can (plotly.js loaded, a figure drawn from the kernel's JSON), and ``"resync"`` (with the
figure's name) when a graph missed a patch; the panel then renders that figure whole.

A message handled on a subshell ends with the kernel publishing "idle", with that message as
parent: JupyterLab then shows the kernel idle although the main shell still runs a cell. While
a cell runs (IPython's ``pre_run_cell`` to ``post_run_cell``), the relay says "busy" again for
that cell's request right after.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import weakref
from typing import Any

__all__ = [
    "CONTROL_TARGET",
    "FIGURE_COMMANDS",
    "RELAYED_COMMANDS",
    "handle_control",
    "live_panels",
    "make_relay",
    "register_panel",
    "relay_class",
    "watch_cells",
]

_logger = logging.getLogger("hpo_lab")

CONTROL_TARGET = "hpo_lab.panel_control"
RELAYED_COMMANDS = ("pause", "resume", "stop")
#: What the script says about the live figures: it applies patches; a graph missed one; what
#: drawing a patch costs it (``"ms"``).
FIGURE_COMMANDS = ("patches", "resync", "draw")

_panels: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
_lock = threading.Lock()
_registered_with: list[Any] = []
_relay_class: list[Any] = []

_ESM = """
const COMMANDS = ["pause", "resume", "stop"];
// Opens the panel's control comm once the frontend has a subshell for its target, so its
// messages reach the kernel's subshell, not the (maybe busy) main shell.
async function openChannel(manager, id) {
  if (!manager || typeof manager._create_comm !== "function") return null;
  const comm = await manager._create_comm("TARGET", undefined);
  const raw = comm.jsServicesComm;
  if (raw && raw.subshellStarted) {
    const started = raw.subshellStarted.catch(() => {});
    await Promise.race([started, new Promise((done) => setTimeout(done, 3000))]);
  }
  comm.open({ panel: id, command: "open" }, {}, {}, []);
  return comm;
}
// Live figures: the kernel renders a figure whole into an output (plotly's JSON, drawn by the
// frontend's plotly.js, its revision in layout.meta.hpo_rev), then sends patches from one
// revision to the next. A patch is applied only to a graph at its base revision; one that
// arrives before its graph is drawn waits; a graph left behind asks for a full render.
function graphs(id, figure) {
  const sel = ".hpo-panel-" + id + " .hpo-" + figure + "-plot .js-plotly-plot";
  return Array.from(document.querySelectorAll(sel));
}
function revOf(gd) {
  const meta = gd.layout && gd.layout.meta;
  return meta && typeof meta.hpo_rev === "number" ? meta.hpo_rev : null;
}
async function applyPatch(P, gd, patch) {
  // Every change goes into the graph's own data and layout, then one Plotly.react draws it
  // once (a Plotly call per change would draw the graph once each).
  const data = gd.data;
  for (const op of patch.traces) {
    const trace = data && data[op.i];
    if (!trace) throw new Error("no trace " + op.i);
    if (op.replace) Object.assign(trace, op.replace);
    else if (op.extend) {
      for (const key of Object.keys(op.extend)) {
        trace[key] = (trace[key] || []).concat(op.extend[key]);
      }
    }
    if (op.style) Object.assign(trace, op.style);
  }
  const meta = Object.assign({}, gd.layout.meta, { hpo_rev: patch.rev });
  const layout = Object.assign({}, gd.layout, patch.layout || {});
  Object.assign(layout, { meta, datarevision: patch.rev });
  await P.react(gd, data, layout);
  window.__hpoLabPatched = (window.__hpoLabPatched || 0) + 1;  // read by the browser tests
}
function makeFigures(id, tell) {
  const pending = {};
  const state = {};
  async function drain(figure) {
    const st = (state[figure] = state[figure] || {
      busy: false, again: false, stuck: 0, asked: 0, costs: [],
    });
    if (st.busy) {
      st.again = true;
      return;
    }
    st.busy = true;
    let behind = false;
    try {
      const P = window.Plotly;
      const queue = pending[figure] || [];
      const gds = graphs(id, figure);
      for (const gd of gds) {
        let rev = revOf(gd);
        if (rev === null || !P) {
          behind = true;
          continue;
        }
        for (;;) {
          const next = queue.find((p) => p.base === rev);
          if (!next) break;
          try {
            const t0 = performance.now();
            await applyPatch(P, gd, next);
            rev = next.rev;
            // What a patch costs this page to draw, told now and then: the kernel sends
            // patches no more often than the page can draw them at leisure.
            st.costs.push(performance.now() - t0);
            if (st.costs.length >= 5) {
              const sorted = st.costs.sort((a, b) => a - b);
              tell({ command: "draw", figure, ms: sorted[Math.floor(sorted.length / 2)] });
              st.costs = [];
            }
          } catch (err) {
            st.asked = 0;
            behind = true;
            break;
          }
        }
        if (queue.some((p) => p.base > rev)) behind = true;
      }
      const revs = gds.map(revOf).filter((r) => r !== null);
      const low = revs.length ? Math.min(...revs) : -1;
      pending[figure] = queue.filter((p) => p.rev > low).slice(-200);
    } finally {
      st.busy = false;
    }
    if (st.again) {
      st.again = false;
      return drain(figure);
    }
    if (behind && pending[figure].length) {
      const now = Date.now();
      st.stuck = st.stuck || now;
      if (now - st.stuck > 2500 && now - st.asked > 5000) {
        st.asked = now;
        tell({ command: "resync", figure });
      }
      setTimeout(() => drain(figure), 250);
    } else {
      st.stuck = 0;
    }
  }
  return {
    take(msg) {
      if (!msg || !msg.figure || !msg.patch) return;
      (pending[msg.figure] = pending[msg.figure] || []).push(msg.patch);
      drain(msg.figure);
    },
  };
}
function render({ model, el }) {
  el.style.display = "none";
  const id = model.get("panel_id");
  // This script runs, so widget code runs here: the panel may draw FigureWidgets. Sent on the
  // widget's own comm too, for frontends where the control comm cannot be opened.
  model.send({ event: "rendered" });
  const relays = (window.__hpoLabRelays = window.__hpoLabRelays || {});
  if (relays[id]) return;
  let channel = null;
  const ready = openChannel(model.widget_manager, id)
    .then((comm) => (channel = comm))
    .catch(() => null);
  // Figure commands go on the relay widget's own comm, at once: the control comm can take
  // seconds to open on a loaded machine (a subshell is made for it), and these wait for no one.
  const tell = (data) => model.send(Object.assign({ event: data.command }, data));
  const figures = makeFigures(id, tell);
  const onMsg = (msg) => figures.take(msg);
  model.on("msg:custom", onMsg);
  // Patches are sent once the page shows it can apply them: plotly.js is loaded and one of
  // the panel's figures was drawn from the kernel's JSON.
  let looked = 0;
  const look = setInterval(() => {
    looked += 1;
    const drawn = window.Plotly && document.querySelector(
      ".hpo-panel-" + id + " .js-plotly-plot"
    );
    if (drawn && revOf(drawn) !== null) {
      clearInterval(look);
      tell({ command: "patches" });
    } else if (looked > 600) {
      clearInterval(look);
    }
  }, 500);
  const onClick = (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const button = target && target.closest("button");
    if (!button || button.disabled) return;
    const panel = button.closest(".hpo-panel");
    if (!panel || !panel.classList.contains("hpo-panel-" + id)) return;
    const command = COMMANDS.find((c) => button.classList.contains("hpo-" + c));
    if (!command) return;
    ready.then(() => {
      if (channel) channel.send({ panel: id, command }, {}, {}, []);
    });
  };
  document.addEventListener("click", onClick, true);
  relays[id] = onClick;
  return () => {
    clearInterval(look);
    model.off("msg:custom", onMsg);
    document.removeEventListener("click", onClick, true);
    delete relays[id];
    if (channel) channel.close({}, {}, {}, []);
  };
}
export default { render };
""".replace("TARGET", CONTROL_TARGET)


def register_panel(panel_id: str, panel: Any) -> None:
    """Let control messages for ``panel_id`` reach ``panel`` (held weakly)."""
    with _lock:
        _panels[panel_id] = panel


def live_panels() -> list[Any]:
    """Every registered panel that is not closed.

    Example:
        >>> isinstance(live_panels(), list)
        True
    """
    with _lock:
        panels = list(_panels.values())
    return [p for p in panels if not getattr(p, "_closed", True)]


def handle_control(data: Any) -> str | None:
    """Act on one relayed command; return the command acted on, else ``None``.

    Example:
        >>> handle_control({"panel": "nope", "command": "pause"}) is None
        True
    """
    if not isinstance(data, dict):
        return None
    command = data.get("command")
    with _lock:
        panel = _panels.get(str(data.get("panel")))
    if panel is not None and command == "open":
        panel._frontend_seen()  # the browser runs widget code
        return "open"
    if panel is not None and command in FIGURE_COMMANDS:
        _figure_command(panel, str(command), data)
        return str(command)
    if panel is None or command not in RELAYED_COMMANDS:
        return None
    panel._relayed(command)
    return str(command)


# The request of the cell the main shell runs, between IPython's pre_run_cell and
# post_run_cell (None while the kernel is idle); see the module docstring.
_running_cell: list[Any] = [None]
_watched: list[Any] = []


def _cell_started(*_args: Any) -> None:
    kernel = getattr(_watched[0] if _watched else None, "kernel", None)
    try:
        _running_cell[0] = kernel.get_parent("shell") if kernel is not None else None
    except Exception:
        _running_cell[0] = None


def _cell_ended(*_args: Any) -> None:
    _running_cell[0] = None


def watch_cells(shell: Any) -> None:
    """Follow when ``shell`` (an IPython shell in a kernel) runs a cell, so that a relayed
    message does not end the kernel's busy state in the frontend (once per shell)."""
    if shell is None or any(s is shell for s in _watched) or not hasattr(shell, "events"):
        return
    _watched[:] = [shell]
    shell.events.register("pre_run_cell", _cell_started)
    shell.events.register("post_run_cell", _cell_ended)


def _still_busy() -> None:
    # Called on the subshell while it handles a relayed message: once its "idle" is out (the
    # callback runs after the handler's task), say "busy" again for the cell still running.
    parent = _running_cell[0]
    kernel = getattr(_watched[0] if _watched else None, "kernel", None)
    if parent is None or kernel is None or not hasattr(kernel, "_publish_status"):
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return

    def publish() -> None:
        if _running_cell[0] is parent:
            kernel._publish_status("busy", "shell", parent=parent)

    loop.call_soon(publish)


def _on_message(msg: dict[str, Any]) -> None:
    try:
        handle_control(msg.get("content", {}).get("data"))
    except Exception:
        _logger.exception("a control message for the panel failed")
    try:
        _still_busy()
    except Exception:
        _logger.exception("could not restore the kernel's busy state")


def _on_open(comm: Any, msg: dict[str, Any]) -> None:
    # The browser keeps one comm per panel open and sends a message per click; the kernel
    # never sends on it, so each message stays on the subshell the browser picked.
    comm.on_msg(_on_message)
    _on_message(msg)


def _comm_manager() -> Any:
    try:
        ipython = importlib.import_module("IPython").get_ipython()
    except ImportError:
        return None
    kernel = getattr(ipython, "kernel", None)
    return getattr(kernel, "comm_manager", None)


def make_relay(panel_id: str) -> Any:
    """The hidden relay widget of a panel, with the kernel's control target registered; ``None``
    outside a kernel, without anywidget, or on Colab."""
    from hpo_lab.notebook._env import in_colab

    manager = _comm_manager()
    if manager is None or in_colab():
        return None
    try:
        anywidget = importlib.import_module("anywidget")
        traitlets = importlib.import_module("traitlets")
    except ImportError:
        return None
    with _lock:
        if not any(m is manager for m in _registered_with):
            manager.register_target(CONTROL_TARGET, _on_open)
            _registered_with.append(manager)
    shell = importlib.import_module("IPython").get_ipython()
    watch_cells(shell)
    from hpo_lab.notebook._interrupt import watch

    watch(shell)

    relay = relay_class(anywidget, traitlets)(panel_id=panel_id)
    relay.layout.display = "none"
    return relay


def _on_relay_message(relay: Any, content: Any, buffers: Any) -> None:
    if not isinstance(content, dict):
        return
    event = content.get("event")
    with _lock:
        panel = _panels.get(str(relay.panel_id))
    if panel is None:
        return
    if event == "rendered":
        panel._frontend_seen()
    elif event in FIGURE_COMMANDS:
        _figure_command(panel, str(event), content)


def _figure_command(panel: Any, command: str, data: dict[str, Any]) -> None:
    figure = data.get("figure")
    ms = data.get("ms")
    value = float(ms) / 1000 if isinstance(ms, (int, float)) and ms >= 0 else None
    panel._figure_command(command, figure if isinstance(figure, str) else None, value)


def relay_class(anywidget: Any, traitlets: Any) -> Any:
    """The relay widget class (made once).

    Example:
        >>> import anywidget, traitlets
        >>> relay_class(anywidget, traitlets)(panel_id="p1").panel_id
        'p1'
    """
    with _lock:
        if not _relay_class:
            base: Any = anywidget.AnyWidget

            class Relay(base):  # type: ignore[misc]
                _esm = _ESM
                panel_id = traitlets.Unicode("").tag(sync=True)

                def __init__(self, **kwargs: Any) -> None:
                    super().__init__(**kwargs)
                    self.on_msg(_on_relay_message)

            _relay_class.append(Relay)
        return _relay_class[0]
