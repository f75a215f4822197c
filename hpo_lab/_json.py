"""JSON as the stores write it: standard JSON text that reads back exactly.

Both stores check every attribute and parameter with :func:`check_jsonable` (the same rules,
the same value back), and the SQLite store writes its JSON columns with :func:`dumps` and reads
them with :func:`loads`. The rules:

* Values are ``None``, bool, int, float, str, lists and tuples (read back as lists), dicts
  with str keys, and numpy scalars and arrays (read back as Python numbers and lists).
  Anything else (a set, bytes, a datetime, an object) is refused with a ``ValueError`` that
  names the attribute, the value and where in it the problem is.
* Attribute keys (:func:`check_key`) are non-empty str. Keys of dicts *inside* a value must
  be str too: JSON would turn ``1`` and ``None`` into ``"1"`` and ``"null"``, so a value would
  read back different from what was stored (and ``{1: a, "1": b}`` would lose ``a``).
* NaN and the infinities are kept, and written as standard JSON: a non-finite float is the
  object ``{"$float": "NaN"}`` (or ``"Infinity"``, ``"-Infinity"``). A dict of the user's with
  a single key starting with ``$`` is wrapped as ``{"$dict": {...}}``, so no value is ever
  mistaken for one of these. :func:`loads` turns both back, and also still reads the bare
  ``NaN``/``Infinity`` tokens that earlier versions wrote.
* Values nest at most :data:`MAX_DEPTH` levels deep (lists and dicts inside each other), so
  that no reader or writer runs out of stack; a value that contains itself is refused.

Example:
    >>> text = dumps({"loss": float("nan"), "best": [1, 2.5]})
    >>> text
    '{"loss":{"$float":"NaN"},"best":[1,2.5]}'
    >>> loads(text)
    {'loss': nan, 'best': [1, 2.5]}
"""

from __future__ import annotations

import json
import math
import reprlib
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_DEPTH", "check_jsonable", "check_key", "dumps", "encode", "loads"]

MAX_DEPTH = 100
"""How many lists and dicts a stored value may nest inside each other."""

_FLOAT_TAG = "$float"
_DICT_TAG = "$dict"
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
# Text that may hold a tagged object: an object whose first key starts with "$". Inside a
# JSON string a quote is escaped, so this never matches string contents.
_TAG_MARK = '{"$'
# Python's int <-> str conversion refuses more digits than this (sys.int_info default).
_MAX_INT_BITS = 14_000

_repr = reprlib.Repr()
_repr.maxstring = 40
_repr.maxother = 40



class _Refused(Exception):
    """Internal: why a value cannot be stored, and where in it (turned into a ValueError)."""

    def __init__(self, problem: str, show_path: bool = True) -> None:
        super().__init__(problem)
        self.problem = problem
        self.show_path = show_path
        self.segments: list[str] = []  # innermost first, added while unwinding

    def path(self) -> str:
        if not self.show_path:
            return ""
        text = "".join(reversed(self.segments))
        return text if len(text) <= 80 else text[:40] + "..." + text[-30:]


def _float_text(f: float) -> str:
    return "NaN" if math.isnan(f) else ("Infinity" if f > 0 else "-Infinity")


_PLAIN_TYPES = (type(None), bool, int, float, str, list, tuple, Mapping)
_NOT_PLAIN = object()


def _as_plain(value: Any) -> Any:
    """A numpy scalar or array (or a tensor: anything with ``item``/``tolist``) as Python
    values, or ``_NOT_PLAIN`` when ``value`` is none of those."""
    try:
        if getattr(value, "ndim", 0) > 0 and callable(getattr(value, "tolist", None)):
            plain = value.tolist()
        elif callable(getattr(value, "item", None)):
            plain = value.item()
        else:
            return _NOT_PLAIN
    except Exception:
        return _NOT_PLAIN
    return plain if isinstance(plain, _PLAIN_TYPES) else _NOT_PLAIN


def _encode(value: Any, depth: int, active: set[int]) -> Any:
    """``value`` as plain JSON data (tags for non-finite floats and ``$`` dicts), checked.

    ``depth`` counts the containers around ``value``; ``active`` holds the ids of those
    containers, to find a value inside itself.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        if value.bit_length() > _MAX_INT_BITS:
            raise _Refused(f"an int of more than {_MAX_INT_BITS * 3 // 10} digits")
        return int(value)
    if isinstance(value, float):
        f = float(value)
        return f if math.isfinite(f) else {_FLOAT_TAG: _float_text(f)}
    if isinstance(value, (list, tuple, Mapping)):
        return _encode_container(value, depth, active)
    if isinstance(value, (set, frozenset)):
        raise _Refused(f"a {type(value).__name__} (unordered): {_repr.repr(value)}")
    plain = _as_plain(value)
    if plain is not _NOT_PLAIN:
        return _encode(plain, depth, active)
    raise _Refused(f"{_repr.repr(value)} of type {type(value).__name__}")


def _encode_container(value: Any, depth: int, active: set[int]) -> Any:
    if depth >= MAX_DEPTH:
        raise _Refused(
            f"a value nested more than {MAX_DEPTH} levels deep (lists or dicts inside each "
            "other)",
            show_path=False,
        )
    if id(value) in active:
        raise _Refused("a list or dict that contains itself")
    active.add(id(value))
    segment = ""
    try:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise _Refused(
                        f"a dict key that is not a str: {_repr.repr(k)} ({type(k).__name__})"
                    )
                segment = f"[{_repr.repr(k)}]"
                out[str(k)] = _encode(v, depth + 1, active)
            if len(out) == 1 and next(iter(out)).startswith("$"):
                return {_DICT_TAG: out}
            return out
        items = []
        for i, v in enumerate(value):
            segment = f"[{i}]"
            items.append(_encode(v, depth + 1, active))
        return items
    except _Refused as exc:
        if segment:
            exc.segments.append(segment)
        raise
    finally:
        active.discard(id(value))


def _decode(value: Any) -> Any:
    """Inverse of the tagging in :func:`_encode` (on data fresh from ``json.loads``)."""
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((k, v),) = value.items()
            if k == _FLOAT_TAG and isinstance(v, str) and v in _NON_FINITE:
                return _NON_FINITE[v]
            if k == _DICT_TAG and isinstance(v, dict):
                return {ik: _decode(iv) for ik, iv in v.items()}
        return {k: _decode(v) for k, v in value.items()}
    return value


def _default(obj: Any) -> Any:
    plain = _as_plain(obj)
    if plain is _NOT_PLAIN:
        raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
    return plain


def encode(obj: Any) -> Any:
    """``obj`` as the plain data that :func:`dumps` writes (``json.dumps`` of it is standard
    JSON): numpy values as Python ones, tuples as lists, NaN and the infinities tagged.

    Example:
        >>> encode((1, float("nan")))
        [1, {'$float': 'NaN'}]
    """
    try:
        return _encode(obj, 0, set())
    except _Refused as exc:
        raise ValueError(f"cannot be written as JSON: {exc.problem}") from None


def dumps(obj: Any) -> str:
    """Standard JSON text of ``obj``: numpy values become plain numbers and lists, and NaN
    and the infinities become tagged objects that :func:`loads` turns back.

    Meant for values that passed :func:`check_jsonable`; anything else raises ``ValueError``.

    Example:
        >>> dumps({"step": [0.5, float("-inf")]})
        '{"step":[0.5,{"$float":"-Infinity"}]}'
    """
    try:
        # The common case (finite floats, no "$" keys) stays in the C encoder.
        text = json.dumps(obj, default=_default, separators=(",", ":"), allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        text = _TAG_MARK
    if _TAG_MARK not in text:
        return text
    return json.dumps(encode(obj), separators=(",", ":"), allow_nan=False)


def loads(text: str) -> Any:
    """Parse JSON written by :func:`dumps` (or by an earlier version), tags turned back.

    Example:
        >>> loads('{"a":{"$float":"Infinity"},"b":{"$dict":{"$float":"x"}}}')
        {'a': inf, 'b': {'$float': 'x'}}
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("stored JSON is nested too deeply to read") from None
    return _decode(value) if _TAG_MARK in text else value


def check_key(kind: str, key: Any) -> str:
    """Return ``key`` if it can name an attribute: a non-empty str.

    Raises ``TypeError`` for a key of another type and ``ValueError`` for an empty one, each
    naming the key and the rule.

    Example:
        >>> check_key("user attribute", "accuracy")
        'accuracy'
        >>> check_key("user attribute", 1)
        Traceback (most recent call last):
        TypeError: user attribute keys must be non-empty str, but got 1 (int)
    """
    if not isinstance(key, str):
        raise TypeError(
            f"{kind} keys must be non-empty str, but got {_repr.repr(key)} ({type(key).__name__})"
        )
    if not key:
        raise ValueError(f"{kind} keys must be non-empty str, but got ''")
    return key


def check_jsonable(kind: str, key: Any, value: Any) -> Any:
    """Check the name and value of an attribute; return the value as it will read back.

    Both stores call this before they store anything, so they accept and return the same
    (see the module's rules). A bad name raises as :func:`check_key` does; a bad value raises
    a one-line ``ValueError`` naming the attribute, the value and the rule.

    Example:
        >>> check_jsonable("user attribute", "scores", (0.5, float("nan")))
        [0.5, nan]
        >>> check_jsonable("user attribute", "tags", {"a", "b"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: user attribute 'tags' must be JSON data (...), but got a set (unordered): ...
    """
    key = check_key(kind, key)
    try:
        encoded = _encode(value, 0, set())
    except _Refused as exc:
        path = exc.path()
        where = f" at {key}{path}" if path else ""
        raise ValueError(
            f"{kind} {key!r} must be JSON data (None, bool, int, float, str, list, tuple, dict "
            f"with str keys, numpy scalar or array), but got {exc.problem}{where}"
        ) from None
    try:
        text = json.dumps(encoded, allow_nan=False)
    except ValueError:  # an int longer than sys.get_int_max_str_digits() allows
        raise ValueError(
            f"{kind} {key!r} holds an int too long to write as JSON text"
        ) from None
    return _decode(json.loads(text))
