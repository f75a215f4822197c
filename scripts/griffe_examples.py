"""A griffe extension for the docs site: hpo_lab's ``Example:`` sections are examples.

The docstrings head their doctests ``Example:`` (singular); griffe's Google-style parser reads
only ``Examples:`` as an examples section (rendered as code) and would treat the doctest output
as Markdown. Loaded by mkdocstrings from ``mkdocs.yml``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_HEADING = re.compile(r"^(\s*)Example:[ \t]*$", re.M)


class ExampleSections(griffe.Extension):
    """Rename ``Example:`` section headings to ``Examples:`` in every docstring."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        """Rewrite the heading of ``obj``'s docstring, if it has one."""
        docstring = getattr(obj, "docstring", None)
        if docstring is not None and "Example:" in docstring.value:
            docstring.value = _HEADING.sub(r"\1Examples:", docstring.value)
