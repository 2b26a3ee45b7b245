"""The dependency rule: the core is NumPy only, never prints, and imports without the CLI stack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dnn_cli"
PRESENTATION = {"render.py", "plotting.py", "__main__.py"}
CORE = sorted(p for p in PACKAGE.rglob("*.py")
              if p.name not in PRESENTATION and "cli" not in p.relative_to(PACKAGE).parts)
UI_PACKAGES = {"typer", "rich", "matplotlib", "click"}


def test_core_imports_without_loading_the_cli_stack():
    modules = ", ".join("dnn_cli." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in CORE
                        if p.stem != "__init__")
    code = (f"import sys, importlib; [importlib.import_module(m) for m in '{modules}'.split(', ')]; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(UI_PACKAGES)!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
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


# Calls that open a file. Only dnn_cli/io/ makes them, apart from these, which open no user's file: the
# kernel's memory status (/proc, /sys), the starter config shipped inside the package, and os.devnull.
OPENING_NAMES = {"open"}
NUMPY_OPENERS = {"load", "save", "savez", "savez_compressed", "loadtxt", "genfromtxt", "fromfile", "savetxt"}
OPENING_METHODS = {"ZipFile", "read_text", "read_bytes", "write_text", "write_bytes", "open", "fdopen", "mkstemp",
                   "tofile"}
ALLOWED_OPENERS = {("resources.py", "open"), ("resources.py", "read_text"), ("cli/init.py", "read_bytes"),
                   ("cli/_common.py", "open")}
OUTSIDE_IO = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "io")


def _openers(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in OPENING_NAMES:
            yield node.func.id, node.lineno
        elif isinstance(node.func, ast.Attribute):
            numpy = isinstance(node.func.value, ast.Name) and node.func.value.id in ("np", "numpy")
            if node.func.attr in OPENING_METHODS or numpy and node.func.attr in NUMPY_OPENERS:
                yield node.func.attr, node.lineno


@pytest.mark.parametrize("path", OUTSIDE_IO, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_io_package_opens_files(path):
    name = path.relative_to(PACKAGE).as_posix()
    found = [f"{name}:{line} calls {call}" for call, line in _openers(path) if (name, call) not in ALLOWED_OPENERS]
    assert not found, "files are opened in dnn_cli/io/ only: " + "; ".join(found)


def test_the_file_opening_check_sees_what_the_io_package_does():
    """The rule's oracle: every opening call the io package makes is one the check recognises."""
    seen = {call for p in (PACKAGE / "io").glob("*.py") for call, _ in _openers(p)}
    assert {"open", "load", "read_text", "mkstemp", "fdopen"} <= seen
