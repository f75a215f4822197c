"""``lr_find``: the learning-rate range test for a PyTorch model, or for any training step."""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_lab.lr_finder._core import cap_at_start, diverged, lr_ramp, suggest, zero_phase

# The running average that decides when the loss has diverged: fast, so the test stops soon
# after the loss blows up (the suggestions use a lag-free smoothing of their own).
_STOP_BETA = 0.7

if TYPE_CHECKING:
    from hpo_lab.search_space._revision import SpaceRevision
    from hpo_lab.study._study import Study

__all__ = ["LRFinder", "lr_find"]


@dataclass
class LRFinder:
    """The result of a learning-rate range test.

    Attributes:
        lrs: The learning rates tried, one per step.
        losses: The loss at each step.
        smoothed: The losses smoothed without lag (a bias-corrected moving average run forwards
            and backwards, see :func:`hpo_lab.lr_finder.zero_phase`), each loss above the
            starting loss counted as the starting loss (:func:`hpo_lab.lr_finder.cap_at_start`).
        stopped_early: Whether the test stopped because the loss diverged.
        suggestions: ``steepest``, ``valley`` and ``minimum/10`` (see
            :func:`hpo_lab.lr_finder.suggest`).
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    stopped_early: bool
    suggestions: dict[str, float] = field(default_factory=dict)

    @property
    def suggestion(self) -> float:
        """The one learning rate to try: the valley."""
        return self.suggestions["valley"]

    def suggested_range(self) -> tuple[float, float]:
        """A range for a study's learning rate: from a quarter of the lowest suggestion up to
        the learning rate of the lowest loss (above it, one step already does worse).

        Example:
            >>> f = lr_find(step=lambda lr: (lr - 0.1) ** 2 + 1.0, start_lr=1e-4, end_lr=10.0,
            ...             num_iter=60)
            >>> low, high = f.suggested_range()
            >>> low < f.suggestion <= high
            True
        """
        lowest = min(self.suggestions.values())
        i_min = int(np.nanargmin(self.smoothed))
        high = max(self.lrs[i_min], max(self.suggestions.values()))
        return lowest / 4.0, high

    def narrow(self, study: Study, param: str = "lr") -> SpaceRevision:
        """Narrow ``study``'s ``param`` to :meth:`suggested_range`, kept inside its declared
        range; returns the new revision.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: t.suggest_float("lr", 1e-5, 1.0, log=True), n_trials=2)
            >>> f = lr_find(step=lambda lr: (lr - 0.01) ** 2, start_lr=1e-5, end_lr=1.0)
            >>> rev = f.narrow(s)
            >>> lo, hi = rev.constraints["lr"].low, rev.constraints["lr"].high
            >>> 1e-5 <= lo < hi <= 1.0
            True
        """
        declared = study.declared_distributions().get(param)
        if declared is None:
            raise ValueError(
                f"study {study.study_name!r} has no parameter {param!r} yet to narrow (run a "
                "trial that suggests it first)"
            )
        low, high = self.suggested_range()
        lo = max(float(declared.low), low)  # type: ignore[union-attr]
        hi = min(float(declared.high), high)  # type: ignore[union-attr]
        if not lo < hi:
            raise ValueError(
                f"the suggested range [{low:.3g}, {high:.3g}] for {param!r} misses its declared "
                f"range [{declared.low}, {declared.high}]"  # type: ignore[union-attr]
            )
        return study.narrow(**{param: (lo, hi)})

    def plot(self) -> Any:
        """The loss against the learning rate, with the suggestions (see
        :func:`hpo_lab.viz.plot_lr_find`)."""
        from hpo_lab.viz._lr_find import plot_lr_find

        return plot_lr_find(self)

    def _ipython_display_(self) -> None:  # pragma: no cover - needs a frontend
        from IPython import display as ipython_display

        show: Any = ipython_display.display
        show(self.plot())

    def __repr__(self) -> str:
        s = ", ".join(f"{k}={v:.3g}" for k, v in self.suggestions.items())
        return f"LRFinder({len(self.lrs)} steps, {s})"


def _run(
    step: Callable[[float], Any], lrs: np.ndarray, beta: float, diverge: float
) -> LRFinder:
    losses: list[float] = []
    running: list[float] = []
    best = math.inf
    stopped = False
    avg = 0.0
    for i, lr in enumerate(lrs):
        loss = step(float(lr))
        try:
            value = float(loss)
        except (TypeError, ValueError):
            raise TypeError(
                f"the training step must return the loss as a number, but returned {loss!r}"
            ) from None
        losses.append(value)
        avg = _STOP_BETA * avg + (1.0 - _STOP_BETA) * value
        current = avg / (1.0 - _STOP_BETA ** (i + 1)) if math.isfinite(value) else math.nan
        running.append(current)
        if i > 0 and diverged(current, best, diverge):
            stopped = True
            break
        if math.isfinite(current):
            best = min(best, current)
    finite = [i for i, v in enumerate(running) if math.isfinite(v)]
    if len(finite) < 3:
        raise ValueError(
            "the loss diverged within the first steps of the range test: lower start_lr "
            f"(it was {float(lrs[0]):.3g})"
        )
    keep = finite[-1] + 1  # up to the last finite loss
    smoothed = zero_phase(cap_at_start(losses[:keep]), beta)
    return LRFinder(
        lrs=[float(v) for v in lrs[:keep]],
        losses=losses[:keep],
        smoothed=[float(v) for v in smoothed],
        stopped_early=stopped,
        suggestions=suggest(lrs[:keep], smoothed),
    )


def _cycle(loader: Iterable[Any]) -> Iterator[Any]:
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("the data loader yielded no batch")


def lr_find(
    model: Any = None,
    optimizer: Any = None,
    loss_fn: Callable[..., Any] | None = None,
    loader: Iterable[Any] | None = None,
    *,
    step: Callable[[float], Any] | None = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    beta: float = 0.9,
    diverge: float = 4.0,
    device: Any = None,
) -> LRFinder:
    """The learning-rate range test: train with a learning rate growing exponentially from
    ``start_lr`` to ``end_lr`` over ``num_iter`` steps, stop when the loss diverges (its
    running average above ``diverge`` times the best), smooth it without lag (``beta``), and
    suggest learning rates.

    Two forms:

    * PyTorch: ``lr_find(model, optimizer, loss_fn, loader)``. Each step takes the next batch
      ``(inputs, targets)`` of ``loader`` (cycling), sets every parameter group's learning
      rate, and takes one optimizer step on ``loss_fn(model(inputs), targets)``. Afterwards
      the model's and the optimizer's states are restored exactly, as if nothing had run.
    * Any framework: ``lr_find(step=f)``, where ``f(lr)`` does one training step at that
      learning rate and returns the loss. Restoring the model is then up to you.

    Example:
        >>> # Least squares with Lipschitz constant L = 2: good learning rates are below 1/L.
        >>> w = [0.0]
        >>> def step(lr):
        ...     loss = (w[0] - 3.0) ** 2
        ...     w[0] -= lr * 2 * (w[0] - 3.0)
        ...     return loss
        >>> f = lr_find(step=step, start_lr=1e-4, end_lr=10.0, num_iter=80)
        >>> 0.05 / 2 <= f.suggestion <= 1 / 2
        True
    """
    for name, value, low in (("beta", beta, 0.0), ("diverge", diverge, 1.0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            value >= low and math.isfinite(value)
        ):
            raise ValueError(f"{name} must be a finite number >= {low:g}, but got {value!r}")
    lrs = lr_ramp(float(start_lr), float(end_lr), num_iter)
    if step is not None:
        if model is not None or optimizer is not None:
            raise ValueError("give either step=... or model, optimizer, loss_fn and loader")
        if not callable(step):
            raise TypeError(f"step must be a callable taking the learning rate, not {step!r}")
        return _run(step, lrs, float(beta), float(diverge))
    if model is None or optimizer is None or loss_fn is None or loader is None:
        raise ValueError(
            "lr_find needs model, optimizer, loss_fn and loader (PyTorch), or step=f for any "
            "other framework"
        )
    try:
        import torch
    except ImportError:
        raise ImportError(
            "lr_find(model, ...) needs PyTorch: pip install 'hpo_lab[torch]' (torch==2.13.0)"
        ) from None
    model_state = copy.deepcopy(model.state_dict())
    optimizer_state = copy.deepcopy(optimizer.state_dict())
    was_training = model.training
    batches = _cycle(loader)

    def torch_step(lr: float) -> float:
        for group in optimizer.param_groups:
            group["lr"] = lr
        inputs, targets = next(batches)
        if device is not None:
            inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return float(loss.detach().item())

    model.train()
    try:
        return _run(torch_step, lrs, float(beta), float(diverge))
    finally:
        with torch.no_grad():
            model.load_state_dict(model_state)
        optimizer.load_state_dict(optimizer_state)
        model.train(was_training)
