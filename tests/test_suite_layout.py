"""The test suite's own layout: tests share helpers through conftest.py and tests/support/, and no
test module imports another (running one file alone then runs only that file's tests)."""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """The top-level names of every module `path` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_module_imports_another() -> None:
    offenders = {path.name: sorted(n for n in imported_modules(path) if n.startswith("test_"))
                 for path in sorted(TESTS.rglob("*.py"))}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_imported_modules_reads_both_import_forms(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text("import os.path\nfrom test_faults import VideoServer\nfrom . import sibling\n")
    assert imported_modules(module) == {"os", "test_faults"}
