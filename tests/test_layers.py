"""Imports only point down, lazy ones included: no cycle between the package's layers."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import hpo_lab

ROOT = Path(hpo_lab.__file__).parent

# Lower layers first. A module may import its own layer and the layers below it.
LAYERS: list[set[str]] = [
    {"_json", "_validation", "exceptions", "distributions"},
    {"search_space", "trial"},
    {"views", "storages"},
    {"samplers", "pruners", "importance", "schedulers", "pbt", "terminator"},
    {"study", "progress"},
    {"execution"},
    {"viz", "testing", "lr_finder", "integration", "tracking"},
    {"notebook"},
    {"sklearn"},
    {"optuna", "cli"},
]
_RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _unit(module: str) -> str | None:
    """The layer unit of ``hpo_lab.x.y`` (``x``), or ``None`` outside the package."""
    parts = module.split(".")
    if parts[0] != "hpo_lab":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for sub in ast.walk(child):
                    if hasattr(sub, "lineno"):
                        lines.add(sub.lineno)
    return lines


def _imports() -> dict[str, set[tuple[str, str]]]:
    """unit -> {(imported unit, where)} for every import, at any depth, outside TYPE_CHECKING."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(rel.parts)
        unit = _unit(module.removesuffix(".__init__"))
        assert unit is not None
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                target = _unit(name)
                if target is not None and target != unit and target in _RANK:
                    found[unit].add((target, f"{rel}.py:{node.lineno}"))
    return found


def test_every_unit_has_a_layer() -> None:
    units = {p.stem if p.is_file() else p.name for p in ROOT.iterdir()}
    units = {u for u in units if not u.startswith("__") and u != "py"}
    missing = {u for u in units if u not in _RANK and not u.endswith(".typed")}
    assert missing == set()


def test_imports_only_point_down() -> None:
    upward = sorted(
        f"{where}: {unit} imports {target}"
        for unit, targets in _imports().items()
        if unit in _RANK
        for target, where in targets
        if _RANK[target] > _RANK[unit]
    )
    assert upward == []


def test_no_cycle_between_study_and_execution() -> None:
    edges = _imports()
    assert not any(t == "execution" for t, _ in edges["study"])
    assert any(t == "study" for t, _ in edges["execution"])
