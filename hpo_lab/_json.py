"""JSON helpers shared by the stores: numpy scalars and arrays become plain JSON values."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["check_jsonable", "dumps", "loads"]


def _default(obj: Any) -> Any:
    item = getattr(obj, "item", None)
    tolist = getattr(obj, "tolist", None)
    if tolist is not None and getattr(obj, "ndim", 0) > 0:
        return tolist()
    if item is not None:
        return item()
    raise TypeError(f"{obj!r} of type {type(obj).__name__} is not JSON serialisable")


def dumps(obj: Any) -> str:
    """``json.dumps`` that also accepts numpy scalars and arrays."""
    return json.dumps(obj, default=_default, separators=(",", ":"))


def loads(text: str) -> Any:
    """``json.loads``."""
    return json.loads(text)


def check_jsonable(kind: str, key: str, value: Any) -> Any:
    """Return ``value`` as it will read back from JSON, or raise a ``ValueError`` naming it."""
    try:
        return json.loads(dumps(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{kind} {key!r} must be JSON-serialisable (None, bool, int, float, str, list, "
            f"dict, numpy scalar/array), but got {type(value).__name__}: {exc}"
        ) from None
