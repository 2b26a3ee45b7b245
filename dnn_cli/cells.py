"""The text of a CSV cell as a number: plain decimal notation only.

Python's float() also takes '1_000', Unicode digits ('١٢') and surrounding whitespace; a data file
means none of these as a number, so a cell is a number only when it is written as one in ASCII:
an optional sign, digits with an optional decimal point, an optional exponent ('-1.5', '.5', '1e5').
'inf' and 'nan' are recognised so that they can be refused as not finite, with their own message.
"""

from __future__ import annotations

import math
import re

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)


def parse_float(text: str) -> float | None:
    """The number a cell denotes (surrounding spaces ignored), inf/nan included; None if it is not one."""
    text = text.strip()
    if _DECIMAL.fullmatch(text) or _NON_FINITE.fullmatch(text):
        return float(text)
    return None


def is_number(text: str) -> bool:
    """True when `text` is a finite number in plain decimal notation."""
    value = parse_float(text)
    return value is not None and math.isfinite(value)
