"""Kernel > Interrupt while the kernel is idle: say that background runs go on.

An interrupt stops the cell that runs, and ``%hpo wait`` or ``--wait`` turn it into a clean
stop of their run. But with no cell running, ipykernel ignores the signal (it installs
``SIG_IGN`` between cells), and a user who interrupts to stop a background run sees nothing
happen. So while runs may be live, the idle-time handler is one that tells every live panel
that its run goes on and how to stop it, then does what the kernel's own handler did.

ipykernel installs the idle-time handler itself after each request (``post_handler_hook``
restores ``kernel.saved_sigint_handler``); :func:`watch` chains a handler there, from the
main thread during a cell, once per kernel. Outside ipykernel it does nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["interrupt_note", "tell_panels", "watch"]

_MARK = "_hpo_lab_interrupt_note"


def interrupt_note(name: str) -> str:
    """What a panel says after an interrupt while the kernel was idle.

    Example:
        >>> interrupt_note("svc")
        "Interrupt does not stop the background run of 'svc': it goes on. Stop it with the Stop button or %hpo stop svc."
    """  # noqa: E501
    return (
        f"Interrupt does not stop the background run of {name!r}: it goes on. "
        f"Stop it with the Stop button or %hpo stop {name}."
    )


def tell_panels() -> int:
    """Post :func:`interrupt_note` to every panel that follows a live run; return how many.

    Example:
        >>> tell_panels()
        0
    """
    from hpo_lab.notebook._relay import live_panels

    told = 0
    for panel in live_panels():
        run = panel.run
        if run is not None and run.is_live():
            panel._note(interrupt_note(run.study.study_name))
            told += 1
    return told


def watch(shell: Any) -> None:
    """Chain the idle-time SIGINT handler of ``shell``'s kernel (see the module docstring).

    Call it from the main thread while a cell runs; a no-op elsewhere and when already done.

    Example:
        >>> watch(None)  # no kernel: nothing to do
    """
    kernel = getattr(shell, "kernel", None)
    if kernel is None or not hasattr(kernel, "saved_sigint_handler"):
        return
    if threading.current_thread() is not threading.main_thread():
        return
    previous = kernel.saved_sigint_handler
    if getattr(previous, _MARK, False):
        return

    def on_sigint(signum: int, frame: Any) -> None:
        try:
            tell_panels()
        finally:
            if callable(previous):
                handler: Callable[[int, Any], Any] = previous
                handler(signum, frame)

    setattr(on_sigint, _MARK, True)
    kernel.saved_sigint_handler = on_sigint
