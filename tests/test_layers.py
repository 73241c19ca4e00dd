"""The package's import graph: no cycles, imports point down the layers, `import colorlab` stays light.

Every ``import`` and ``from ... import`` of ``colorlab/**/*.py`` counts, also those inside
functions (a lazy import still ties two modules together).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "colorlab"

#: The layers of README.md's module table, bottom (0) to top. A module may import its own layer
#: (without a cycle) or any layer below, never one above.
LAYERS = {
    0: ["colorlab", "colorlab.color", "colorlab.io", "colorlab.device"],
    1: ["colorlab.bins", "colorlab.metrics", "colorlab.data", "colorlab.inference", "colorlab.turing"],
    2: ["colorlab.models", "colorlab.weights"],
    3: ["colorlab.pipeline", "colorlab.hints", "colorlab.film"],
    4: ["colorlab.train", "colorlab.evaluation", "colorlab.opencv_dnn", "colorlab.pretext"],
    5: ["colorlab.app", "colorlab.viz", "colorlab.exercises"],
    6: ["colorlab.cli", "colorlab.widgets", "colorlab.__main__"],
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks (never run)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            skipped.update(id(child) for statement in node.body for child in ast.walk(statement))
    return skipped


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The colorlab modules ``path`` imports at run time.

    ``from colorlab import x`` names the submodule ``colorlab.x`` when there is one, else the
    package ``colorlab`` itself.
    """
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    skipped = _type_checking_nodes(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                found.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module)
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    """module -> the colorlab modules it imports."""
    files = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: _imports(path, name, set(files)) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if state.get(other) == 1:
                return stack[stack.index(other):] + [other]
            if other not in state and (cycle := visit(other)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_of(module: str) -> int:
    best, level = "", None
    for number, prefixes in LAYERS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, level = prefix, number
    if level is None:
        raise AssertionError(f"{module} has no layer in tests/test_layers.py: add it (and to README.md's table)")
    return level


def test_find_cycle_names_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_imports_point_down_the_layers():
    upward = [
        f"{module} (layer {layer_of(module)}) imports {other} (layer {layer_of(other)})"
        for module, others in sorted(import_graph().items())
        for other in sorted(others)
        if module != "colorlab" and layer_of(other) > layer_of(module)
    ]
    assert not upward, "\n".join(upward)


def test_no_module_is_over_900_lines():
    long = {str(path.relative_to(PACKAGE)): n for path in PACKAGE.rglob("*.py") if (n := len(path.read_text().splitlines())) > 900}
    assert not long, long


@pytest.mark.parametrize(
    "code",
    [
        "import colorlab",
        "import colorlab; colorlab.__version__; dir(colorlab)",
        "import colorlab.cli; colorlab.cli.build_parser()",
        "import colorlab.models; colorlab.models.available(); colorlab.models.bundled()",
        "import colorlab.models.released as r; r.official_cached('eccv16')",
    ],
)
def test_light_imports_leave_torch_unimported(code):
    check = code + "; import sys; assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('torch'))[:3]"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_top_level_names_resolve_lazily():
    import colorlab

    assert callable(colorlab.colorize) and colorlab.colorize.__module__ == "colorlab.pipeline"
    assert colorlab.load_image is colorlab.io.load_image
    assert issubclass(colorlab.ColorlabError, ValueError)
    assert colorlab.color.__name__ == "colorlab.color"
    assert set(colorlab.__all__) <= set(dir(colorlab))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        colorlab.nope  # noqa: B018
