"""End-to-end checks of bad and extreme inputs: parameter ranges, choices, attributes, reports.

Every check runs on both stores (in memory and SQLite): they must accept, refuse and read
back the same.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpo_lab
from hpo_lab import _json
from hpo_lab.distributions import FloatDistribution, IntDistribution, as_choices
from hpo_lab.samplers import RandomSampler
from hpo_lab.storages import get_storage
from hpo_lab.storages._base import BaseStorage
from hpo_lab.trial import TrialState

STORES = ["memory", "sqlite"]


def _strict_json(text: str) -> Any:
    """``json.loads`` that refuses the non-standard ``NaN``/``Infinity`` tokens."""

    def refuse(token: str) -> Any:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def _same(a: Any, b: Any) -> bool:
    """Equality that counts NaN equal to NaN and tells 1 from 1.0 and True."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


class Store:
    """A storage of one kind, and a way to read the SQLite file's raw text."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.path = tmp_path / "inputs.db"
        self.storage: BaseStorage = get_storage(None if kind == "memory" else str(self.path))

    def study(self) -> hpo_lab.Study:
        return hpo_lab.create_study(storage=self.storage, sampler=RandomSampler(seed=0))

    def raw(self, column: str) -> list[str]:
        """The stored JSON text of ``column`` for every trial (SQLite only; else empty)."""
        if self.kind != "sqlite":
            return []
        with sqlite3.connect(self.path) as conn:
            return [r[0] for r in conn.execute(f"SELECT {column} FROM trials ORDER BY number")]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = Store(request.param, tmp_path)
    yield s
    s.storage.close()


def _nested_list(depth: int) -> list[Any]:
    root: list[Any] = []
    inner = root
    for _ in range(depth - 1):
        inner.append([])
        inner = inner[0]
    return root


# -- A. parameter ranges ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("low", "high"), [(-1e308, 1e308), (-1.7e308, 1.7e308), (-1.7976931348623157e308, 1e300)]
)
def test_a_float_range_wider_than_the_largest_float_is_refused(
    store: Store, low: float, high: float
) -> None:
    study = store.study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"parameter 'x': high - low must not exceed the largest"):
        trial.suggest_float("x", low, high)
    with pytest.raises(ValueError, match=re.escape(f"but got low={low!r}, high={high!r};")):
        FloatDistribution(low, high)
    study.tell(trial, state=TrialState.FAIL)
    assert [t.state for t in study.trials] == [TrialState.FAIL]


def test_the_widest_accepted_float_range_samples_across_it(store: Store) -> None:
    study = store.study()
    study.optimize(lambda t: t.suggest_float("x", -8e307, 8e307) * 0.0, n_trials=40)
    xs = [t.params["x"] for t in study.trials]
    assert all(-8e307 <= x <= 8e307 for x in xs)
    assert len(set(xs)) == 40
    assert min(xs) < -1e307 and max(xs) > 1e307  # spread, not piled on a bound


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        pytest.param(
            0, 2**53 + 1, r"'n': high must lie within \+-2\*\*53 .* high=9007199254740993",
            id="2**53+1",
        ),
        pytest.param(
            -(2**60), 0, r"'n': low must lie within \+-2\*\*53 .* low=-1152921504606846976",
            id="-2**60",
        ),
        pytest.param(
            0, 10**400, r"'n': high must lie .* high=1e\+400 \(an int of 401 digits\)", id="10**400"
        ),
        pytest.param(0, 1e20, r"'n': high must lie within \+-2\*\*53 .* high=1e\+20", id="1e20"),
        pytest.param(0, 2.5, r"'n': high must be an integer, but got high=2.5", id="2.5"),
    ],
)
def test_int_bounds_beyond_2_53_are_refused_with_the_rule(
    store: Store, low: Any, high: Any, message: str
) -> None:
    trial = store.study().ask()
    with pytest.raises(ValueError, match="^parameter " + message):
        trial.suggest_int("n", low, high)


def test_int_bounds_up_to_2_53_are_exact(store: Store) -> None:
    study = store.study()
    top = 2**53
    study.optimize(lambda t: float(t.suggest_int("n", top - 6, top, step=3) - top), n_trials=8)
    values = {t.params["n"] for t in study.trials}
    assert values <= {top - 6, top - 3, top}
    assert all(type(v) is int for v in values)
    assert study.trials[0].distributions["n"] == IntDistribution(top - 6, top, step=3)


def test_float_bounds_beyond_the_float_range_are_refused(store: Store) -> None:
    trial = store.study().ask()
    with pytest.raises(ValueError, match=r"parameter 'x': high must lie within the float range"):
        trial.suggest_float("x", 0, 10**400)
    with pytest.raises(ValueError, match=r"parameter 'x': step must be at least 5.7e-14"):
        trial.suggest_float("x", 0, 1e300, step=1e-300)


def _built_or_refused(make: Callable[[], Any]) -> Any:
    """What ``make()`` returns, or ``None`` after checking that its ``ValueError`` is one line
    naming the value (no other exception is allowed)."""
    try:
        return make()
    except ValueError as exc:
        message = str(exc)
    assert "\n" not in message and "but got" in message
    return None


@settings(max_examples=200, deadline=None)
@given(
    low=st.one_of(st.floats(), st.integers(-(2**1100), 2**1100)),
    high=st.one_of(st.floats(), st.integers(-(2**1100), 2**1100)),
    step=st.one_of(st.none(), st.floats(), st.integers(-5, 2**60)),
)
def test_float_ranges_are_accepted_with_a_finite_width_or_refused_clearly(
    low: Any, high: Any, step: Any
) -> None:
    d = _built_or_refused(lambda: FloatDistribution(low, high, step=step))
    if not isinstance(d, FloatDistribution):
        return
    assert math.isfinite(d.high - d.low)
    if d.step is not None:
        assert (d.high - d.low) / d.step <= 2**53


@settings(max_examples=200, deadline=None)
@given(
    low=st.one_of(st.integers(-(2**70), 2**70), st.floats()),
    high=st.one_of(st.integers(-(2**70), 2**70), st.floats()),
)
def test_int_ranges_are_exact_or_refused_clearly(low: Any, high: Any) -> None:
    d = _built_or_refused(lambda: IntDistribution(low, high))
    if not isinstance(d, IntDistribution):
        return
    for v in (d.low, d.high):
        assert d.to_external(d.to_internal(v)) == v
        assert abs(v) <= 2**53


# -- A. categorical choices ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ("abc", r"parameter 'c': choices must be a list or tuple of values, but got the str 'abc'"),
        (b"ab", r"parameter 'c': choices must be a list or tuple of values, but got bytes b'ab'"),
        ({"a", "b"}, r"parameter 'c': .* \(their order matters\), but got a set: \{'a', 'b'\}"),
        (frozenset({1, 2}), r"parameter 'c': .*order matters.*but got a frozenset: \{1, 2\}"),
        ({"a": 1}, r"parameter 'c': choices must be a list or tuple of values, but got a dict"),
    ],
)
def test_unordered_or_string_choices_are_refused(store: Store, choices: Any, message: str) -> None:
    study = store.study()
    trial = study.ask()
    with pytest.raises(ValueError, match=message):
        trial.suggest_categorical("c", choices)
    with pytest.raises(ValueError, match=message.replace("parameter 'c': ", "")):
        as_choices(choices)
    study.tell(trial, state=TrialState.FAIL)
    assert study.trials[0].params == {}


def test_ordered_choices_keep_their_order() -> None:
    assert as_choices(["b", "a"]) == ("b", "a")
    assert as_choices(("b", "a")) == ("b", "a")
    assert as_choices(range(3)) == (0, 1, 2)
    assert as_choices(np.array([3, 1])) == (3, 1)
    with pytest.raises(ValueError, match="but got generator"):
        as_choices(c for c in "ab")


# -- A. attribute names and values -----------------------------------------------------------
_BAD_KEYS = [
    (1, TypeError, r"user attribute keys must be non-empty str, but got 1 \(int\)"),
    (None, TypeError, r"keys must be non-empty str, but got None \(NoneType\)"),
    (("a",), TypeError, r"keys must be non-empty str, but got \('a',\) \(tuple\)"),
    ("", ValueError, r"user attribute keys must be non-empty str, but got ''"),
]


@pytest.mark.parametrize(("key", "error", "message"), _BAD_KEYS)
def test_attribute_keys_must_be_non_empty_str_in_both_stores(
    store: Store, key: Any, error: type[Exception], message: str
) -> None:
    study = store.study()
    trial = study.ask()
    with pytest.raises(error, match=message):
        store.storage.set_trial_attr(trial.trial_id, key, 1)
    with pytest.raises(error, match=message.replace("user attribute", "study user attribute")):
        study.set_user_attr(key, 1)
    study.tell(trial, 0.0)
    assert study.trials[0].user_attrs == {}
    assert study.user_attrs == {}


@pytest.mark.parametrize(("key", "error", "message"), _BAD_KEYS)
def test_a_trial_checks_attribute_keys_with_the_same_rule(
    store: Store, key: Any, error: type[Exception], message: str
) -> None:
    study = store.study()
    trial = study.ask()
    with pytest.raises(error, match=message):
        trial.set_user_attr(key, 1)
    study.tell(trial, 0.0)
    assert study.trials[0].user_attrs == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1: "a"}, r"but got a dict key that is not a str: 1 \(int\)$"),
        (
            {"per_class": [{None: 0.5}]},
            r"but got a dict key that is not a str: None \(NoneType\) at d\['per_class'\]\[0\]$",
        ),
        ({"s": {1, 2}}, r"but got a set \(unordered\): \{1, 2\} at d\['s'\]$"),
        (b"raw", r"but got b'raw' of type bytes$"),
    ],
)
def test_values_are_refused_the_same_way_in_both_stores(
    store: Store, value: Any, message: str
) -> None:
    study = store.study()
    trial = study.ask()
    rule = r"user attribute 'd' must be JSON data \(.* dict with str keys, .*\), "
    with pytest.raises(ValueError, match=r"^" + rule + message):
        trial.set_user_attr("d", value)
    with pytest.raises(ValueError, match=r"^study " + rule + message):
        study.set_user_attr("d", value)
    study.tell(trial, 1.0)
    assert study.trials[0].state == TrialState.COMPLETE
    assert study.trials[0].user_attrs == {}


def test_non_finite_floats_read_back_exactly_as_standard_json(store: Store) -> None:
    study = store.study()
    trial = study.ask()
    value = {
        "nan": math.nan,
        "inf": [math.inf, -math.inf, -0.0],
        "np": np.array([1.5, np.nan]),
        "tag-like": {"$float": "NaN"},
        "$dict": {"$dict": 1},
    }
    trial.set_user_attr("m", value)
    study.set_user_attr("m", value)
    trial.report(math.nan, 0)
    trial.report(math.inf, 1)
    trial.report(-math.inf, 2)
    study.tell(trial, 0.5)
    expected = {
        "nan": math.nan,
        "inf": [math.inf, -math.inf, -0.0],
        "np": [1.5, math.nan],
        "tag-like": {"$float": "NaN"},
        "$dict": {"$dict": 1},
    }
    stored = study.trials[0]
    assert _same(stored.user_attrs["m"], expected)
    assert _same(study.user_attrs["m"], expected)
    assert math.isnan(stored.intermediate_values[0])
    assert stored.intermediate_values[1] == math.inf
    assert stored.intermediate_values[2] == -math.inf
    # A NaN report is the worst value for pruners: it must stay readable, a float.
    assert all(isinstance(v, float) for v in stored.intermediate_values.values())
    for column in ("user_attrs", "intermediate_values"):
        for text in store.raw(column):
            _strict_json(text)
    if store.kind == "sqlite":
        again = hpo_lab.load_study(study_name=study.study_name, storage=str(store.path))
        assert _same(again.trials[0].user_attrs["m"], expected)
        assert math.isnan(again.trials[0].intermediate_values[0])


def test_text_written_before_the_tags_still_reads() -> None:
    got = _json.loads('{"0":NaN,"1":-Infinity,"2":{"$x":1}}')
    assert math.isnan(got["0"]) and got["1"] == -math.inf and got["2"] == {"$x": 1}
    with pytest.raises(ValueError, match="cannot be written as JSON: a set"):
        _json.dumps({"s": {1}})


def test_deep_nesting_is_refused_clearly_and_the_trial_stays_stored(store: Store) -> None:
    study = store.study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"user attribute 'deep' .* nested more than 100 levels"):
        trial.set_user_attr("deep", _nested_list(10_000))
    with pytest.raises(ValueError, match=r"study user attribute 'deep' .* nested more than 100"):
        study.set_user_attr("deep", _nested_list(10_000))
    trial.set_user_attr("ok", _nested_list(100))  # the limit itself is fine
    cycle: list[Any] = [1]
    cycle.append(cycle)
    with pytest.raises(ValueError, match=r"'cycle' .* a list or dict that contains itself at"):
        trial.set_user_attr("cycle", cycle)
    study.tell(trial, 2.0)
    stored = study.trials[0]
    assert stored.state == TrialState.COMPLETE and stored.value == 2.0
    assert stored.user_attrs["ok"] == _nested_list(100)
    assert "deep" not in stored.user_attrs and "cycle" not in stored.user_attrs


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
)
_keys = st.one_of(st.text(max_size=4), st.sampled_from(["$float", "$dict", "$", "$x"]))
_json_values = st.recursive(
    _scalars | st.sampled_from([{"$float": "NaN"}, {"$float": "Infinity"}, {"$dict": {}}]),
    lambda inner: st.lists(inner, max_size=3)
    | st.tuples(inner, inner)
    | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


def _as_read_back(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_as_read_back(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_read_back(v) for k, v in value.items()}
    return value


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=_json_values)
def test_values_round_trip_exactly_and_the_same_in_both_stores(
    tmp_path_factory: pytest.TempPathFactory, value: Any
) -> None:
    expected = _as_read_back(value)
    assert _same(_json.check_jsonable("user attribute", "v", value), expected)
    text = _json.dumps(value)
    _strict_json(text)
    assert _same(_json.loads(text), expected)
    for kind in STORES:
        store = Store(kind, tmp_path_factory.mktemp(kind))
        try:
            study = store.study()
            trial = study.ask()
            trial.set_user_attr("v", value)
            trial.report(0.5, 0)
            study.tell(trial, 1.0)
            assert _same(study.trials[0].user_attrs["v"], expected), kind
            for text in store.raw("user_attrs"):
                _strict_json(text)
        finally:
            store.storage.close()


# -- B. a narrowing that the objective's declaration no longer meets ---------------------------
def test_an_ignored_narrowing_is_logged_once_per_declaration(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    study = store.study()
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=3)
    study.narrow(x=(0.2, 0.4))
    with caplog.at_level(logging.WARNING, logger="hpo_lab"):
        study.optimize(lambda t: t.suggest_float("x", 0.5, 1.0), n_trials=4)
        study.optimize(lambda t: t.suggest_float("x", 0.6, 1.0), n_trials=2)
        study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    messages = [r.getMessage() for r in caplog.records if "narrowing of 'x'" in r.getMessage()]
    assert messages == [
        "narrowing of 'x' to [0.2, 0.4] (search-space revision 1) does not apply: the objective "
        f"now declares 'x' as [{lo}, 1.0], which has no value inside it, so 'x' is sampled from "
        "the declaration; narrow 'x' again to match it"
        for lo in (0.5, 0.6)
    ]
    xs = [t.params["x"] for t in study.trials]
    assert all(0.5 <= x <= 1.0 for x in xs[3:7])
    assert all(0.6 <= x <= 1.0 for x in xs[7:9])
    assert all(0.2 <= x <= 0.4 for x in xs[9:])  # the constraint applies again
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 11


# -- C. narrowing specs --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ((math.nan, 0.5), r"narrowing 'x': low must be a finite number, but got low=nan"),
        ((0.1, math.inf), r"narrowing 'x': high must be a finite number, but got high=inf"),
        ((0.1, 10**400), r"narrowing 'x': high must be a finite number, but got high=1e\+400"),
        (("0.1", 0.5), r"narrowing 'x': low must be a number .* but got low='0.1'"),
        ((0.5, 0.2), r"narrowing 'x': low must be <= high, but got low=0.5, high=0.2"),
        ((-1, 0.5), r"cannot narrow 'x' to \[-1, 0.5\]: outside its declared range \[0.0, 1.0\]"),
    ],
)
def test_narrowing_errors_name_the_parameter_value_and_rule(
    store: Store, spec: Any, message: str
) -> None:
    study = store.study()
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    with pytest.raises(ValueError, match=message):
        study.narrow(x=spec)
    assert len(study.search_space_history) == 1
