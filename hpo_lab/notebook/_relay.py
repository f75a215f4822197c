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
"""

from __future__ import annotations

import importlib
import logging
import threading
import weakref
from typing import Any

__all__ = [
    "CONTROL_TARGET",
    "RELAYED_COMMANDS",
    "handle_control",
    "make_relay",
    "register_panel",
    "relay_class",
]

_logger = logging.getLogger("hpo_lab")

CONTROL_TARGET = "hpo_lab.panel_control"
RELAYED_COMMANDS = ("pause", "resume", "stop")

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
    if panel is None or command not in RELAYED_COMMANDS:
        return None
    panel._relayed(command)
    return str(command)


def _on_message(msg: dict[str, Any]) -> None:
    try:
        handle_control(msg.get("content", {}).get("data"))
    except Exception:
        _logger.exception("a control message for the panel failed")


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

    relay = relay_class(anywidget, traitlets)(panel_id=panel_id)
    relay.layout.display = "none"
    return relay


def _on_relay_message(relay: Any, content: Any, buffers: Any) -> None:
    if isinstance(content, dict) and content.get("event") == "rendered":
        with _lock:
            panel = _panels.get(str(relay.panel_id))
        if panel is not None:
            panel._frontend_seen()


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
