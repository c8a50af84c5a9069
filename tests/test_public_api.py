"""rtd_tui uses its dependencies through their public API only, and declares them.

Every module is read with ``ast``: an import from a module path segment (or of a name)
starting with ``_`` of another package, or an assignment to an attribute of something
imported from a third-party package (a patch that changes it for the whole process),
fails; so does an import of a third-party package that pyproject.toml does not declare.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rtd_tui"
MODULES = sorted(PACKAGE.rglob("*.py"))


def third_party(module: str) -> bool:
    top = module.split(".")[0]
    return top not in sys.stdlib_module_names and top not in ("rtd_tui", "__future__")


def imports(tree: ast.AST) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names imported from it) for every import, relative ones skipped."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def private_imports(tree: ast.AST) -> list[str]:
    found = []
    for line, module, names in imports(tree):
        if not third_party(module):
            continue  # our own modules, and the standard library's
        parts = module.split(".") + names
        if any(p.startswith("_") and not (p.startswith("__") and p.endswith("__"))
               for p in parts):
            found.append(f"line {line}: {module} {names}")
    return found


def foreign_names(tree: ast.AST) -> set[str]:
    """Local names bound to third-party modules or to what was imported from them."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if third_party(alias.name):
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif (isinstance(node, ast.ImportFrom) and node.module and not node.level
              and third_party(node.module)):
            bound.update(alias.asname or alias.name for alias in node.names)
    return bound


def root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def foreign_assignments(tree: ast.AST) -> list[str]:
    foreign = foreign_names(tree)
    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("setattr", "delattr") and node.args):
            targets = [ast.Attribute(value=node.args[0], attr="?")]
        for target in targets:
            if isinstance(target, ast.Attribute) and root_name(target) in foreign:
                found.append(f"line {node.lineno}: {ast.unparse(target)}")
    return found


def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_module_of_another_package_is_imported(path: Path) -> None:
    assert private_imports(parsed(path)) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_attribute_of_another_package_is_assigned(path: Path) -> None:
    assert foreign_assignments(parsed(path)) == []


def test_the_checks_catch_what_they_are_for() -> None:
    """The two rules fail on the patterns they forbid (so a pass above means something)."""
    tree = ast.parse(
        "import plotext._utility as u\n"
        "from textual.widgets._footer import FooterKey\n"
        "from textual.widgets import DataTable\n"
        "import plotext\n"
        "u.no_duplicates = list\n"
        "DataTable.measure = len\n"
        "plotext.x = 1\n"
        "setattr(plotext, 'y', 2)\n"
        "import sys\n"
        "sys.dont_write_bytecode = False\n"  # the standard library is out of scope
    )
    assert len(private_imports(tree)) == 2
    assert len(foreign_assignments(tree)) == 4


#: Import names of optional dependencies whose distribution may not be installed here
#: (so ``packages_distributions`` cannot name it).
NOT_INSTALLED = {"pyflink": "apache-flink"}


def declared() -> set[str]:
    """The distributions pyproject.toml declares, optional ones (extras) included."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [*project["dependencies"],
                    *(r for extra in project.get("optional-dependencies", {}).values()
                      for r in extra)]
    names = {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] for r in requirements}
    return {n.lower().replace("_", "-") for n in names}


def test_every_imported_package_is_declared() -> None:
    distributions = packages_distributions()
    missing = set()
    for path in MODULES:
        for _, module, _ in imports(parsed(path)):
            top = module.split(".")[0]
            if third_party(module):
                found = distributions.get(top) or [NOT_INSTALLED.get(top, top)]
                names = {d.lower().replace("_", "-") for d in found}
                if not names & declared():
                    missing.add(top)
    assert missing == set()


def test_the_fast_moving_dependencies_stop_before_their_next_major_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0]: r
                    for r in project["project"]["dependencies"]}
    for name in ("textual", "textual-serve", "plotext", "polars"):
        assert re.search(r"<\s*\d+", requirements[name]), requirements[name]
