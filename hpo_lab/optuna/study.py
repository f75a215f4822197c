"""``optuna.study`` on hpo_lab: studies with Optuna's signatures and defaults.

The differences a switching user meets: ``create_study`` and ``load_study`` default to
:class:`~hpo_lab.samplers.TPESampler` as Optuna does (``hpo_lab.create_study`` defaults to
``AutoSampler``), the default pruner is hpo_lab's (``HyperbandPruner()``: Optuna's is
``MedianPruner``, so pass ``pruner=MedianPruner()`` to prune exactly as Optuna would), and
multi-objective studies (``directions=[...]``) are refused with a message.

Example:
    >>> study = create_study(direction=StudyDirection.MAXIMIZE)
    >>> study.direction == StudyDirection.MAXIMIZE == "maximize"
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hpo_lab.pruners import BasePruner
from hpo_lab.samplers import BaseSampler
from hpo_lab.storages import BaseStorage, get_storage
from hpo_lab.study import MaxTrialsCallback, Study, StudyDirection
from hpo_lab.study import create_study as _create_study
from hpo_lab.study import load_study as _load_study

__all__ = [
    "MaxTrialsCallback",
    "Study",
    "StudyDirection",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "load_study",
]


def _direction(direction: Any) -> str:
    if direction is None:
        return "minimize"
    if not isinstance(direction, str) and hasattr(direction, "name"):
        direction = str(direction.name).lower()  # Optuna's own StudyDirection enum
    return StudyDirection(direction).value


def _default_sampler(sampler: BaseSampler | None) -> BaseSampler:
    if sampler is not None:
        return sampler
    from hpo_lab.optuna.samplers import TPESampler

    return TPESampler()


def create_study(
    *,
    storage: str | BaseStorage | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    load_if_exists: bool = False,
    directions: Sequence[str | StudyDirection] | None = None,
) -> Study:
    """Optuna's ``create_study`` (see the module docstring for the defaults).

    Example:
        >>> create_study(directions=["minimize", "maximize"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: multi-objective optimisation is not supported yet: ...
    """
    if directions is not None:
        if direction is not None:
            raise ValueError("give direction or directions, not both")
        if len(directions) != 1:
            raise ValueError(
                "multi-objective optimisation is not supported yet: an hpo_lab study has one "
                f"direction, but got directions={[str(d) for d in directions]!r}"
            )
        direction = directions[0]
    return _create_study(
        storage=storage,
        sampler=_default_sampler(sampler),
        pruner=pruner,
        study_name=study_name,
        direction=_direction(direction),
        load_if_exists=load_if_exists,
    )


def load_study(
    *,
    study_name: str | None,
    storage: str | BaseStorage,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Optuna's ``load_study``; ``study_name=None`` takes the storage's only study.

    Example:
        >>> import hpo_lab
        >>> store = hpo_lab.storages.InMemoryStorage()
        >>> _ = create_study(study_name="only", storage=store)
        >>> load_study(study_name=None, storage=store).study_name
        'only'
    """
    if study_name is None:
        names = get_all_study_names(storage)
        if len(names) != 1:
            raise ValueError(
                f"study_name=None needs a storage with exactly one study, but it has "
                f"{len(names)}: {names}"
            )
        study_name = names[0]
    return _load_study(
        study_name=study_name, storage=storage, sampler=_default_sampler(sampler), pruner=pruner
    )


def delete_study(*, study_name: str, storage: str | BaseStorage) -> None:
    """Delete a study, its trials and its artifact folder.

    Example:
        >>> import hpo_lab
        >>> store = hpo_lab.storages.InMemoryStorage()
        >>> _ = create_study(study_name="gone", storage=store)
        >>> delete_study(study_name="gone", storage=store)
        >>> get_all_study_names(store)
        []
    """
    store = get_storage(storage, create=False)
    store.delete_study(store.get_study_id(study_name))


def get_all_study_names(storage: str | BaseStorage) -> list[str]:
    """The names of the studies in ``storage``.

    Example:
        >>> get_all_study_names(":memory:")
        []
    """
    return [info.study_name for info in get_storage(storage, create=False).get_all_studies()]


def copy_study(
    *,
    from_study_name: str,
    from_storage: str | BaseStorage,
    to_storage: str | BaseStorage,
    to_study_name: str | None = None,
) -> None:
    """Copy a study's finished trials (and study attributes) into another storage.

    Example:
        >>> import hpo_lab
        >>> a, b = hpo_lab.storages.InMemoryStorage(), hpo_lab.storages.InMemoryStorage()
        >>> create_study(study_name="s", storage=a).optimize(
        ...     lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> copy_study(from_study_name="s", from_storage=a, to_storage=b)
        >>> len(load_study(study_name="s", storage=b).trials)
        2
    """
    source = _load_study(study_name=from_study_name, storage=from_storage)
    target = _create_study(
        study_name=to_study_name or from_study_name,
        storage=to_storage,
        direction=source.direction.value,
    )
    for key, value in source.user_attrs.items():
        target.set_user_attr(key, value)
    target.add_trials(t for t in source.trials if t.state.is_finished())
