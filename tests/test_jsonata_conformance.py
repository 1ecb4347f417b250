"""The official JSONata conformance cases, run through OUR adapter (compile + bounded evaluate),
for every engine a mapping can run on (INBOUND_MAPPING_ENGINE).

No engine passes every case, so the test guards a baseline per engine: the ids of the cases
that passed when it was last written (`tests/jsonata_conformance_baseline.json` for
jsonata-python, `tests/jsonata_conformance_baseline_jlens.json` for jlens). A case in a baseline
that stops passing fails the run; new passes are welcome and are recorded by regenerating:

    .venv/bin/python -m tests.test_jsonata_conformance --update-baseline

The suite lives outside the repository (`../shared/jsonata-test-suite`, or the folder named by
INBOUND_JSONATA_SUITE); without it this module is skipped.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from errors import MappingError
from mapping import CompiledMapping

ROOT = Path(__file__).resolve().parent.parent
SUITE = Path(os.environ.get("INBOUND_JSONATA_SUITE") or ROOT.parent / "shared" / "jsonata-test-suite")
BASELINES = {
    "jsonata-python": Path(__file__).with_name("jsonata_conformance_baseline.json"),
    "jlens": Path(__file__).with_name("jsonata_conformance_baseline_jlens.json"),
}

# Bounds for cases that name none: the two "performance" cases take ~2 s in this engine, and a
# case the engine got stuck on would still end instead of hanging the run.
DEFAULT_TIMELIMIT_MS = 10_000
DEFAULT_DEPTH = 1000
DEFAULT_MAX_ITEMS = 10_000_000  # the reference implementation's own range limit (D2014)
REL_TOL = 1e-12


@dataclass(frozen=True)
class Case:
    id: str
    spec: dict[str, Any]
    folder: Path

    @property
    def expression(self) -> str:
        if "expr-file" in self.spec:
            return (self.folder / self.spec["expr-file"]).read_text()
        return str(self.spec["expr"])

    def data(self, datasets: Path) -> Any:
        if "data" in self.spec:
            return self.spec["data"]
        if self.spec.get("dataset"):
            return json.loads((datasets / f"{self.spec['dataset']}.json").read_text())
        return None


def load_cases(suite: Path = SUITE) -> Iterator[Case]:
    for path in sorted((suite / "groups").glob("*/*.json")):
        content = json.loads(path.read_text())
        name = f"{path.parent.name}/{path.stem}"
        if isinstance(content, list):
            for index, spec in enumerate(content):
                yield Case(f"{name}[{index}]", spec, path.parent)
        else:
            yield Case(name, content, path.parent)


def same(expected: Any, actual: Any, *, unordered: bool = False) -> bool:
    """Deep JSON equality: true is not 1, floats within a tiny relative tolerance."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(expected, actual, rel_tol=REL_TOL, abs_tol=0.0)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return False
        if not unordered:
            return all(same(e, a) for e, a in zip(expected, actual, strict=True))
        remaining = list(actual)
        for item in expected:
            match = next((i for i, other in enumerate(remaining) if same(item, other)), None)
            if match is None:
                return False
            remaining.pop(match)
        return True
    return type(expected) is type(actual) and expected == actual


def run_case(case: Case, engine: str, suite: Path = SUITE) -> str | None:
    """None when the case passes on `engine`, else what went wrong."""
    spec = case.spec
    expected_code = spec.get("code") or (spec.get("error") or {}).get("code")
    try:
        mapping = CompiledMapping.compile(
            case.expression,
            timeout_ms=int(spec.get("timelimit") or DEFAULT_TIMELIMIT_MS),
            max_depth=int(spec.get("depth") or DEFAULT_DEPTH),
            max_items=DEFAULT_MAX_ITEMS,
            engine=engine,
        )
        result = mapping.evaluate(case.data(suite / "datasets"), spec.get("bindings") or {})
    except MappingError as error:
        if expected_code and error.jsonata_code == expected_code:
            return None
        return f"raised {error.jsonata_code}: {error.message}"
    if expected_code:
        return f"expected error {expected_code}, got {result!r:.200}"
    if spec.get("undefinedResult"):
        return None if result is None else f"expected undefined, got {result!r:.200}"
    if same(spec.get("result"), result, unordered=bool(spec.get("unordered"))):
        return None
    return f"expected {spec.get('result')!r:.200}, got {result!r:.200}"


def _baseline(engine: str) -> list[str]:
    path = BASELINES[engine]
    if not path.exists():
        return []
    return list(json.loads(path.read_text())["passing"])


if not (SUITE / "groups").is_dir():
    pytest.skip(
        f"JSONata conformance suite not found at {SUITE} (set INBOUND_JSONATA_SUITE to its folder)",
        allow_module_level=True,
    )

CASES = {case.id: case for case in load_cases()}


@pytest.mark.parametrize("engine", sorted(BASELINES))
def test_baseline_exists_and_names_known_cases(engine: str) -> None:
    baseline = _baseline(engine)
    assert baseline, "no baseline yet: run `python -m tests.test_jsonata_conformance --update-baseline`"
    unknown = sorted(set(baseline) - CASES.keys())
    assert not unknown, f"baseline names cases the suite no longer has: {unknown[:10]}"


@pytest.mark.parametrize(
    ("engine", "case_id"),
    [(engine, case_id) for engine in sorted(BASELINES) for case_id in _baseline(engine)],
)
def test_case_still_passes(engine: str, case_id: str) -> None:
    case = CASES.get(case_id)
    if case is None:
        pytest.fail(f"{case_id} is in the baseline but not in the suite")
    problem = run_case(case, engine)
    assert problem is None, f"{case_id} regressed: {problem}\nexpression: {case.expression}"


def update_baseline(engine: str) -> None:
    started = time.perf_counter()
    outcomes = {case_id: run_case(case, engine) for case_id, case in CASES.items()}
    passing = sorted(case_id for case_id, problem in outcomes.items() if problem is None)
    BASELINES[engine].write_text(
        json.dumps(
            {
                "about": f"ids of the JSONata conformance cases our adapter passes on {engine}; "
                "regenerate with "
                "`python -m tests.test_jsonata_conformance --update-baseline`",
                "total": len(outcomes),
                "passed": len(passing),
                "passing": passing,
            },
            indent=1,
        )
        + "\n"
    )
    seconds = time.perf_counter() - started
    where = BASELINES[engine].relative_to(ROOT)
    print(f"{engine}: {len(passing)}/{len(outcomes)} cases pass ({seconds:.1f} s); wrote {where}")


def report(engine: str) -> None:
    """List every failing case with the reason (for looking into the engine's gaps)."""
    for case_id, case in CASES.items():
        problem = run_case(case, engine)
        if problem is not None:
            print(f"{engine} {case_id}: {problem}")


if __name__ == "__main__":
    if "--update-baseline" in sys.argv:
        for name in sorted(BASELINES):
            update_baseline(name)
    elif "--report" in sys.argv:
        for name in sorted(BASELINES):
            report(name)
    else:
        print("usage: python -m tests.test_jsonata_conformance --update-baseline | --report")
