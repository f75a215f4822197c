"""The direction of a study, as a string enum that still reads and compares as the string."""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["StudyDirection"]


class StudyDirection(str, enum.Enum):
    """Whether a study minimizes or maximizes its objective.

    ``study.direction`` is one of these. Each member *is* the string it stands for: it equals
    ``"minimize"`` / ``"maximize"``, prints, formats, hashes and serializes as that string, so
    code that compares ``study.direction == "maximize"`` and code written for Optuna that
    compares ``study.direction == StudyDirection.MAXIMIZE`` both work. (Optuna's ``NOT_SET``
    has no counterpart: an hpo_lab study always has a direction.)

    Example:
        >>> StudyDirection("maximize") == "maximize", StudyDirection.MINIMIZE
        (True, 'minimize')
        >>> f"{StudyDirection.MAXIMIZE}", StudyDirection("minimize") is StudyDirection.MINIMIZE
        ('maximize', True)
        >>> StudyDirection("up")
        Traceback (most recent call last):
        ...
        ValueError: direction must be 'minimize' or 'maximize', but got 'up'
    """

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    @classmethod
    def _missing_(cls, value: object) -> Any:
        raise ValueError(f"direction must be 'minimize' or 'maximize', but got {value!r}")

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        # The direction was a plain string before; it still shows as one.
        return repr(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    def __hash__(self) -> int:
        return hash(self.value)
