"""StudyDirection and MaxTrialsCallback in the core."""

from __future__ import annotations

import json
import pickle

import pytest

import hpo_lab
from hpo_lab.study import MaxTrialsCallback, StudyDirection


def test_the_direction_is_an_enum_equal_to_its_string(tmp_path: object) -> None:
    study = hpo_lab.create_study(direction=StudyDirection.MAXIMIZE, study_name="s")
    assert study.direction is StudyDirection.MAXIMIZE
    assert study.direction == "maximize" and study.direction == "maximize"
    assert {study.direction: 1}["maximize"] == 1
    assert json.dumps(study.direction) == '"maximize"'
    assert pickle.loads(pickle.dumps(study.direction)) is StudyDirection.MAXIMIZE
    assert str(study.direction) == f"{study.direction}" == "maximize"
    assert repr(study) == "Study(study_name='s', direction='maximize')"
    with pytest.raises(ValueError) as info:
        StudyDirection("up")
    assert str(info.value) == "direction must be 'minimize' or 'maximize', but got 'up'"


def test_max_trials_callback_stops_at_a_total_across_optimize_calls(tmp_path: object) -> None:
    path = str(tmp_path) + "/capped.db"  # type: ignore[operator]
    for _ in range(3):
        study = hpo_lab.create_study(study_name="c", storage=path, load_if_exists=True)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4,
                       callbacks=[MaxTrialsCallback(9)])
    assert len(study.trials) == 9
    counted = MaxTrialsCallback(2, states=None)
    study = hpo_lab.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5, callbacks=[counted])
    assert len(study.trials) == 2
    assert repr(counted) == "MaxTrialsCallback(n_trials=2, states=None)"
