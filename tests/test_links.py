"""Every relative link in the course and the READMEs leads somewhere.

JupyterLab opens a link relative to the notebook that holds it, and GitHub does the same for a README; a
link to a file that moved, or one that climbs out of the repository, shows a learner a 404. This test
follows each one, and for a ``file#anchor`` link also checks that the heading exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]

# [text](target "title") and ![alt](target); <a href="target"> and <img src="target">.
MD_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def documents() -> list[Path]:
    """The files a learner or an instructor reads: notebooks and Markdown, outside caches and venvs."""
    skip = {".git", ".ci", ".venv", "venv", "node_modules", ".ipynb_checkpoints", "build", "dist"}
    found = []
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if any(part in skip or part.endswith(".egg-info") for part in rel.parts):
            continue
        if path.suffix in {".ipynb", ".md"} and path.is_file() and "fixtures" not in rel.parts:
            found.append(path)
    return found


def markdown_of(path: Path) -> str:
    """A document's Markdown: the file itself, or a notebook's markdown cells joined."""
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    nb = nbformat.read(path, as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def slug(text: str) -> str:
    """A heading's anchor, compared leniently: GitHub and JupyterLab spell anchors a little differently."""
    text = re.sub(r"<[^>]+>|[`*_]", "", text)
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def anchors_of(path: Path) -> set[str]:
    return {slug(h) for h in HEADING.findall(CODE.sub("", markdown_of(path)))}


def links_of(path: Path) -> list[str]:
    text = CODE.sub("", markdown_of(path))
    return MD_LINK.findall(text) + HTML_LINK.findall(text)


def is_relative(target: str) -> bool:
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not target.startswith("//")


def dead_links(path: Path) -> list[str]:
    """What is wrong with each relative link in `path`, one line per bad link."""
    problems = []
    for target in links_of(path):
        if not is_relative(target):
            continue
        file_part, _, anchor = target.partition("#")
        file_part = unquote(file_part.split("?", 1)[0])
        dest = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(ROOT)} -> {target}"
        if ROOT not in dest.parents and dest != ROOT:
            problems.append(f"{where}: leaves the repository")
        elif not dest.exists():
            problems.append(f"{where}: no such file")
        elif anchor and dest.suffix in {".ipynb", ".md"} and slug(unquote(anchor)) not in anchors_of(dest):
            problems.append(f"{where}: no heading for #{anchor}")
    return problems


DOCS = documents()


def test_the_course_and_the_readmes_are_all_checked():
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    assert "README.md" in names and "notebooks/00-start-here.ipynb" in names
    assert any(n.startswith("exercises/") for n in names)
    # The checker itself must see links of every kind it claims to read.
    sample = '[a](x.md) ![b](img/p.png) <a href="y.ipynb#Top">c</a> `[not](code.md)`'
    assert CODE.sub("", sample) and MD_LINK.findall(CODE.sub("", sample)) == ["x.md", "img/p.png"]
    assert HTML_LINK.findall(sample) == ["y.ipynb#Top"]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(path):
    assert dead_links(path) == []


def test_a_dead_link_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    (tmp_path / "a.md").write_text("# Top\n[ok](a.md#top) [gone](b.md) [up](../x.md) [hash](a.md#nowhere)\n")
    problems = dead_links(tmp_path / "a.md")
    assert [p.split(": ")[-1] for p in problems] == ["no such file", "leaves the repository",
                                                    "no heading for #nowhere"]
