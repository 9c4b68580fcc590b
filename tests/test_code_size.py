"""Issue 25's size rules for flows/: no module over 500 lines, no function over 80 lines.

Long modules and functions are where the core grew by accretion (a 1 119-line cli.py, a 270-line parser);
the limits keep each module named after one thing it does and each function readable in one screen.
"""

from __future__ import annotations

import ast
from pathlib import Path

from flows import paths

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def oversized(root: Path, max_module: int = MAX_MODULE_LINES, max_function: int = MAX_FUNCTION_LINES) -> list[str]:
    """Every module under root over max_module lines and every function (or method, nested ones too) over
    max_function lines, counted from its `def` line (decorators not included) to its last line."""
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(root.parent).as_posix()
        lines = len(text.splitlines())
        if lines > max_module:
            found.append(f"{where}: {lines} lines (module)")
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > max_function:
                    found.append(f"{where}:{node.lineno} {node.name}: {length} lines (function)")
    return found


def test_no_module_or_function_in_flows_is_over_the_limits():
    assert oversized(paths.PROJECT_ROOT / "flows") == []


def test_the_count_finds_a_long_module_and_a_long_function(tmp_path: Path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    body = "\n".join(f"    x{i} = {i}" for i in range(79))
    (package / "short.py").write_text(f"def fits():\n{body}\n", encoding="utf-8")  # 80 lines: allowed
    nested = "\n".join(f"            y{i} = {i}" for i in range(80))
    (package / "sub" / "long.py").write_text(
        f"class A:\n    def method(self):\n        def inner():\n{nested}\n", encoding="utf-8"
    )
    (package / "big.py").write_text("x = 1\n" * 501, encoding="utf-8")
    assert oversized(package) == [
        "pkg/big.py: 501 lines (module)",
        "pkg/sub/long.py:2 method: 82 lines (function)",
        "pkg/sub/long.py:3 inner: 81 lines (function)",
    ]
