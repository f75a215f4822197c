"""``param_distributions`` of a scikit-learn search, as hpo_lab parameters.

``RandomizedSearchCV`` accepts, per parameter, a list of values (drawn uniformly) or any object
with an ``rvs`` method (a ``scipy.stats`` distribution). A model-based sampler needs to know the
shape of each range, so every value is turned into an hpo_lab distribution:

==============================================  ==============================================
given                                           searched as
==============================================  ==============================================
an hpo_lab distribution                         itself
a list of ``None``/bool/int/float/str values    ``CategoricalDistribution`` of those values
a list holding other objects (estimators,       ``CategoricalDistribution`` of readable labels,
tuples, callables)                              each mapped back to its object
``scipy.stats.uniform(loc, scale)``             ``FloatDistribution(loc, loc + scale)``
``scipy.stats.loguniform(a, b)``                ``FloatDistribution(a, b, log=True)``
``scipy.stats.randint(low, high)``              ``IntDistribution(low, high - 1)``
any other frozen ``scipy.stats`` distribution   its quantile ``u`` in ``[1e-6, 1 - 1e-6]``
                                                (parameter ``"<name> (quantile)"``), the value
                                                being ``dist.ppf(u)``: the prior's shape is kept
any other object with ``rvs``                   a seed (parameter ``"<name> (seed)"``), the value
                                                being ``obj.rvs(random_state=seed)``: random
                                                search only, nothing for a model to learn
==============================================  ==============================================

A list of dicts (several sub-spaces, as ``RandomizedSearchCV`` takes) adds a categorical
parameter ``"(subspace)"`` that picks one dict per trial; a name whose range differs between
the dicts is searched as ``"<name>@<index>"`` so that each range keeps its own distribution.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.trial._base import TrialInterface

__all__ = ["SUBSPACE", "ParamSpec", "SearchSpace", "parse_param_distributions"]

#: The parameter that picks a sub-space when ``param_distributions`` is a list of dicts.
SUBSPACE = "(subspace)"

_Q_LOW, _Q_HIGH = 1e-6, 1.0 - 1e-6
_MAX_LABEL = 60


def _plain(value: Any) -> bool:
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(
        value, "ndim", 0
    ) == 0:
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return False
    return value is None or isinstance(value, (bool, int, float, str))


def _scalar(value: Any) -> Any:
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(
        value, "ndim", 0
    ) == 0:
        return value.item()
    return value


def _label(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 3] + "..."


@dataclass(frozen=True, eq=False)
class ParamSpec:
    """How one scikit-learn parameter is searched.

    Attributes:
        name: The estimator parameter (a ``set_params`` key).
        key: The hpo_lab parameter the trial suggests.
        distribution: What the trial suggests ``key`` from.
        kind: ``"value"`` (the suggestion is the value), ``"label"`` (a label of ``objects``),
            ``"quantile"`` (``source.ppf`` of the suggestion) or ``"seed"``
            (``source.rvs(random_state=suggestion)``).
        objects: For ``"label"``: the objects, in the order of the labels.
        source: For ``"quantile"`` and ``"seed"``: the distribution given.
    """

    name: str
    key: str
    distribution: Distribution
    kind: str = "value"
    objects: tuple[Any, ...] = ()
    source: Any = None

    def suggest(self, trial: TrialInterface) -> Any:
        """Suggest this parameter on ``trial`` and return the estimator's value."""
        d = self.distribution
        if isinstance(d, FloatDistribution):
            raw: Any = trial.suggest_float(self.key, d.low, d.high, step=d.step, log=d.log)
        elif isinstance(d, IntDistribution):
            raw = trial.suggest_int(self.key, d.low, d.high, step=d.step, log=d.log)
        else:
            raw = trial.suggest_categorical(self.key, d.choices)
        return self.decode(raw)

    def decode(self, raw: Any) -> Any:
        """The estimator's value for the stored value ``raw`` of :attr:`key`."""
        if self.kind == "label":
            assert isinstance(self.distribution, CategoricalDistribution)
            return self.objects[self.distribution.index(raw)]
        if self.kind == "quantile":
            value = self.source.ppf(raw)
            if _is_discrete(self.source):
                return int(value)
            return float(value)
        if self.kind == "seed":
            return _scalar(self.source.rvs(random_state=int(raw)))
        return raw

    def same_range(self, other: ParamSpec) -> bool:
        """Whether two sub-spaces search this name alike (so one hpo_lab parameter serves)."""
        return (
            self.kind == other.kind
            and self.distribution == other.distribution
            and len(self.objects) == len(other.objects)
            and all(a is b for a, b in zip(self.objects, other.objects))
            and self.source is other.source
        )


def _is_discrete(frozen: Any) -> bool:
    from scipy import stats

    return isinstance(getattr(frozen, "dist", None), stats.rv_discrete)


def _from_scipy(name: str, frozen: Any) -> ParamSpec | None:
    """A frozen ``scipy.stats`` distribution as a parameter, or ``None`` if it is not one."""
    dist = getattr(frozen, "dist", None)
    if dist is None or not hasattr(frozen, "ppf") or not hasattr(frozen, "args"):
        return None
    dist_name = getattr(dist, "name", "")
    args = tuple(frozen.args)
    kwds = dict(frozen.kwds)
    try:
        if dist_name == "uniform":
            loc, scale = _loc_scale(args, kwds, 0)
            if scale > 0:
                return ParamSpec(name, name, FloatDistribution(loc, loc + scale))
        elif dist_name in ("loguniform", "reciprocal"):
            a = float(args[0]) if len(args) > 0 else float(kwds["a"])
            b = float(args[1]) if len(args) > 1 else float(kwds["b"])
            loc, scale = _loc_scale(args, kwds, 2)
            if loc == 0.0 and scale == 1.0 and 0 < a < b:
                return ParamSpec(name, name, FloatDistribution(a, b, log=True))
        elif dist_name == "randint":
            low = int(args[0]) if len(args) > 0 else int(kwds["low"])
            high = int(args[1]) if len(args) > 1 else int(kwds["high"])
            loc, _ = _loc_scale(args, kwds, 2, discrete=True)
            if high - 1 >= low:
                return ParamSpec(name, name, IntDistribution(low + int(loc), high - 1 + int(loc)))
    except (KeyError, IndexError, TypeError, ValueError):
        pass
    return ParamSpec(
        name, f"{name} (quantile)", FloatDistribution(_Q_LOW, _Q_HIGH), "quantile", source=frozen
    )


def _loc_scale(
    args: tuple[Any, ...], kwds: dict[str, Any], n_shape: int, *, discrete: bool = False
) -> tuple[float, float]:
    loc = args[n_shape] if len(args) > n_shape else kwds.get("loc", 0.0)
    if discrete:
        return float(loc), 1.0
    scale = args[n_shape + 1] if len(args) > n_shape + 1 else kwds.get("scale", 1.0)
    return float(loc), float(scale)


def _from_values(name: str, values: Any) -> ParamSpec:
    items: list[Any] = []
    for v in values:
        if not any(v is u or (_plain(v) and _plain(u) and _same_plain(v, u)) for u in items):
            items.append(v)
    if not items:
        raise ValueError(f"param_distributions[{name!r}] is an empty list; give at least one value")
    if all(_plain(v) for v in items):
        return ParamSpec(name, name, CategoricalDistribution(tuple(_scalar(v) for v in items)))
    labels = [_label(v) for v in items]
    if len(set(labels)) < len(labels):
        labels = [f"{i}: {label}" for i, label in enumerate(labels)]
    return ParamSpec(
        name, name, CategoricalDistribution(tuple(labels)), "label", objects=tuple(items)
    )


def _same_plain(a: Any, b: Any) -> bool:
    a, b = _scalar(a), _scalar(b)
    return type(a) is type(b) and a == b


def _one(name: Any, value: Any) -> ParamSpec:
    if not isinstance(name, str) or not name:
        raise TypeError(f"param_distributions keys must be parameter names (str), but got {name!r}")
    if isinstance(value, (FloatDistribution, IntDistribution, CategoricalDistribution)):
        return ParamSpec(name, name, value)
    if hasattr(value, "rvs"):
        spec = _from_scipy(name, value)
        if spec is not None:
            return spec
        return ParamSpec(
            name, f"{name} (seed)", IntDistribution(0, 2**31 - 1), "seed", source=value
        )
    if isinstance(value, (str, bytes, Mapping)) or not (
        isinstance(value, Sequence) or getattr(value, "ndim", None) == 1
    ):
        raise TypeError(
            f"param_distributions[{name!r}] must be a list of values, a scipy.stats "
            f"distribution (anything with an rvs method) or an hpo_lab distribution, but got "
            f"{value!r}"
        )
    return _from_values(name, value)


@dataclass(frozen=True)
class SearchSpace:
    """The parsed ``param_distributions``: one list of :class:`ParamSpec` per sub-space."""

    subspaces: tuple[tuple[ParamSpec, ...], ...]

    @property
    def names(self) -> list[str]:
        """Every estimator parameter searched, in the order first given."""
        seen: dict[str, None] = {}
        for sub in self.subspaces:
            for spec in sub:
                seen.setdefault(spec.name, None)
        return list(seen)

    def suggest(self, trial: TrialInterface) -> dict[str, Any]:
        """Suggest one point on ``trial``; return the estimator's parameters."""
        return {spec.name: spec.suggest(trial) for spec in self._pick(trial, None)}

    def decode(self, stored: Mapping[str, Any]) -> dict[str, Any] | None:
        """The estimator's parameters of a stored trial (``None`` if it lacks some)."""
        specs = self._pick(None, stored)
        if specs is None or any(spec.key not in stored for spec in specs):
            return None
        return {spec.name: spec.decode(stored[spec.key]) for spec in specs}

    def _pick(self, trial: Any, stored: Mapping[str, Any] | None) -> Any:
        if len(self.subspaces) == 1:
            return self.subspaces[0]
        choices = list(range(len(self.subspaces)))
        if trial is not None:
            return self.subspaces[trial.suggest_categorical(SUBSPACE, choices)]
        assert stored is not None
        index = stored.get(SUBSPACE)
        if not isinstance(index, int) or not 0 <= index < len(self.subspaces):
            return None
        return self.subspaces[index]


def parse_param_distributions(param_distributions: Any) -> SearchSpace:
    """Check ``param_distributions`` (a dict, or a non-empty list of dicts) and parse it.

    Example:
        >>> from scipy.stats import loguniform
        >>> space = parse_param_distributions({"C": loguniform(1e-3, 1e3), "kernel": ["rbf"]})
        >>> [(s.key, s.distribution) for s in space.subspaces[0]]  # doctest: +NORMALIZE_WHITESPACE
        [('C', FloatDistribution(low=0.001, high=1000.0, log=True, step=None)),
         ('kernel', CategoricalDistribution(choices=('rbf',)))]
        >>> parse_param_distributions({"C": 3})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        TypeError: param_distributions['C'] must be a list of values, a scipy.stats ... but got 3
    """
    if isinstance(param_distributions, Mapping):
        dicts: list[Mapping[str, Any]] = [param_distributions]
    elif isinstance(param_distributions, Sequence) and not isinstance(
        param_distributions, (str, bytes)
    ):
        dicts = list(param_distributions)
        if not dicts or not all(isinstance(d, Mapping) for d in dicts):
            raise TypeError(
                "param_distributions must be a dict or a non-empty list of dicts, but got "
                f"{param_distributions!r}"
            )
    else:
        raise TypeError(
            "param_distributions must be a dict or a non-empty list of dicts, but got "
            f"{param_distributions!r}"
        )
    parsed = [[_one(name, value) for name, value in d.items()] for d in dicts]
    for sub in parsed:
        if not sub:
            raise ValueError("param_distributions has an empty dict; name at least one parameter")
        for spec in sub:
            if spec.key == SUBSPACE:
                raise ValueError(f"{SUBSPACE!r} is reserved; rename that parameter")
    if len(parsed) > 1:
        # A name searched differently in two sub-spaces gets one hpo_lab parameter per range.
        by_name: dict[str, list[ParamSpec]] = {}
        for sub in parsed:
            for spec in sub:
                by_name.setdefault(spec.name, []).append(spec)
        split = {
            n for n, specs in by_name.items() if not all(s.same_range(specs[0]) for s in specs)
        }
        parsed = [
            [
                ParamSpec(s.name, f"{s.key}@{i}", s.distribution, s.kind, s.objects, s.source)
                if s.name in split
                else s
                for s in sub
            ]
            for i, sub in enumerate(parsed)
        ]
    return SearchSpace(tuple(tuple(sub) for sub in parsed))
