"""Student copies (``make student``): solution cells dropped, everything but the check cells runs.

The full check runs the copies under nbval (``make student-notebooks``); these tests pin the
structure that makes it work, cheaply: the tags, the plugin that tells a check cell's expected
failure from a real one, and that no later cell needs a student's answer.
"""

import ast
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "scripts"))
import nbval_student  # noqa: E402 - the plugin lives in scripts/, next to the other tools

CHECK_LINE = re.compile(r'^assert exercises\.check_\w+\(.*\), "see the hint above"$', re.MULTILINE)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _defined_names(source: str) -> set[str]:
    """Top-level names a code cell defines (functions and assignments)."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


def _used_names(source: str) -> set[str]:
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_check_cells_are_tagged_and_every_exercise_has_a_stub_a_solution_and_a_check(path):
    cells = _cells(path)
    for index, cell in enumerate(cells):
        source = _source(cell)
        if cell["cell_type"] == "code" and "exercises.check_" in source and "solution" not in _tags(cell):
            assert "check" in _tags(cell), f"{path.name} cell {index}: tag the check cell 'check'"
            assert CHECK_LINE.search(source), f"{path.name} cell {index}: a check cell asserts the check with the usual message"
        if cell["cell_type"] == "code" and "exercise" in _tags(cell):
            stub_names = _defined_names(source)
            solution = cells[index + 1]
            assert "solution" in _tags(solution), f"{path.name} cell {index}: a stub is followed by its solution"
            assert stub_names <= _defined_names(_source(solution)), f"{path.name} cell {index}: the solution defines the stub's names"
            assert "check" in _tags(cells[index + 2]), f"{path.name} cell {index}: the solution is followed by the check"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_cell_outside_its_exercise_uses_a_students_answer(path):
    """A later cell that needs an exercise's result uses exercises.reference(...), not the student's stub."""
    answers: set[str] = set()
    for index, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code" or "solution" in _tags(cell):
            continue
        source = _source(cell).replace("%matplotlib inline", "")
        if "exercise" in _tags(cell):
            answers |= _defined_names(source)
            continue
        if "check" in _tags(cell):
            continue
        used = _used_names(source) & answers
        assert not used, f"{path.name} cell {index} uses the student's {sorted(used)}: use exercises.reference(...)"


def test_open_questions_have_an_answer_cell_in_the_student_copy():
    for path in NOTEBOOKS:
        cells = _cells(path)
        for index, cell in enumerate(cells):
            if cell["cell_type"] == "markdown" and "solution" in _tags(cell):
                before = [c for c in cells[:index] if "solution" not in _tags(c)]
                assert any(
                    c["cell_type"] == "markdown" and "exercise" in _tags(c) and "Your answer" in _source(c) for c in before[-3:]
                ), f"{path.name} cell {index}: give the question a 'Your answer' cell (tagged exercise) before its solution"


def test_plugin_tells_a_checks_own_failure_from_any_other_error():
    coloured = "\x1b[0;31mAssertionError\x1b[0m: see the hint above"
    assert nbval_student.is_expected_check_failure("Traceback ...\n" + coloured)
    assert not nbval_student.is_expected_check_failure("\x1b[0;31mNameError\x1b[0m: name 'x' is not defined")
    assert not nbval_student.is_expected_check_failure("AssertionError: the loss falls")  # a notebook's own assert
    check = {"cell_type": "code", "metadata": {"tags": ["check"]}, "source": 'assert exercises.check_x(x), "see the hint above"'}
    untagged = {"cell_type": "code", "metadata": {}, "source": 'assert exercises.check_x(x), "see the hint above"'}
    other = {"cell_type": "code", "metadata": {}, "source": "assert loss < 1"}
    assert nbval_student.is_check_cell(check) and nbval_student.is_check_cell(untagged)
    assert not nbval_student.is_check_cell(other) and not nbval_student.is_check_cell(None)
