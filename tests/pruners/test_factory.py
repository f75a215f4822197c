"""Pruners by name, with their arguments: what ``%%hpo --pruner`` and a CLI share."""

from __future__ import annotations

from typing import Any

import pytest

from hpo_lab.pruners import (
    PRUNER_NAMES,
    HyperbandPruner,
    PatientPruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    make_pruner,
    parse_pruner_args,
)


def test_every_name_builds_its_pruner() -> None:
    built = {
        name: make_pruner(name, **({"upper": 1.0} if name == "threshold" else
                                   {"patience": 2} if name == "patient" else {}))
        for name in PRUNER_NAMES
    }
    assert {n: type(p).__name__ for n, p in built.items()} == {
        "none": "NopPruner",
        "median": "MedianPruner",
        "percentile": "PercentilePruner",
        "asha": "SuccessiveHalvingPruner",
        "hyperband": "HyperbandPruner",
        "threshold": "ThresholdPruner",
        "patient": "PatientPruner",
    }


def test_arguments_reach_the_pruner() -> None:
    asha = make_pruner("asha", **parse_pruner_args("reduction_factor=3 min_resource=2 "
                                                   "rank_check=true"))
    assert isinstance(asha, SuccessiveHalvingPruner)
    assert repr(asha).startswith("SuccessiveHalvingPruner(min_resource=2, reduction_factor=3")
    assert asha.rank_check is not None
    hb = make_pruner("hyperband", max_resource=27)
    assert isinstance(hb, HyperbandPruner) and "max_resource=27" in repr(hb)
    th = make_pruner("threshold", **parse_pruner_args("lower=-1.5, upper=2"))
    assert isinstance(th, ThresholdPruner) and "lower=-1.5, upper=2.0" in repr(th)
    patient = make_pruner("patient", **parse_pruner_args("wrapped_pruner=asha patience=3"))
    assert isinstance(patient, PatientPruner) and "SuccessiveHalvingPruner" in repr(patient)
    assert "percentile=40.0" in repr(make_pruner("percentile", percentile=40))


@pytest.mark.parametrize(
    ("kind", "kwargs", "message"),
    [
        ("asha", {"eta": 3}, "asha takes min_resource, reduction_factor"),
        ("asha", {"reduction_factor": 1}, "reduction_factor must be an int >= 2"),
        ("hyperband", {"max_resource": "big"}, "max_resource must be an int >= 1 or 'auto'"),
        ("threshold", {}, "ThresholdPruner needs lower or upper"),
        ("patient", {}, "patient needs patience (an int >= 0)"),
        ("patient", {"patience": 1, "wrapped_pruner": "patient"},
         "wrapped_pruner must be another pruner"),
        ("none", {"x": 1}, "none takes no arguments, but got x=1"),
        ("bogus", {}, "pruner must be one of none, median"),
    ],
)
def test_bad_names_and_arguments_are_one_line(
    kind: str, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as info:
        make_pruner(kind, **kwargs)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        (None, {}),
        ("a=1 b=2.5 c=auto d=none e=False", {"a": 1, "b": 2.5, "c": "auto", "d": None,
                                             "e": False}),
        ({"a": 1}, {"a": 1}),
    ],
)
def test_parse_pruner_args(text: Any, expected: dict[str, Any]) -> None:
    assert parse_pruner_args(text) == expected


@pytest.mark.parametrize("text", ["a", "=1", "a=", "1a=2", "a='x"])
def test_parse_pruner_args_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_pruner_args(text)
    assert "\n" not in str(info.value)
