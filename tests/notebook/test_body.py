"""A cell body as an objective, the short ``hp`` syntax and trial-output routing (no shell)."""

from __future__ import annotations

import ast
import sys
import threading
import warnings
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

import hpo_lab
from hpo_lab.notebook import _capture
from hpo_lab.notebook._body import (
    SOURCE_HASH_ATTR,
    BodyError,
    CellObjective,
    objective_from_source,
    source_hash,
    unpicklable_names,
)
from hpo_lab.notebook._hp import HPSyntaxError, hp, rewrite_hp
from hpo_lab.notebook._log import RunLog

# -- the short space syntax ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "lr = hp.float(1e-5, 1e-1, log=True)",
            "lr = trial.suggest_float('lr', 1e-05, 0.1, log=True)",
        ),
        ("k = hp.int(1, 9, step=2)", "k = trial.suggest_int('k', 1, 9, step=2)"),
        ("o = hp.categorical(['a', 'b'])", "o = trial.suggest_categorical('o', ['a', 'b'])"),
        ("o = hp.choice('a', 'b')", "o = trial.suggest_categorical('o', ['a', 'b'])"),
        ("o = hp.choice(['a', 'b'])", "o = trial.suggest_categorical('o', ['a', 'b'])"),
        ("d: int = hp.int(2, 4)", "d: int = trial.suggest_int('d', 2, 4)"),
        ("x = trial.suggest_float('x', 0, 1)", "x = trial.suggest_float('x', 0, 1)"),
    ],
)
def test_hp_assignment_is_rewritten_to_a_named_suggestion(line: str, expected: str) -> None:
    assert ast.unparse(rewrite_hp(ast.parse(line))) == expected


def test_hp_inside_nested_blocks_is_rewritten() -> None:
    source = "for i in range(2):\n    if True:\n        z = hp.float(0, 1)\n"
    assert "trial.suggest_float('z', 0, 1)" in ast.unparse(rewrite_hp(ast.parse(source)))


@pytest.mark.parametrize(
    "line",
    [
        "print(hp.float(0, 1))",
        "a.b = hp.int(1, 3)",
        "a = b = hp.float(0, 1)",
        "x = 2 * hp.float(0, 1)",
    ],
)
def test_hp_outside_a_simple_assignment_is_a_clear_error(line: str) -> None:
    with pytest.raises(HPSyntaxError, match=r"must be the whole right-hand side of a simple"):
        rewrite_hp(ast.parse(line))


def test_hp_called_directly_explains_the_rule() -> None:
    with pytest.raises(HPSyntaxError, match=r"hp.float\(\.\.\.\) must be the whole right-hand"):
        hp.float(0, 1)


def test_hp_choice_with_keywords_is_an_error() -> None:
    with pytest.raises(HPSyntaxError, match=r"hp\.choice takes the choices as arguments"):
        rewrite_hp(ast.parse("c = hp.choice('a', 'b', weights=1)"))


# -- the body as an objective ----------------------------------------------------------------------


def _study() -> hpo_lab.Study:
    return hpo_lab.create_study(sampler=hpo_lab.samplers.RandomSampler(seed=0))


def test_last_expression_is_the_value_and_report_records_intermediate_values() -> None:
    body = (
        "x = hp.float(-2, 2)\n"
        "k = trial.suggest_int('k', 1, 3)\n"
        "for step in range(k):\n"
        "    report(x * step, step)\n"
        "x ** 2 + k\n"
    )
    study = _study()
    study.optimize(CellObjective(body, {}), n_trials=5)
    for t in study.trials:
        assert t.state == hpo_lab.TrialState.COMPLETE
        assert t.value == pytest.approx(t.params["x"] ** 2 + t.params["k"])
        assert sorted(t.intermediate_values) == list(range(t.params["k"]))
        assert t.system_attrs[SOURCE_HASH_ATTR] == source_hash(body)


def test_trials_read_notebook_names_and_never_leak_assignments() -> None:
    user_ns = {"X": np.arange(1000), "offset": 3.0}
    body = (
        "X = X[:100]\n"
        "seen = globals().get('leak', 0)\n"
        "leak = 1\n"
        "x = hp.float(0, 1)\n"
        "len(X) + offset + seen + x\n"
    )
    objective = CellObjective(body, user_ns)
    study = _study()
    study.optimize(objective, n_trials=4)
    # Every trial sliced the full array afresh and saw no earlier trial's `leak`.
    for t in study.trials:
        assert t.value == pytest.approx(103.0 + t.params["x"])
    assert len(user_ns["X"]) == 1000 and "leak" not in user_ns and "x" not in user_ns
    assert "leak" not in objective.namespace


def test_namespace_is_taken_when_the_cell_runs() -> None:
    user_ns = {"offset": 1.0}
    objective = CellObjective("trial.suggest_float('x', 0, 0)\noffset", user_ns)
    user_ns["offset"] = 50.0
    study = _study()
    study.optimize(objective, n_trials=1)
    assert study.trials[0].value == 1.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x = hp.float(0, 1)\ny = x", "ends with an Assign statement, not an expression"),
        ("x = hp.float(0, 1)\nprint(x)", "last expression gave None"),
        ("x = hp.float(0, 1)\n'high'", "last expression gave 'high' (str); it must be a number"),
        ("x = hp.float(0, 1)\n[x, x]", "list of 2 values"),
    ],
)
def test_a_missing_or_non_numeric_result_fails_the_trial_with_a_clear_message(
    body: str, message: str
) -> None:
    study = _study()
    run = study.start(CellObjective(body, {}), n_trials=2)
    assert run.wait(60)
    assert run.status.value == "finished"  # the run went on after the first failure
    assert [t.state for t in study.trials] == [hpo_lab.TrialState.FAIL] * 2
    assert message in (study.trials[0].fail_message or "")


def test_syntax_errors_and_misused_hp_are_errors_when_the_cell_runs() -> None:
    with pytest.raises(BodyError, match=r"syntax error at line 2: "):
        CellObjective("x = 1\nx = = 2\n", {})
    with pytest.raises(BodyError, match="must be the whole right-hand side"):
        CellObjective("f(hp.float(0, 1))", {})


def test_reads_lists_the_names_the_body_reads() -> None:
    objective = CellObjective(
        "def g():\n    return helper(z)\nx = hp.float(0, 1)\n[w for w in ws]\nX = X[:2]\ng()",
        {},
    )
    assert {"helper", "z", "ws", "X", "g"} <= objective.reads
    assert not {"trial", "report", "hp", "x"} & objective.reads


def test_shipped_objective_carries_only_read_names_and_survives_pickling() -> None:
    user_ns = {"scale": 2.0, "unused": threading.Lock(), "fn": lambda v: v + 1}
    objective = CellObjective("x = hp.float(0, 1)\nfn(x) * scale", user_ns).shipped()
    assert sorted(objective.namespace) == ["fn", "scale"]
    clone = cloudpickle.loads(cloudpickle.dumps(objective))
    study = _study()
    study.optimize(clone, n_trials=2)
    assert study.trials[0].value == pytest.approx((study.trials[0].params["x"] + 1) * 2)


def test_unpicklable_names_are_named() -> None:
    objective = CellObjective("lock.locked(); 1.0", {"lock": threading.Lock()})
    assert [name for name, _ in unpicklable_names(objective)] == ["lock"]
    with pytest.raises(ValueError, match=r"notebook variable 'lock' cannot be sent to worker"):
        objective_from_source("lock.locked(); 1.0", {"lock": threading.Lock()}, executor="process")


def test_objective_from_source_runs_on_the_process_executor() -> None:
    def shifted(v: float) -> float:
        return (v - 1.0) ** 2

    body = "x = hp.float(0, 2)\nprint('from a worker')\nshifted(x) + base"
    objective = objective_from_source(body, {"shifted": shifted, "base": 10.0}, executor="process")
    study = _study()
    run = study.start(objective, n_trials=3, n_jobs=2, executor="process")
    assert run.wait(120)
    assert [t.state for t in study.trials] == [hpo_lab.TrialState.COMPLETE] * 3
    for t in study.trials:
        assert t.value == pytest.approx((t.params["x"] - 1.0) ** 2 + 10.0)
        assert t.system_attrs[SOURCE_HASH_ATTR] == source_hash(body)


def test_objective_from_source_rejects_keep_without_a_directory_and_bad_executors() -> None:
    with pytest.raises(ValueError, match="keep='model' with worker processes needs keep_dir"):
        objective_from_source("1.0", {}, executor="process", keep="model")
    with pytest.raises(ValueError, match="executor must be 'thread', 'process' or 'dask'"):
        objective_from_source("1.0", {}, executor="gpu")


# -- routing trial output ------------------------------------------------------------------------


def test_routed_threads_write_to_their_log_and_others_pass_through(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = RunLog()
    _capture.acquire()
    try:
        wrapped = sys.stdout

        def trial_thread() -> None:
            with _capture.route(log, trial=7):
                print("from the trial")
                print("to stderr", file=sys.stderr)
                warnings.warn("trial warning", UserWarning, stacklevel=1)

        worker = threading.Thread(target=trial_thread)
        worker.start()
        worker.join()
        print("from the main thread")
    finally:
        _capture.release()
    assert isinstance(wrapped, _capture.RoutingStream)
    assert not isinstance(sys.stdout, _capture.RoutingStream)
    assert not _capture.active()
    entries = log.since(0)[0]
    text = {s: "".join(e.text for e in entries if e.stream == s) for s in ("stdout", "stderr")}
    assert text == {"stdout": "from the trial\n", "stderr": "to stderr\n"}
    assert {e.trial for e in entries} == {7}
    assert any(e.stream == "warning" and "trial warning" in e.text for e in entries)
    out = capsys.readouterr()
    assert out.out == "from the main thread\n" and "trial" not in out.err


def test_acquire_is_counted_and_release_leaves_foreign_streams_alone() -> None:
    original = sys.stdout
    _capture.acquire()
    _capture.acquire()
    _capture.release()
    assert _capture.active() and isinstance(sys.stdout, _capture.RoutingStream)
    _capture.release()
    assert sys.stdout is original and not _capture.active()
    _capture.release()  # one too many is harmless
    assert sys.stdout is original


def test_keep_files_hand_values_back_once_and_skip_values_that_cannot_be_best(
    tmp_path: Path,
) -> None:
    objective = objective_from_source(
        "x = hp.float(0, 1)\nmodel = [x]\nx",
        {},
        executor="process",
        keep="model",
        keep_dir=str(tmp_path),
        direction="minimize",
    )
    study = _study()
    first = study.ask()
    value = objective(first)
    assert objective.take_kept(first.trial_id) == (True, [value])
    assert objective.take_kept(first.trial_id) == (False, None)  # handed over once
    objective.note_best(-1.0)  # nothing in [0, 1] can beat it: workers skip pickling
    second = study.ask()
    objective(second)
    assert objective.take_kept(second.trial_id) == (False, None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best"]


def test_acquire_never_stacks_a_routing_stream_on_another() -> None:
    import sys

    from hpo_lab.notebook import _capture

    leftover = _capture.RoutingStream(sys.stdout, "stdout")
    saved = sys.stdout
    sys.stdout = leftover  # as if restored by a redirect that began while a run was live
    try:
        _capture.acquire()
        try:
            assert sys.stdout is leftover
        finally:
            _capture.release()
    finally:
        sys.stdout = saved
