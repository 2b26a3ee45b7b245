"""Rich renderables for the per-layer signals: `dnn train --trace` and `dnn compare-init --depth`."""

from __future__ import annotations

import math

from rich.console import Group
from rich.markup import escape
from rich.table import Table


def _g(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3g}"


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def _get(row, key):
    return row[key] if isinstance(row, dict) else getattr(row, key)


def _table(title: str, columns, caption: str | None = None) -> Table:
    # Course notation such as g^[l] would otherwise be read as rich markup and vanish.
    table = Table(title=escape(title), caption=escape(caption) if caption else None)
    for name, justify in columns:
        table.add_column(escape(name), justify=justify)
    return table


def _dead_or_saturated(row) -> str:
    dead, saturated = _get(row, "dead"), _get(row, "saturated")
    if dead is not None:
        return f"{_pct(dead)} dead"
    if saturated is not None:
        return f"{_pct(saturated)} sat."
    return "-"


def trace_table(epoch: int, rows) -> Table:
    """One logged epoch of a traced run: per layer l, g^[l], std A^[l], dead / saturated %, ||dW^[l]||, update ratio."""
    table = _table(f"Layers at epoch {epoch}", [("l", "right"), ("g^[l]", "left"), ("std Z^[l]", "right"),
                                                ("std A^[l]", "right"), ("dead/sat.", "right"),
                                                ("||dW^[l]||", "right"), ("update ratio", "right")])
    for row in rows:
        table.add_row(str(_get(row, "l")), escape(_get(row, "g")), _g(_get(row, "std_Z")), _g(_get(row, "std_A")),
                      _dead_or_saturated(row), _g(_get(row, "dW_norm")), _g(_get(row, "update_ratio")))
    return table


def trace_tables(history) -> list:
    """A trace_table per logged epoch that carries layers."""
    return [trace_table(h.epoch, h.layers) for h in history if h.layers]


def verdict_lines(verdicts) -> Group:
    """The verdicts of a traced run, one line each."""
    table = _table("Verdicts (per-layer signals)", [("verdict", "left")])
    for text in verdicts:
        table.add_row(escape(text))
    return Group(table)
