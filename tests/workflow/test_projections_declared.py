"""Projections are declared on the log, not registered by whatever a process imported.

A fresh install once kept an empty obligation table because the code keeping it was a set
of listeners on SQLAlchemy's Session, registered only when its module happened to be
imported. Now every projection is named in `workflow/projections.py`, and the log loads
that declaration itself.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import workflow
from workflow.eventlog.projection import declared, known_event_types

ROOT = Path(workflow.__file__).resolve().parent.parent
PACKAGE = ROOT / "workflow"


def _modules() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
from workflow.eventlog.projection import declared, known_event_types
print(json.dumps({"projections": [p.name for p in declared()], "types": sorted(known_event_types())}))
"""


def test_importing_any_one_module_alone_still_gives_every_projection():
    expected = {"projections": [p.name for p in declared()], "types": sorted(known_event_types())}
    assert expected["projections"] == ["org", "posts", "pairings", "teams", "plans", "accounts", "exits", "visits", "imports", "onboarding", "obligations", "pairing_cover", "poor_counts"]

    def probe(module: str):
        done = subprocess.run([sys.executable, "-c", PROBE, module], cwd=ROOT, capture_output=True, text=True, timeout=120)
        return module, done.returncode, done.stdout, done.stderr

    with ThreadPoolExecutor(max_workers=4) as pool:
        for module, code, out, err in pool.map(probe, _modules()):
            assert code == 0, f"{module}: {err}"
            assert json.loads(out) == expected, module


def test_no_listener_on_the_session_keeps_a_projection():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "listens_for(Session" not in text and "event.listen(Session" not in text, path


def _imports(path: Path) -> set[str]:
    """Every module of the package `path` imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_domain_has_no_import_loop():
    modules = _modules()
    edges = {}
    for module in modules:
        path = ROOT / Path(*module.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        edges[module] = {name for name in _imports(path) if name in modules and name != module}
    # Depth-first search for a cycle; report its path.
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for nxt in sorted(edges[module]):
            if state.get(nxt) == 1:
                raise AssertionError("import loop: " + " -> ".join(trail[trail.index(nxt):] + [nxt]) if nxt in trail else nxt)
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[module] = 2

    for module in modules:
        if module not in state:
            visit(module, [module])


def test_a_run_mixes_types_only_where_one_projection_alone_keeps_them():
    """`runs`: the exits projection mixes a household's steps, but a signature, which the
    pairing cover and the poor counts also keep, starts a run of its own unless those are
    deferred (a bulk load, a replay); an objection is never mixed; a visit is its own type."""
    from types import SimpleNamespace

    from workflow.eventlog.projection import _DEFERRED, runs

    types = ["exit_case.opened", "exit_case.proposed", "exit_case.notice_posted", "exit_case.signed", "exit_case.signed",
             "exit_case.objection_lodged", "exit_case.opened", "exit_case.relapsed", "visit.recorded", "visit.recorded", "exit_case.proposed"]
    events = [SimpleNamespace(type=t, n=n) for n, t in enumerate(types)]

    def split(deferred: bool) -> list[list[int]]:
        session = SimpleNamespace(info={_DEFERRED: True} if deferred else {})
        return [[event.n for event in run] for run in runs(session, events)]

    assert split(deferred=False) == [[0, 1, 2], [3, 4], [5], [6], [7], [8, 9], [10]]
    assert split(deferred=True) == [[0, 1, 2, 3, 4], [5], [6, 7], [8, 9], [10]]
