"""``hpo_lab.optuna``: Optuna's names on hpo_lab, and code written for Optuna plugging in."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

import hpo_lab
import hpo_lab.optuna as shim
from hpo_lab.optuna._facade import OptunaStudyView
from hpo_lab.pruners import HyperbandPruner
from hpo_lab.study import StudyDirection


def test_install_points_every_optuna_module_at_hpo_lab_and_uninstall_restores() -> None:
    import optuna as real

    assert not getattr(real, "IS_HPO_LAB", False)
    with shim.installed():
        import optuna
        from optuna.terminator.callback import TerminatorCallback
        from optuna.terminator.erroreval import report_cross_validation_scores

        assert optuna.IS_HPO_LAB
        assert TerminatorCallback is hpo_lab.terminator.TerminatorCallback
        assert report_cross_validation_scores is hpo_lab.terminator.report_cross_validation_scores
        for name, target in shim._install.MODULES.items():
            assert sys.modules[name] is importlib.import_module(target)
    import optuna

    assert optuna is real
    assert sys.modules["optuna.samplers"] is real.samplers


def test_import_and_export_refuse_to_run_on_the_shim() -> None:
    with shim.installed(), pytest.raises(ImportError, match="need the real Optuna"):
        shim.export_study(hpo_lab.create_study())


def test_optuna_defaults_and_a_refused_multi_objective_study() -> None:
    study = shim.create_study()
    assert isinstance(study.sampler, shim.samplers.TPESampler)
    # Optuna's default pruner is MedianPruner; hpo_lab's is HyperbandPruner with the rank check
    # (measured).
    assert isinstance(study.pruner, HyperbandPruner) and study.pruner.rank_check is not None
    with pytest.raises(ValueError, match=r"^multi-objective optimisation is not supported yet"):
        shim.create_study(directions=["minimize", "maximize"])
    assert shim.create_study(directions=["maximize"]).direction == "maximize"
    import optuna as real

    # Optuna's own enum is understood too.
    assert shim.create_study(direction=real.study.StudyDirection.MAXIMIZE).direction == "maximize"


def test_study_direction_is_an_enum_that_stays_the_string() -> None:
    study = hpo_lab.create_study(study_name="d", direction="maximize")
    assert study.direction is StudyDirection.MAXIMIZE
    assert study.direction == "maximize" and study.direction == shim.study.StudyDirection.MAXIMIZE
    assert repr(study) == "Study(study_name='d', direction='maximize')"
    assert f"{study.direction}" == "maximize" and study.view.direction == "maximize"
    assert hpo_lab.load_study(study_name="d", storage=study.storage).direction == "maximize"


def test_load_study_without_a_name_needs_exactly_one_study() -> None:
    store = hpo_lab.storages.InMemoryStorage()
    shim.create_study(study_name="a", storage=store)
    shim.create_study(study_name="b", storage=store)
    with pytest.raises(ValueError, match=r"exactly one study, but it has 2: \['a', 'b'\]"):
        shim.load_study(study_name=None, storage=store)


def test_old_distribution_names_build_and_recognise_the_new_ones() -> None:
    d = shim.distributions
    assert d.LogUniformDistribution(1e-3, 1.0) == hpo_lab.distributions.FloatDistribution(
        1e-3, 1.0, log=True
    )
    assert isinstance(hpo_lab.distributions.FloatDistribution(0, 1, step=0.5),
                      d.DiscreteUniformDistribution)
    assert not isinstance(hpo_lab.distributions.FloatDistribution(0, 1), d.IntUniformDistribution)
    assert isinstance(hpo_lab.distributions.IntDistribution(1, 9, log=True),
                      d.IntLogUniformDistribution)


def test_missing_names_say_why() -> None:
    with pytest.raises(AttributeError, match="NSGAIISampler has no hpo_lab counterpart: multi"):
        shim.samplers.NSGAIISampler
    with pytest.raises(AttributeError, match="plot_pareto_front has no hpo_lab counterpart"):
        shim.visualization.plot_pareto_front
    with pytest.raises(AttributeError, match="JournalStorage has no hpo_lab counterpart"):
        shim.storages.JournalStorage
    with pytest.raises(AttributeError, match=r"optuna\.integration\.NoSuchCallback has no hpo_lab"):
        shim.integration.NoSuchCallback
    name = "SuccessiveHalvingPruner"
    if hasattr(hpo_lab.pruners, name):
        assert getattr(shim.pruners, name) is getattr(hpo_lab.pruners, name)
    else:
        with pytest.raises(AttributeError, match=f"{name} has no hpo_lab counterpart yet"):
            getattr(shim.pruners, name)


def test_rdb_storage_opens_sqlite_and_refuses_other_databases(tmp_path: Path) -> None:
    store = shim.storages.RDBStorage(f"sqlite:///{tmp_path / 'a.db'}", heartbeat_interval=5)
    assert store.heartbeat_interval == 5.0  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"^storage 'postgresql://u@h/db' is not supported"):
        shim.storages.RDBStorage("postgresql://u@h/db")


class _Recorder(shim.samplers.BaseSampler):
    """A sampler written against Optuna's contract, recording what it is shown."""

    def __init__(self) -> None:
        self.seen: list[Any] = []
        self.values: list[Any] = []

    def infer_relative_search_space(self, study: Any, trial: Any) -> Any:
        return shim.samplers.intersection_search_space(study)

    def sample_relative(self, study: Any, trial: Any, search_space: Any) -> Any:
        self.seen.append((type(study), study.direction, len(study.trials), dict(search_space)))
        best = study.best_trial
        return {name: best.params[name] for name in search_space}

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        return dist.low

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self.values.append(values)


def test_a_sampler_written_for_optuna_plugs_in() -> None:
    sampler = _Recorder()
    study = shim.create_study(sampler=sampler, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) + 1.0, n_trials=3)
    assert [t.params["x"] for t in study.trials] == [0.0, 0.0, 0.0]
    kinds = {entry[0] for entry in sampler.seen}
    assert kinds == {OptunaStudyView}
    assert sampler.seen[0][1] == shim.study.StudyDirection.MAXIMIZE
    assert [entry[2] for entry in sampler.seen] == [2, 3]  # the running trial counts, as in Optuna
    assert sampler.values == [[1.0], [1.0], [1.0]]


def test_the_optuna_view_reads_own_and_inherited_trials_apart() -> None:
    parent = hpo_lab.create_study(study_name="p")
    parent.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    child = hpo_lab.create_study(study_name="c", storage=parent.storage, warm_start_from=parent)
    child.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    view = OptunaStudyView(child.view)
    assert len(view.trials) == 2 and len(view.inherited_trials) == 3
    assert len(view.get_trials(None, include_inherited=True)) == 5
    shared = view.get_trials(deepcopy=False)
    assert shared[0] is child.view.get_trials(include_inherited=False)[0]
    assert view.get_trials()[0] is not shared[0]
    assert view.best_trial.number in (0, 1) and view.directions == ["minimize"]
    assert isinstance(view.snapshot(), OptunaStudyView)


def test_a_pruner_written_for_optuna_plugs_in() -> None:
    class Halfway(shim.pruners.BasePruner):
        def prune(self, study: Any, trial: Any) -> bool:
            assert isinstance(study, OptunaStudyView)
            return study.direction == shim.study.StudyDirection.MINIMIZE and trial.last_step >= 2

    def objective(trial: hpo_lab.Trial) -> float:
        for step in range(5):
            trial.report(1.0, step)
            if trial.should_prune():
                raise shim.TrialPruned()
        return 1.0

    study = shim.create_study(pruner=Halfway())
    study.optimize(objective, n_trials=2)
    assert [t.state.value for t in study.trials] == ["PRUNED", "PRUNED"]
    assert study.trials[0].decisions[-1].rule == "Halfway"


def test_max_trials_callback_counts_the_stored_trials_across_runs_and_threads() -> None:
    study = shim.create_study()
    stop = shim.study.MaxTrialsCallback(6, states=(hpo_lab.TrialState.COMPLETE,))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4, callbacks=[stop])
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10, n_jobs=2, callbacks=[stop])
    assert 6 <= len(study.trials) <= 8  # the trials running when it stops still finish
    with pytest.raises(ValueError, match=r"^n_trials must be an int >= 0, but got n_trials=-1$"):
        shim.study.MaxTrialsCallback(-1)


def test_tpe_takes_optuna_only_arguments_and_the_old_intersection_helper() -> None:
    sampler = shim.samplers.TPESampler(seed=0, group=True, warn_independent_sampling=False)
    study = shim.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 0, 3), n_trials=3)
    assert list(shim.samplers.intersection_search_space(study)) == ["k", "x"]
    assert shim.search_space.IntersectionSearchSpace().calculate(study).keys() == {"k", "x"}


def test_copy_and_delete_studies(tmp_path: Path) -> None:
    source = str(tmp_path / "a.db")
    shim.create_study(study_name="s", storage=source).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=3
    )
    target = str(tmp_path / "b.db")
    shim.copy_study(from_study_name="s", from_storage=source, to_storage=target)
    assert len(shim.load_study(study_name="s", storage=target).trials) == 3
    shim.delete_study(study_name="s", storage=source)
    assert shim.get_all_study_names(source) == []


def test_file_artifacts_in_the_study_folder_and_their_rules(tmp_path: Path) -> None:
    arts = shim.artifacts
    path = tmp_path / "model.txt"
    path.write_text("weights")
    study = hpo_lab.create_study(storage=str(tmp_path / "s.db"))
    trial = study.ask()
    artifact_id = arts.upload_artifact(study_or_trial=trial, file_path=str(path))
    study_level = arts.upload_artifact(study_or_trial=study, file_path=str(path))
    frozen = study.tell(trial, 1.0)
    # In the study's folder beside the SQLite file, counted by study.artifacts.
    listed = study.artifacts.list()
    assert [a.name for a in listed] == ["model.txt", "model.txt"]
    assert all(a.path.startswith(str(tmp_path / "s.db.artifacts")) for a in listed)
    meta = arts.get_all_artifact_meta(frozen)
    assert [(m.artifact_id, m.filename, m.mimetype) for m in meta] == [
        (artifact_id, "model.txt", "text/plain")
    ]
    assert [m.artifact_id for m in arts.get_all_artifact_meta(study)] == [study_level]
    store = arts.StudyArtifactStore(study)
    out = tmp_path / "out.txt"
    arts.download_artifact(artifact_store=store, artifact_id=artifact_id, file_path=str(out))
    assert out.read_text() == "weights"
    with pytest.raises(FileExistsError, match="already exists"):
        arts.download_artifact(artifact_store=store, artifact_id=artifact_id, file_path=str(out))
    with pytest.raises(arts.ArtifactNotFound):
        arts.download_artifact(artifact_store=store, artifact_id="999", file_path=str(out) + "2")
    with pytest.raises(ValueError, match="a FrozenTrial does not know its storage"):
        arts.upload_artifact(study_or_trial=frozen, file_path=str(path))
    with pytest.raises(FileNotFoundError, match="no file to upload at"):
        arts.upload_artifact(study_or_trial=study, file_path=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="artifact_id must be a plain file name"):
        arts.FileSystemArtifactStore(tmp_path).open_reader(os.path.join("..", "x"))
    store.remove(artifact_id)
    assert len(study.artifacts.list()) == 1


def test_logging_verbosity_is_hpo_labs() -> None:
    before = shim.logging.get_verbosity()
    try:
        shim.logging.set_verbosity(shim.logging.ERROR)
        import logging

        assert logging.getLogger("hpo_lab").level == logging.ERROR
    finally:
        shim.logging.set_verbosity(before)


def test_integration_names_lead_to_hpo_labs_integrations() -> None:
    import hpo_lab.integration
    import hpo_lab.sklearn

    assert shim.integration.OptunaSearchCV is hpo_lab.sklearn.HPOSearchCV
    assert shim.integration.report_and_prune is hpo_lab.integration.report_and_prune
