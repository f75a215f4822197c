"""The trial interface, defined once.

An objective receives a trial and calls ``suggest_*``, ``report``, ``should_prune`` and
``set_user_attr`` on it. On the thread executor (and in ``optimize``) that trial is the real
:class:`~hpo_lab.trial.Trial`; in a worker process or on a Dask worker it is a proxy that asks
the runner, which holds the real one. Both derive from :class:`TrialBase`: everything an
objective can see or call is written here, once, on top of four primitives
(:attr:`TrialBase.REMOTE`). The real trial implements the primitives against its study; the
proxy forwards them over a channel, and the runner accepts exactly these names. A feature added
here reaches every executor.

:class:`TrialInterface` is the same surface as a :class:`typing.Protocol`, for type hints of
objectives and for stand-ins written by users.
"""

from __future__ import annotations

import abc
import contextlib
import datetime
import numbers
import warnings
from collections.abc import Container, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from hpo_lab import _json
from hpo_lab.distributions import (
    CategoricalChoice,
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
    as_choices,
    check_compatible,
)
from hpo_lab.trial._checkpoint import Checkpoint, reachable
from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["TrialBase", "TrialInterface", "check_report"]


@contextlib.contextmanager
def _naming(name: str) -> Iterator[None]:
    # A bad range passed to suggest_* should say which parameter it was for.
    try:
        yield
    except ValueError as exc:
        raise ValueError(f"parameter {name!r}: {exc}") from None


def check_report(
    number: int, value: Any, step: Any, reported: Container[int]
) -> tuple[int, float] | None:
    """Check the arguments of ``trial.report(value, step)``.

    Returns ``(step, value)`` as int and float, or ``None`` (after a warning, as in Optuna)
    when ``step`` is in ``reported`` already. Bad arguments raise.

    Example:
        >>> check_report(0, 0.5, 3, set())
        (3, 0.5)
    """
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
        raise ValueError(f"step must be a non-negative int, but got step={step!r}")
    if isinstance(value, (bool, str)) or value is None:
        raise TypeError(f"report takes a number, but got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"report takes a number, but got {value!r}") from None
    if int(step) in reported:
        warnings.warn(
            f"trial {number} already reported step {int(step)}; the new value {v} is ignored",
            UserWarning,
            stacklevel=3,  # the objective's call to report()
        )
        return None
    return int(step), v


@runtime_checkable
class TrialInterface(Protocol):
    """What an objective may use of its trial, on every executor.

    :class:`~hpo_lab.trial.Trial` and the worker-side proxy both satisfy it. ``study`` is only
    available where the study lives (the thread executor and ``optimize``); a proxy raises
    ``AttributeError`` with an explanation.

    Example:
        >>> import hpo_lab
        >>> isinstance(hpo_lab.create_study().ask(), TrialInterface)
        True
    """

    @property
    def number(self) -> int: ...
    @property
    def trial_id(self) -> int: ...
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def distributions(self) -> dict[str, Distribution]: ...
    @property
    def user_attrs(self) -> dict[str, Any]: ...
    @property
    def system_attrs(self) -> dict[str, Any]: ...
    @property
    def datetime_start(self) -> datetime.datetime | None: ...
    @property
    def revision(self) -> int: ...
    @property
    def relative_params(self) -> dict[str, Any]: ...
    @property
    def study(self) -> Any: ...
    @property
    def checkpoint(self) -> Checkpoint: ...
    def freeze(self) -> FrozenTrial: ...
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float: ...
    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int: ...
    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoice]) -> Any: ...
    def suggest_uniform(self, name: str, low: float, high: float) -> float: ...
    def suggest_loguniform(self, name: str, low: float, high: float) -> float: ...
    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float: ...
    def report(self, value: float, step: int) -> None: ...
    def should_prune(self) -> bool: ...
    def set_user_attr(self, key: str, value: Any) -> None: ...
    def set_system_attr(self, key: str, value: Any) -> None: ...


class TrialBase(abc.ABC):
    """Everything an objective sees of a trial, on top of four primitives.

    Subclasses hold the trial's record in ``_frozen`` (a :class:`FrozenTrial`) and the sampler's
    joint proposals in ``_relative_params``, and implement the primitives named in
    :attr:`REMOTE`. Validation happens here, before a primitive is called, so a bad argument
    raises the same error in every executor, and in a worker process without a round trip.
    """

    #: The primitives, and how a worker-side proxy sends each to the runner: ``"call"`` waits
    #: for the answer, ``"send"`` does not. The runner accepts exactly these names.
    REMOTE: ClassVar[Mapping[str, Literal["call", "send"]]] = {
        "_suggest": "call",
        "_report": "send",
        "_should_prune": "call",
        "_set_attr": "send",
        "_checkpoint_dirs": "call",
        "_checkpoint_put": "call",
        "_checkpoint_get": "call",
        "_checkpoint_saved": "send",
    }

    _frozen: FrozenTrial
    _relative_params: dict[str, Any]

    # -- primitives ----------------------------------------------------------------------------
    @abc.abstractmethod
    def _suggest(self, name: str, declared: dict[str, Any]) -> Any:
        """Resolve parameter ``name`` declared as ``declared`` (a distribution's ``to_dict``)
        and return its value; a name known already returns its value."""

    @abc.abstractmethod
    def _report(self, step: int, value: float) -> None:
        """Store an intermediate value (already checked, a step not reported before)."""

    @abc.abstractmethod
    def _should_prune(self) -> bool:
        """Ask the pruner (which records its decision with the trial)."""

    @abc.abstractmethod
    def _set_attr(self, key: str, value: Any, system: bool) -> None:
        """Store a checked, JSON-ready attribute."""

    @abc.abstractmethod
    def _checkpoint_dirs(self) -> dict[str, str | None]:
        """``{"own": folder, "parent": folder or None, "root": the study's artifact folder}``:
        the checkpoint folders of this trial and of the trial it continues."""

    @abc.abstractmethod
    def _checkpoint_put(self, data: str) -> None:
        """Store a base64 pickled checkpoint sent through the runner (unshared folders)."""

    @abc.abstractmethod
    def _checkpoint_get(self, which: str, exists_only: bool) -> str | None:
        """The ``"own"`` or ``"parent"`` checkpoint as base64 (``""`` with ``exists_only``), or
        ``None`` if there is none."""

    @abc.abstractmethod
    def _checkpoint_saved(self, size: int) -> None:
        """Record a checkpoint the worker wrote to the shared folder itself."""

    def _folder_shared(self, root: str) -> bool:
        """Whether this process can use the study's artifact folder directly."""
        return reachable(root)

    # -- identity and state --------------------------------------------------------------------
    @property
    def number(self) -> int:
        """The trial's number in its study (from 0)."""
        return self._frozen.number

    @property
    def trial_id(self) -> int:
        """The store's id of the trial."""
        return self._frozen.trial_id

    @property
    def params(self) -> dict[str, Any]:
        """Parameters suggested so far."""
        return dict(self._frozen.params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        """The declared distribution of each parameter suggested so far."""
        return dict(self._frozen.distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """Attributes set with :meth:`set_user_attr` (and given to ``enqueue_trial``)."""
        return dict(self._frozen.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """Attributes the library records for this trial."""
        return dict(self._frozen.system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        """When the trial started."""
        return self._frozen.datetime_start

    @property
    def revision(self) -> int:
        """The search-space revision the trial was asked under."""
        return self._frozen.revision

    @property
    def relative_params(self) -> dict[str, Any]:
        """Values proposed jointly by the sampler at the start of the trial."""
        return dict(self._relative_params)

    @property
    @abc.abstractmethod
    def study(self) -> Any:
        """The study this trial belongs to."""

    def freeze(self) -> FrozenTrial:
        """The trial's record as this object knows it."""
        return self._frozen

    @property
    def checkpoint(self) -> Checkpoint:
        """Save and load what this trial trains: ``save(obj)``, ``load()``, ``path``.

        ``load()`` falls back to the checkpoint of the trial this one continues. See
        :class:`~hpo_lab.trial.Checkpoint`.

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.checkpoint.load() is None
            True
        """
        cached = self.__dict__.get("_checkpoint")
        if cached is None:
            cached = Checkpoint(self)
            self.__dict__["_checkpoint"] = cached
        return cached

    # -- suggestions ---------------------------------------------------------------------------
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """Suggest a float in ``[low, high]`` (``log``: on a log scale; ``step``: on a grid).

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> 1e-5 <= t.suggest_float("lr", 1e-5, 1e-1, log=True) <= 1e-1
            True
        """
        with _naming(name):
            declared = FloatDistribution(low, high, log=log, step=step)
        return float(self._suggest_declared(name, declared))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Suggest an integer in ``[low, high]``.

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.suggest_int("layers", 1, 4) in range(1, 5)
            True
        """
        with _naming(name):
            declared = IntDistribution(low, high, log=log, step=step)
        return int(self._suggest_declared(name, declared))

    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoice]) -> Any:
        """Suggest one of ``choices`` (a list or tuple: its order matters).

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.suggest_categorical("opt", ["adam", "sgd"]) in ("adam", "sgd")
            True
        """
        with _naming(name):
            declared = CategoricalDistribution(as_choices(choices))
        return self._suggest_declared(name, declared)

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Old Optuna spelling of ``suggest_float(name, low, high)``."""
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Old Optuna spelling of ``suggest_float(name, low, high, log=True)``."""
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """Old Optuna spelling of ``suggest_float(name, low, high, step=q)``."""
        return self.suggest_float(name, low, high, step=q)

    def _suggest_declared(self, name: str, declared: Distribution) -> Any:
        if not isinstance(name, str) or not name:
            raise ValueError(f"parameter name must be a non-empty str, but got {name!r}")
        frozen = self._frozen
        if name in frozen.params:
            check_compatible(name, frozen.distributions[name], declared)
            return frozen.params[name]
        value = self._suggest(name, declared.to_dict())
        frozen = self._frozen
        if name not in frozen.params:  # a proxy: mirror what the runner stored
            params = dict(frozen.params)
            params[name] = value
            dists = dict(frozen.distributions)
            dists[name] = declared
            self._frozen = frozen.replace(params=params, distributions=dists)
        return self._frozen.params[name]

    # -- reports and pruning -------------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Record an intermediate value (for example a validation loss after an epoch).

        A second report of the same step is ignored with a warning, as in Optuna.

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.report(0.5, step=0)
            >>> t.freeze().intermediate_values
            {0: 0.5}
        """
        checked = check_report(self.number, value, step, self._frozen.intermediate_values)
        if checked is None:
            return
        step_, value_ = checked
        # NaN is stored as reported: pruners treat it as the worst value.
        self._report(step_, value_)
        frozen = self._frozen
        if step_ not in frozen.intermediate_values:
            values = dict(frozen.intermediate_values)
            values[step_] = value_
            self._frozen = frozen.replace(intermediate_values=values)

    def should_prune(self) -> bool:
        """Whether the study's pruner says to stop this trial now.

        The pruner's decision, with what it compared, is stored with the trial
        (``FrozenTrial.decisions``).

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.should_prune()
            False
        """
        return bool(self._should_prune())

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value with the trial (a metric, a path, ...).

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.set_user_attr("accuracy", 0.93)
            >>> t.user_attrs
            {'accuracy': 0.93}
        """
        self._set_checked("user attribute", key, value, system=False)

    def set_system_attr(self, key: str, value: Any) -> None:
        """Store a library-level attribute (used by the notebook layer).

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.set_system_attr("source_hash", "ab12")
            >>> t.system_attrs["source_hash"]
            'ab12'
        """
        self._set_checked("system attribute", key, value, system=True)

    def _set_checked(self, kind: str, key: Any, value: Any, *, system: bool) -> None:
        key = _json.check_key(kind, key)
        value = _json.check_jsonable(kind, key, value)
        self._set_attr(key, value, system)
        frozen = self._frozen
        attrs = frozen.system_attrs if system else frozen.user_attrs
        if key not in attrs or attrs[key] != value:
            new = dict(attrs)
            new[key] = value
            self._frozen = (
                frozen.replace(system_attrs=new) if system else frozen.replace(user_attrs=new)
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(number={self.number}, params={self._frozen.params!r})"
