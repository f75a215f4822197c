"""MkDocs hooks of the documentation site (``mkdocs.yml``): what lives outside ``docs/``.

* The notebooks (``notebooks/*.ipynb``, rendered by mkdocs-jupyter with their stored outputs,
  and their ``README.md``) and the benchmark results (``benchmarks/RESULTS.md``) are added to
  the site, and the docs'
  repository-relative links to them (``../benchmarks/RESULTS.md``) are pointed at those pages.
* One API reference page per public module of ``hpo_lab`` is generated (mkdocstrings renders it
  from the docstrings) and listed in the navigation, so a new module is documented without
  editing the configuration.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hpo_lab"
# Files outside docs/ that the site shows, by their path in the repository.
OUTSIDE = [
    "benchmarks/RESULTS.md",
    *(["notebooks/README.md"] if (ROOT / "notebooks" / "README.md").is_file() else []),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")),
]
_LINK = re.compile(r"\]\(\.\./((?:benchmarks|notebooks)/[^)#\s]+)")


def public_modules() -> list[str]:
    """``hpo_lab`` and its public modules (no part starting with ``_``), sorted."""
    names = ["hpo_lab"]
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts) or len(parts) < 2:
            continue
        names.append(".".join(parts))
    return sorted(set(names))


def _api_page(module: str) -> str:
    return f"api/{module}.md"


def _notebook_title(path: Path) -> str:
    """The first Markdown heading of a notebook, else its file name."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", [])).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    nav = config["nav"] or []
    notebooks = [
        {_notebook_title(ROOT / rel): rel} for rel in OUTSIDE if rel.endswith(".ipynb")
    ]
    # The notebooks after the guide pages, the API reference last.
    at = next((i for i, item in enumerate(nav) if "Benchmarks" in item), len(nav))
    nav.insert(at, {"Notebooks": notebooks})
    nav.append({"API reference": [{m: _api_page(m)} for m in public_modules()]})
    config["nav"] = nav
    return config


@event_priority(100)  # before mkdocs-jupyter looks for notebooks
def on_files(files: Files, config: MkDocsConfig) -> Files:
    for rel in OUTSIDE:
        files.append(File(rel, str(ROOT), config["site_dir"], config["use_directory_urls"]))
    for module in public_modules():
        content = f"# `{module}`\n\n::: {module}\n"
        files.append(File.generated(config, _api_page(module), content=content))
    return files


def on_page_markdown(markdown: str, page: Any, config: MkDocsConfig, files: Files) -> str:
    # A page in docs/ links to ../benchmarks/RESULTS.md, which the site serves as
    # benchmarks/RESULTS.md: drop the "../" (pages in docs/ sit at the site's root).
    if page.file.src_uri.startswith(("benchmarks/", "notebooks/", "api/")):
        return markdown
    return _LINK.sub(lambda m: f"]({m.group(1)}", markdown)
