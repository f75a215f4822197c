"""The short space syntax of ``%%hpo`` cells: ``lr = hp.float(1e-5, 1e-1, log=True)``.

A parameter is named after the variable it is assigned to. The cell is rewritten before it runs:
``NAME = hp.float(...)`` becomes ``NAME = trial.suggest_float("NAME", ...)``, so the body stays
plain Python and the Optuna form (``trial.suggest_float("lr", ...)``) keeps working beside it.

============================  ==========================================================
short form                    rewritten to
============================  ==========================================================
``x = hp.float(lo, hi, ...)``  ``x = trial.suggest_float("x", lo, hi, ...)``
``k = hp.int(lo, hi, ...)``    ``k = trial.suggest_int("k", lo, hi, ...)``
``c = hp.categorical(seq)``    ``c = trial.suggest_categorical("c", seq)``
``c = hp.choice(a, b, ...)``   ``c = trial.suggest_categorical("c", [a, b, ...])``
============================  ==========================================================

Example:
    >>> import ast
    >>> tree = rewrite_hp(ast.parse("lr = hp.float(1e-5, 1e-1, log=True)"))
    >>> ast.unparse(tree)
    "lr = trial.suggest_float('lr', 1e-05, 0.1, log=True)"
"""

from __future__ import annotations

import ast
from typing import Any, NoReturn

__all__ = ["HP_METHODS", "HPSyntaxError", "hp", "rewrite_hp"]

#: Short-form method -> the trial method it stands for.
HP_METHODS = {
    "float": "suggest_float",
    "int": "suggest_int",
    "categorical": "suggest_categorical",
    "choice": "suggest_categorical",
}


class HPSyntaxError(ValueError):
    """A short-form call the rewrite cannot name (not the value of a simple assignment)."""


def _misuse(method: str) -> NoReturn:
    raise HPSyntaxError(
        f"hp.{method}(...) must be the whole right-hand side of a simple assignment such as "
        f"`x = hp.{method}(...)` (the parameter is named after the variable); elsewhere use "
        f"trial.{HP_METHODS[method]}(name, ...)"
    )


class _HP:
    """The ``hp`` name bound in ``%%hpo`` cells; its methods only work once rewritten.

    Calling one directly (the cell was not rewritten, or the call is not the value of a simple
    assignment) raises :class:`HPSyntaxError` with the rule.
    """

    def float(self, *args: Any, **kwargs: Any) -> NoReturn:
        """``x = hp.float(low, high, *, step=None, log=False)`` in a ``%%hpo`` cell."""
        _misuse("float")

    def int(self, *args: Any, **kwargs: Any) -> NoReturn:
        """``k = hp.int(low, high, *, step=1, log=False)`` in a ``%%hpo`` cell."""
        _misuse("int")

    def categorical(self, *args: Any, **kwargs: Any) -> NoReturn:
        """``c = hp.categorical(["a", "b"])`` in a ``%%hpo`` cell."""
        _misuse("categorical")

    def choice(self, *args: Any, **kwargs: Any) -> NoReturn:
        """``c = hp.choice("a", "b")`` in a ``%%hpo`` cell."""
        _misuse("choice")

    def __repr__(self) -> str:
        return "hp (the short space syntax of %%hpo cells: x = hp.float(0, 1))"


#: The object bound to ``hp`` in every trial's namespace.
hp = _HP()


def _hp_method(node: ast.AST) -> str | None:
    """``"float"`` for a call ``hp.float(...)``, else ``None``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "hp"
        and node.func.attr in HP_METHODS
    ):
        return node.func.attr
    return None


class _Rewriter(ast.NodeTransformer):
    def __init__(self) -> None:
        self.names: list[str] = []

    def _rewrite(self, target: ast.expr, call: ast.Call, method: str) -> ast.Call:
        if not isinstance(target, ast.Name):
            _misuse(method)
        name = target.id
        if method == "choice":
            if call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
                raise HPSyntaxError(
                    f"hp.choice takes the choices as arguments, as in `{name} = hp.choice('a', "
                    f"'b')`; for a list use `{name} = hp.categorical(choices)`"
                )
            if len(call.args) == 1 and isinstance(call.args[0], (ast.List, ast.Tuple)):
                args: list[ast.expr] = [call.args[0]]  # hp.choice(["a", "b"]) reads the same
            else:
                args = [ast.List(elts=list(call.args), ctx=ast.Load())]
        else:
            args = list(call.args)
        self.names.append(name)
        new = ast.Call(
            func=ast.Attribute(
                value=ast.Name(id="trial", ctx=ast.Load()), attr=HP_METHODS[method], ctx=ast.Load()
            ),
            args=[ast.Constant(value=name), *args],
            keywords=call.keywords,
        )
        return ast.copy_location(new, call)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        method = _hp_method(node.value)
        if method is not None:
            if len(node.targets) != 1:
                _misuse(method)
            assert isinstance(node.value, ast.Call)
            node.value = self._rewrite(node.targets[0], node.value, method)
            return node
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        method = _hp_method(node.value) if node.value is not None else None
        if method is not None:
            assert isinstance(node.value, ast.Call)
            node.value = self._rewrite(node.target, node.value, method)
            return node
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        method = _hp_method(node)
        if method is not None:
            _misuse(method)
        return self.generic_visit(node)


def rewrite_hp(tree: ast.Module) -> ast.Module:
    """Rewrite every ``NAME = hp.<method>(...)`` of ``tree`` into a ``trial.suggest_*`` call.

    Raises :class:`HPSyntaxError` for a short-form call that is not the whole value of a
    simple assignment to a name (``f(hp.float(0, 1))``, ``a.b = hp.int(1, 3)``): such a
    parameter would have no name.

    Example:
        >>> import ast
        >>> ast.unparse(rewrite_hp(ast.parse("opt = hp.choice('adam', 'sgd')")))
        "opt = trial.suggest_categorical('opt', ['adam', 'sgd'])"
        >>> rewrite_hp(ast.parse("print(hp.int(1, 3))"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        hpo_lab.notebook._hp.HPSyntaxError: hp.int(...) must be the whole right-hand side ...
    """
    rewriter = _Rewriter()
    out = rewriter.visit(tree)
    assert isinstance(out, ast.Module)
    return ast.fix_missing_locations(out)
