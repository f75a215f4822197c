"""Moving studies between Optuna and hpo_lab, keeping their history.

:func:`import_study` reads an Optuna study (an ``optuna.Study``, or a study in an Optuna
storage URL such as ``sqlite:///optuna.db``) into an hpo_lab store; :func:`export_study`
writes an hpo_lab study into Optuna (in memory or at a storage URL) through
``optuna.trial.create_trial``. Distributions, states, values, intermediate values, user and
system attributes and start/end times are kept; an hpo_lab FAIL trial's reason and message
travel as system attributes (``hpo_lab:fail_reason``, ``hpo_lab:fail_message``), so a round
trip keeps them too. Unfinished trials (RUNNING, WAITING) are not copied, and a PRUNED
trial's value (Optuna stores its last report there) is left out: hpo_lab keeps values for
COMPLETE trials, and the report is among the intermediate values. Optuna is imported only here
(the ``optuna`` extra).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.storages import BaseStorage
from hpo_lab.study._study import Study, create_study
from hpo_lab.trial._create import create_trial
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import FailReason, TrialState

__all__ = ["export_study", "import_study"]

_logger = logging.getLogger("hpo_lab")

_REASON_KEY = "hpo_lab:fail_reason"
_MESSAGE_KEY = "hpo_lab:fail_message"
_FINISHED = ("COMPLETE", "PRUNED", "FAIL")


def _optuna() -> Any:
    try:
        import optuna
    except ImportError as exc:
        raise ImportError(
            f"moving studies to or from Optuna needs Optuna ({exc}): pip install 'hpo_lab[optuna]'"
        ) from exc
    if getattr(optuna, "IS_HPO_LAB", False):
        raise ImportError(
            "the module named 'optuna' is not Optuna (hpo_lab.optuna.install() may have put "
            "hpo_lab in its place); import and export need the real Optuna"
        )
    return optuna


def _check_sqlite_url(url: str) -> None:
    # Optuna creates a missing SQLite file on load; a typo should not make an empty database.
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = url[len("sqlite:///"):]
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no Optuna database at {path!r} (from storage {url!r})")


def _from_optuna_distribution(name: str, d: Any) -> Distribution:
    kind = type(d).__name__
    if kind == "FloatDistribution":
        return FloatDistribution(d.low, d.high, log=d.log, step=d.step)
    if kind == "IntDistribution":
        return IntDistribution(d.low, d.high, log=d.log, step=d.step)
    if kind == "CategoricalDistribution":
        return CategoricalDistribution(tuple(d.choices))
    raise ValueError(f"parameter {name!r} has a distribution hpo_lab cannot read: {d!r}")


def _to_optuna_distribution(optuna: Any, d: Distribution) -> Any:
    dists = optuna.distributions
    if isinstance(d, FloatDistribution):
        return dists.FloatDistribution(d.low, d.high, log=d.log, step=d.step)
    if isinstance(d, IntDistribution):
        return dists.IntDistribution(d.low, d.high, log=d.log, step=d.step)
    return dists.CategoricalDistribution(list(d.choices))


def _optuna_study(optuna: Any, source: Any, study_name: str | None) -> Any:
    if isinstance(source, (str, os.PathLike)):
        url = os.fspath(source)
        if "://" not in url:
            url = f"sqlite:///{url}"
        _check_sqlite_url(url)
        if study_name is None:
            names = optuna.get_all_study_names(storage=url)
            if len(names) != 1:
                raise ValueError(
                    f"pass study_name: the Optuna storage {url!r} holds {len(names)} studies "
                    f"({', '.join(names) or 'none'})"
                )
            study_name = names[0]
        try:
            return optuna.load_study(study_name=study_name, storage=url)
        except KeyError:
            names = optuna.get_all_study_names(storage=url)
            raise ValueError(
                f"no study named {study_name!r} in the Optuna storage {url!r} (studies: "
                f"{', '.join(names) or 'none'})"
            ) from None
    if hasattr(source, "trials") and hasattr(source, "directions"):
        return source
    raise TypeError(
        f"source must be an optuna.Study or an Optuna storage URL, but got {source!r}"
    )


def _study_system_attrs(theirs: Any) -> dict[str, Any]:
    # Optuna 5 keeps them in its storage only (Study.system_attrs was removed).
    try:
        return dict(theirs._storage.get_study_system_attrs(theirs._study_id))
    except Exception:  # another Optuna version, or a study-like object without them
        return dict(getattr(theirs, "system_attrs", {}) or {})


def _converted(t: Any) -> FrozenTrial:
    state = t.state.name
    system_attrs = dict(t.system_attrs)
    reason = system_attrs.pop(_REASON_KEY, None)
    message = system_attrs.pop(_MESSAGE_KEY, None)
    fail_reason: FailReason | None = None
    if state == "FAIL":
        fail_reason = FailReason(reason) if reason in {r.value for r in FailReason} else None
        fail_reason = fail_reason or FailReason.EXCEPTION
        message = message or "failed in Optuna (no reason recorded there)"
    return create_trial(
        state=state,
        value=t.value if state == "COMPLETE" else None,
        params=dict(t.params),
        distributions={n: _from_optuna_distribution(n, d) for n, d in t.distributions.items()},
        user_attrs=dict(t.user_attrs),
        system_attrs=system_attrs,
        intermediate_values=dict(t.intermediate_values),
        datetime_start=t.datetime_start,
        datetime_complete=t.datetime_complete,
        fail_reason=fail_reason,
        fail_message=message if state == "FAIL" else None,
    )


def import_study(
    source: Any,
    *,
    storage: str | os.PathLike[str] | BaseStorage | None = None,
    study_name: str | None = None,
    to_study_name: str | None = None,
) -> Study:
    """Copy an Optuna study into a new hpo_lab study and return it.

    Args:
        source: An ``optuna.Study``, or an Optuna storage URL (``"sqlite:///optuna.db"``; a
            plain path means a SQLite file).
        storage: Where the hpo_lab study goes (``None``: in memory; a path or
            ``"sqlite:///..."``: an hpo_lab SQLite file).
        study_name: The study to read from a storage URL (optional when it holds one).
        to_study_name: The new study's name (default: the Optuna study's).

    Example:
        >>> import optuna
        >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
        >>> theirs = optuna.create_study(study_name="from-optuna", direction="maximize")
        >>> theirs.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> ours = import_study(theirs)
        >>> ours.study_name, ours.direction, len(ours.trials)
        ('from-optuna', 'maximize', 3)
    """
    optuna = _optuna()
    theirs = _optuna_study(optuna, source, study_name)
    if len(theirs.directions) != 1:
        raise ValueError(
            f"Optuna study {theirs.study_name!r} has {len(theirs.directions)} objectives; "
            "multi-objective optimisation is not supported yet"
        )
    trials = sorted(theirs.get_trials(deepcopy=False), key=lambda t: t.number)
    finished = [t for t in trials if t.state.name in _FINISHED]
    converted = [_converted(t) for t in finished]  # every trial checked before writing
    ours = create_study(
        study_name=to_study_name or theirs.study_name,
        storage=os.fspath(storage) if isinstance(storage, os.PathLike) else storage,
        direction=theirs.direction.name.lower(),
    )
    for key, value in theirs.user_attrs.items():
        ours.set_user_attr(key, value)
    for key, value in _study_system_attrs(theirs).items():
        ours.set_system_attr(key, value)
    ours.add_trials(converted)
    if len(finished) < len(trials):
        _logger.warning(
            "import_study: %d unfinished trials of %r (RUNNING or WAITING) were not copied",
            len(trials) - len(finished),
            theirs.study_name,
        )
    return ours


def export_study(
    study: Study,
    *,
    storage: str | None = None,
    study_name: str | None = None,
) -> Any:
    """Copy an hpo_lab study's finished trials into a new Optuna study and return it.

    Args:
        study: The hpo_lab study (its own trials; inherited ones stay behind).
        storage: An Optuna storage URL (``"sqlite:///optuna.db"``), or ``None`` for memory.
        study_name: The Optuna study's name (default: the hpo_lab study's).

    Example:
        >>> import hpo_lab
        >>> ours = hpo_lab.create_study(study_name="to-optuna")
        >>> ours.optimize(lambda t: t.suggest_int("k", 0, 9), n_trials=4)
        >>> theirs = export_study(ours)
        >>> theirs.study_name, len(theirs.trials), theirs.best_value == ours.best_value
        ('to-optuna', 4, True)
    """
    optuna = _optuna()
    if not isinstance(study, Study):
        raise TypeError(f"study must be an hpo_lab Study, but got {study!r}")
    theirs = optuna.create_study(
        study_name=study_name or study.study_name,
        storage=storage,
        direction=study.direction.value,
    )
    for key, value in study.user_attrs.items():
        theirs.set_user_attr(key, value)
    frozen = []
    for t in study.get_trials(deepcopy=False):
        if t.state.value not in _FINISHED:
            continue
        system_attrs = dict(t.system_attrs)
        if t.state == TrialState.FAIL:
            if t.fail_reason is not None:
                system_attrs[_REASON_KEY] = t.fail_reason.value
            if t.fail_message:
                system_attrs[_MESSAGE_KEY] = t.fail_message
        trial = optuna.trial.create_trial(
            state=optuna.trial.TrialState[t.state.value],
            value=t.value if t.state == TrialState.COMPLETE else None,
            params=dict(t.params),
            distributions={
                n: _to_optuna_distribution(optuna, d) for n, d in t.distributions.items()
            },
            user_attrs=dict(t.user_attrs),
            system_attrs=system_attrs,
            intermediate_values=dict(t.intermediate_values),
        )
        trial.datetime_start = t.datetime_start
        trial.datetime_complete = t.datetime_complete
        frozen.append(trial)
    theirs.add_trials(frozen)
    return theirs
