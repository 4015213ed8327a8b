"""docs/architecture.md cannot go stale: its package diagram is what the code imports
today, no edge of it breaks an import contract, and every file it names exists."""

import re
from pathlib import Path

import pytest

from tools import architecture
from tools.architecture import Contract, Graph

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"


def test_the_diagram_is_what_the_code_imports_today():
    text = DOC.read_text()

    assert architecture.rewritten(text, architecture.generated_block(ROOT)) == text, (
        "docs/architecture.md is stale: run `python -m tools.architecture` and commit it"
    )


def test_no_edge_of_the_diagram_breaks_an_import_contract():
    graph = architecture.diagram(DOC.read_text())

    assert graph.edges, "the generated block holds no Mermaid edges"
    assert architecture.broken(graph, architecture.contracts(ROOT / "pyproject.toml")) == []


def test_every_file_the_page_names_exists():
    named = set(
        re.findall(r"`((?:common|sync_server|desktop|tools|tests)/[\w/]+\.py)`", DOC.read_text())
    )

    assert named, "the page names no files"
    assert sorted(p for p in named if not (ROOT / p).is_file()) == []


# The checks above are only worth something if they can fail: plant the bugs.


def test_a_new_import_between_packages_appears_in_the_graph(tmp_path):
    """Planted: common imports the server, and the engine imports Qt lazily."""
    (tmp_path / "common" / "rules").mkdir(parents=True)
    (tmp_path / "common" / "__init__.py").write_text("")
    (tmp_path / "common" / "rules" / "__init__.py").write_text("from .. import card\n")
    (tmp_path / "common" / "card.py").write_text("from sync_server.api import deps\n")
    (tmp_path / "sync_server" / "api").mkdir(parents=True)
    (tmp_path / "sync_server" / "api" / "deps.py").write_text("import sqlalchemy.orm\n")
    (tmp_path / "desktop" / "engine").mkdir(parents=True)
    (tmp_path / "desktop" / "engine" / "till.py").write_text(
        "def later():\n    from PySide6.QtCore import QObject\n"
    )

    graph = architecture.dependency_graph(tmp_path, externals={"PySide6", "sqlalchemy"})

    assert graph.edges == {
        ("common.rules", "common"),
        ("common", "sync_server.api"),
        ("sync_server.api", "sqlalchemy"),
        ("desktop.engine", "PySide6"),
    }


def test_a_forbidden_edge_is_named_with_its_contract():
    contracts = architecture.contracts(ROOT / "pyproject.toml")
    graph = Graph(
        nodes=frozenset({"common", "desktop", "desktop.engine", "desktop.scan", "desktop.ui"}),
        edges=frozenset(
            {
                ("common", "sqlalchemy"),  # common is pure domain
                ("desktop.engine", "desktop.ui"),  # the engine has no Qt
                ("desktop.ui", "sync_server.api"),  # independence
                ("desktop", "PySide6"),  # allowed: the app wires Qt in
                ("desktop.ui", "PySide6"),  # allowed
            }
        ),
    )

    problems = architecture.broken(graph, contracts)

    assert len(problems) == 3, problems
    assert any("common -> sqlalchemy" in p and "pure domain" in p for p in problems)
    assert any("desktop.engine -> desktop.ui" in p for p in problems)
    assert any("desktop.ui -> sync_server.api" in p for p in problems)


def test_a_stale_doc_is_noticed():
    text = DOC.read_text()
    stale = text.replace("  desktop__ui --> desktop__engine\n", "")

    assert stale != text
    assert architecture.rewritten(stale, architecture.generated_block(ROOT)) == text


def test_an_unknown_contract_kind_is_refused(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[[tool.importlinter.contracts]]\nname = "layers"\ntype = "layers"\nlayers = ["a", "b"]\n'
    )

    with pytest.raises(ValueError, match="layers"):  # not skipped in silence
        architecture.contracts(pyproject)


def test_contracts_are_read_as_written():
    contracts = architecture.contracts(ROOT / "pyproject.toml")

    assert (
        Contract(
            "server and terminal never import each other",
            "independence",
            ("sync_server", "desktop"),
            ("sync_server", "desktop"),
        )
        in contracts
    )
