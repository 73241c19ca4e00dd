"""pytest plugin for ``make student-notebooks``: run the student copies, where only check cells may fail.

A student copy (``make student``) has every exercise left as its stub, so each exercise's check
cell (``assert exercises.check_xxx(...), "see the hint above"``, tagged ``check``) prints a hint
and fails its ``assert``. That failure is expected and reported as xfail. Any other failure fails
the run: an error in a check cell that is not the check's own ``AssertionError``, and any error in
a cell that is not a check cell (a later cell that still calls a student's unfinished function,
say). Use::

    COLORLAB_QUICK=1 PYTHONPATH=scripts python -m pytest -p nbval_student --nbval-lax --nbval-current-env student/
"""

from __future__ import annotations

import re

import pytest

#: The message every check cell's ``assert`` carries.
CHECK_MESSAGE = "see the hint above"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def is_check_cell(cell) -> bool:
    """True for an exercise's check cell: tagged ``check``, or a code cell calling ``exercises.check_...``."""
    if cell is None or cell.get("cell_type") != "code":
        return False
    tags = cell.get("metadata", {}).get("tags", [])
    return "check" in tags or "exercises.check_" in cell.get("source", "")


def is_expected_check_failure(text: str) -> bool:
    """True when an nbval failure text is the check's own ``AssertionError("see the hint above")``."""
    plain = _ANSI.sub("", text)
    return f"AssertionError: {CHECK_MESSAGE}" in plain


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not report.failed or call.excinfo is None:
        return
    if not is_check_cell(getattr(item, "cell", None)):
        return
    error = call.excinfo.value
    text = str(getattr(error, "inner_traceback", "") or "") + " ".join(str(arg) for arg in getattr(error, "args", ()))
    if is_expected_check_failure(text):
        report.outcome = "skipped"
        report.wasxfail = "exercise left as its stub: its check fails, as it should in a student copy"
