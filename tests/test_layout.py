"""The direction of imports: annotate (the domain) ← api (the interface) ← web (the pages).

The domain never imports the API or the pages, and the API never imports the pages, so a rule
lives in one room and every door uses it. Checked on the source, not by convention.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"annotate": {"api", "web"}, "api": {"web"}}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if imported_packages(path) & FORBIDDEN[package]
    }
    assert wrong == {}, f"{package} must not import {sorted(FORBIDDEN[package])}"


def test_benchmarks_do_not_import_the_tests():
    wrong = [
        str(path.relative_to(ROOT)) for path in (ROOT / "bench").glob("*.py") if "tests" in imported_packages(path)
    ]
    assert wrong == []
