"""The text form of a narrowing (``lr=1e-4:1e-2``, ``opt=adam,sgd``), shared by ``%hpo
narrow``, the panel and the command line."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hpo_lab.distributions import CategoricalDistribution, Distribution, IntDistribution

if TYPE_CHECKING:
    from hpo_lab.study._study import Study

__all__ = ["parse_narrowing"]


def _parse_number(param: str, text: str, integer: bool) -> int | float | None:
    if text == "":
        return None
    try:
        number = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ValueError(
            f"narrowing {param!r}: {text!r} is not {kind}"
            + (" (it is an int parameter)" if integer else "")
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"narrowing {param!r}: a bound must be a finite number, but got {text!r}")
    return number


def parse_narrowing(
    study: Study | Mapping[str, Distribution], specs: Sequence[str]
) -> dict[str, Any]:
    """Turn ``%hpo narrow`` (and command-line) narrowing specs into keyword arguments for
    :meth:`Study.narrow`; ``study`` may also be the declared distributions by name.

    ``name=low:high`` for a numeric parameter (either bound may be left empty to keep it;
    ``1e-4`` works; int parameters need integers) and ``name=a,b,c`` for the choices of a
    categorical one. Names are checked against the study's parameters; ranges are checked by
    ``study.narrow`` itself.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("lr", 1e-5, 1e-1, log=True)
        ...            + t.suggest_int("k", 1, 9) + len(t.suggest_categorical("o", ["a", "bb"])),
        ...            n_trials=2)
        >>> parse_narrowing(s, ["lr=1e-4:1e-2", "k=2:", "o=bb"])
        {'lr': (0.0001, 0.01), 'k': (2, None), 'o': ['bb']}
        >>> parse_narrowing(s, ["depth=1:3"])
        Traceback (most recent call last):
        ...
        ValueError: cannot narrow unknown parameter 'depth' (parameters: k, lr, o)
    """
    declared = (
        dict(study) if isinstance(study, Mapping) else study.declared_distributions()
    )
    out: dict[str, Any] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name or not value:
            raise ValueError(
                f"cannot read narrowing {spec!r}: write name=low:high for a number or "
                "name=a,b,c for choices"
            )
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none yet"
            raise ValueError(f"cannot narrow unknown parameter {name!r} (parameters: {known})")
        dist = declared[name]
        if isinstance(dist, CategoricalDistribution):
            by_text = {str(c): c for c in dist.choices}
            choices = []
            for token in value.split(","):
                if token not in by_text:
                    allowed = ", ".join(by_text)
                    raise ValueError(
                        f"narrowing {name!r}: {token!r} is not one of its choices ({allowed})"
                    )
                choices.append(by_text[token])
            out[name] = choices
        else:
            low_text, colon, high_text = value.partition(":")
            if not colon:
                raise ValueError(
                    f"narrowing numeric parameter {name!r} takes low:high, but got {value!r}"
                )
            integer = isinstance(dist, IntDistribution)
            out[name] = (
                _parse_number(name, low_text, integer),
                _parse_number(name, high_text, integer),
            )
    return out
