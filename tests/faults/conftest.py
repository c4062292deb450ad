"""The fault-injection suite (`pytest -m faults`): real processes, one fault each, and a table
of what was expected and what was observed, printed at the end of the run.

Deselected from a plain `pytest` run (pyproject's addopts say `-m "not faults"`); `.ci/run`
runs it once, serially, on PostgreSQL + Redis.
"""

from dataclasses import dataclass

import pytest

pytestmark = pytest.mark.faults


@dataclass
class Observation:
    case: str
    expected: str
    observed: str
    passed: bool = True


OBSERVATIONS: list[Observation] = []


@pytest.fixture
def fault_report(request):
    """report(case, expected, observed): a row of the final table. A test that fails after
    reporting has its row marked as failed."""
    rows: list[Observation] = []

    def report(case: str, expected: str, observed: str) -> None:
        row = Observation(case, expected, observed)
        rows.append(row)
        OBSERVATIONS.append(row)

    yield report
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for row in rows:
            row.passed = False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not OBSERVATIONS:
        return
    headers = ("fault", "expected", "observed", "")
    rows = [(o.case, o.expected, o.observed, "ok" if o.passed else "FAILED")
            for o in OBSERVATIONS]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    terminalreporter.section("fault injection: expected and observed")
    for line in (headers, tuple("-" * width for width in widths), *rows):
        cells = (str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        terminalreporter.write_line("  ".join(cells).rstrip())
