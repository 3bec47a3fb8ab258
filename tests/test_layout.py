"""The layout's rules, read from the imports of forkflow's own files (docs/architecture.md).

- the core never imports the command line (``forkflow.cli``);
- each outside library is imported in one place: pygit2 in ``gitrepo/``, github3 in the GitHub
  forge, python-gitlab (``gitlab``) in the GitLab forge, matplotlib in the chart, Dask's distributed in ``scale/``;
- no command module imports another's private names;
- the modules' import-time imports form no circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "forkflow"

ONLY_IN = {
    "pygit2": ("forkflow.gitrepo.",),
    "github3": ("forkflow.forge.github.",),
    "gitlab": ("forkflow.forge.gitlab.",),
    "matplotlib": ("forkflow.report.chart",),
    "distributed": ("forkflow.scale.",),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, *, top_level_only: bool) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for each import of the file.

    ``top_level_only``: the imports that run when the module is imported (not those inside a
    function, nor those under ``if TYPE_CHECKING:``).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[str, list[str]]] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.extend((alias.name, []) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((node.module, [alias.name for alias in node.names]))
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body + node.orelse)
            elif isinstance(node, (ast.Try,)):
                visit(node.body + [s for h in node.handlers for s in h.body] + node.orelse + node.finalbody)
            elif not top_level_only and hasattr(node, "body"):
                for child in ast.walk(node):
                    if isinstance(child, ast.Import):
                        found.extend((alias.name, []) for alias in child.names)
                    elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                        found.append((child.module, [alias.name for alias in child.names]))

    visit(tree.body)
    return found


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def test_the_modules_are_found() -> None:
    assert {"forkflow", "forkflow.cli", "forkflow.scan.pipeline", "forkflow.gitrepo.repo"} <= set(MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_the_core_never_imports_the_command_line(name: str) -> None:
    if name == "forkflow.cli" or name.startswith("forkflow.cli.") or name == "forkflow.__main__":
        return
    wrong = [module for module, _ in _imports(MODULES[name], top_level_only=False) if module.startswith("forkflow.cli")]
    assert wrong == [], f"{name} imports {wrong}"


@pytest.mark.parametrize("library", sorted(ONLY_IN))
def test_each_outside_library_is_imported_in_one_place(library: str) -> None:
    importers = {
        name
        for name, path in MODULES.items()
        for module, _ in _imports(path, top_level_only=False)
        if module == library or module.startswith(library + ".")
    }
    assert importers, f"nothing imports {library}: the rule names a place that no longer exists"
    strays = sorted(name for name in importers if not any(name.startswith(place) for place in ONLY_IN[library]))
    assert strays == [], f"{library} is imported outside {ONLY_IN[library]}: {strays}"


def test_no_command_module_takes_another_modules_private_names() -> None:
    taken = [
        f"{name} takes {imported} from {module}"
        for name, path in MODULES.items()
        if name.startswith("forkflow.cli")
        for module, names in _imports(path, top_level_only=False)
        if module.startswith("forkflow.cli")
        for imported in names
        if imported.startswith("_")
    ]
    assert taken == []


def test_the_import_time_imports_form_no_circle() -> None:
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        graph.add_node(name)
        for module, names in _imports(path, top_level_only=True):
            if not module.startswith("forkflow"):
                continue
            # ``from forkflow.x import y`` imports forkflow.x.y when y is a module
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES] or [module]
            for target in targets:
                if target in MODULES and target != name and not name.startswith(target + "."):
                    graph.add_edge(name, target)
    assert graph.number_of_edges() > 100  # the imports were read
    circles = list(nx.simple_cycles(graph))
    assert circles == [], f"import circles: {circles[:5]}"


TESTS = Path(__file__).resolve().parent
TEST_HELPERS = {
    "fakegithub",
    "fakegitlab",
    "faults",
}  # the fake forges' own tests; the fault suite, run as real processes


def test_the_tests_sit_beside_the_packages_they_test() -> None:
    packages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    folders = {path.parent.name for path in TESTS.glob("*/test_*.py")}
    assert folders - TEST_HELPERS <= packages, f"test folders with no package of that name: {folders - packages}"
    assert {"scan", "gitrepo", "cli", "store"} <= folders


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    """One command on a fresh Debian machine: the README's, which .ci/run runs word for word."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Run the tests**") :]
    command = section[section.index("```sh\n") + len("```sh\n") :].split("\n", 1)[0]
    assert command.startswith("sh tests/services.sh && ") and command.endswith("python -m pytest -n auto")
    ci = (PACKAGE.parent / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == command
