"""The dependency rule: the core is NumPy only, never prints, and imports without the CLI stack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dnn_cli"
PRESENTATION = {"render.py", "plotting.py", "__main__.py"}
CORE = sorted(p for p in PACKAGE.glob("*.py") if p.name not in PRESENTATION)
UI_PACKAGES = {"typer", "rich", "matplotlib", "click"}


def test_core_imports_without_loading_the_cli_stack():
    modules = ", ".join(f"dnn_cli.{p.stem}" for p in CORE if p.stem != "__init__")
    code = (f"import sys, importlib; [importlib.import_module(m) for m in '{modules}'.split(', ')]; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(UI_PACKAGES)!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_core_module_neither_prints_nor_imports_ui_packages(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("print", "exit", "input"), f"{path.name}:{node.lineno} calls {node.func.id}"
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        assert not {n.split(".")[0] for n in names} & UI_PACKAGES, f"{path.name}:{node.lineno} imports {names}"
