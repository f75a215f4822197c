"""Warm start: a new study seeded with what a finished or running study has learned.

One path for every caller: ``hpo_lab.study.warm_start`` from Python, ``%hpo warm`` and the
control panel's "Warm-start new study" button all create the child here, so the child gets
the same sampler and pruner rules and the same checks whichever way it was asked for.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hpo_lab.search_space._revision import build_constraint

if TYPE_CHECKING:
    from hpo_lab.pruners._base import BasePruner
    from hpo_lab.samplers._base import BaseSampler
    from hpo_lab.study._study import Study

__all__ = ["next_warm_name", "warm_start"]


def next_warm_name(parent: Study) -> str:
    """The first free name ``PARENT_warm1``, ``PARENT_warm2`` ... in the parent's storage.

    Example:
        >>> import hpo_lab
        >>> next_warm_name(hpo_lab.create_study(study_name="svc"))
        'svc_warm1'
    """
    taken = {s.study_name for s in parent.storage.get_all_studies()}
    k = 1
    while f"{parent.study_name}_warm{k}" in taken:
        k += 1
    return f"{parent.study_name}_warm{k}"


def _copy_of(obj: Any, what: str, parent: Study) -> Any:
    try:
        return copy.deepcopy(obj)
    except Exception as exc:
        raise TypeError(
            f"the {what} of study {parent.study_name!r} ({type(obj).__name__}) cannot be "
            f"copied for the new study; pass {what}= to warm_start"
        ) from exc


def warm_start(
    parent: Study,
    study_name: str | None = None,
    *,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    narrow: Mapping[str, Any] | None = None,
) -> Study:
    """Create a study seeded with ``parent``'s finished trials, in the parent's storage.

    The parent's COMPLETE and PRUNED trials that fit the child's space become observations
    for the child's sampler (``child.inherited_trials``; trials the parent adds later are
    seen too) and do not count against the child's budget. Where ``narrow`` is given, the
    sampler also sees the parent's trials outside the narrowed ranges, which
    ``child.inherited_trials`` leaves out.

    Args:
        parent: The study to learn from.
        study_name: The child's name; by default ``PARENT_warm1`` (then ``_warm2`` ...).
        sampler: The child's sampler; by default a copy (``copy.deepcopy``) of the parent's,
            so the two never share state (a sampler's seed stream goes on from where the
            parent's was).
        pruner: The child's pruner; by default a copy of the parent's.
        narrow: Ranges for the child, as for :meth:`Study.narrow`: ``(low, high)`` for a
            numeric parameter, a list of choices for a categorical one. Checked against the
            parent's parameters before the child is created, so a typo creates no study. A
            range for a parameter that none of the inherited trials declares is left out.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.samplers import RandomSampler
        >>> parent = hpo_lab.create_study(study_name="p", sampler=RandomSampler(seed=0))
        >>> parent.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=8)
        >>> child = warm_start(parent, narrow={"x": (0.0, 0.5)})
        >>> child.study_name, child.sampler is parent.sampler
        ('p_warm1', False)
        >>> all(t.params["x"] <= 0.5 for t in child.inherited_trials)
        True
        >>> warm_start(parent, narrow={"depth": (1, 3)})
        Traceback (most recent call last):
        ...
        ValueError: cannot narrow unknown parameter 'depth' (parameters of study 'p': x)
    """
    from hpo_lab.study._study import Study, create_study

    if not isinstance(parent, Study):
        raise TypeError(f"warm_start takes a parent Study, but got {type(parent).__name__}")
    ranges = dict(narrow or {})
    if ranges:
        declared = parent.declared_distributions()
        for name, spec in ranges.items():
            if name not in declared:
                known = ", ".join(sorted(declared)) or "none yet"
                raise ValueError(
                    f"cannot narrow unknown parameter {name!r} (parameters of study "
                    f"{parent.study_name!r}: {known})"
                )
            build_constraint(name, declared[name], spec)
    if sampler is None:
        sampler = _copy_of(parent.sampler, "sampler", parent)
    if pruner is None:
        pruner = _copy_of(parent.pruner, "pruner", parent)
    child = create_study(
        study_name=study_name if study_name is not None else next_warm_name(parent),
        storage=parent.storage,
        direction=parent.direction,
        sampler=sampler,
        pruner=pruner,
        warm_start_from=parent,
    )
    # A parameter that no inherited trial declares (none of its trials fits the new space)
    # cannot be narrowed in the child yet: its range is left out (documented above).
    in_child = child.declared_distributions()
    narrowing = {name: spec for name, spec in ranges.items() if name in in_child}
    if narrowing:
        child.narrow(**narrowing)
    return child
