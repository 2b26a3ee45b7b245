"""The project's exceptions: everything a user can cause raises a DnnError.

Each kind carries the exit code the command line uses for it: 2 for bad input
(config, data, model file, command-line usage), 1 for a run that failed.
"""

from __future__ import annotations

import difflib
import itertools
import numbers

SUGGEST_LIMIT = 1000  # choices looked at for "did you mean": difflib is slow per choice
LIST_LIMIT = 200  # characters of a name list in a message


class DnnError(Exception):
    """Base of every error a user can cause; `exit_code` is what the CLI exits with.

    options: how the message names a library parameter (e.g. 'by_position=True') mapped to the command-line
    option that sets it ('--by-position'); the CLI shows the option, a library caller the parameter.
    """

    exit_code = 2

    def __init__(self, message: str = "", *, options: dict[str, str] | None = None):
        super().__init__(message)
        self.options = dict(options or {})


class ConfigError(DnnError):
    """The config (file, --set override or flag) is invalid."""


class DataError(DnnError):
    """A data file or a built-in dataset request is invalid."""


class ModelFileError(DnnError):
    """A model or parameter file is missing, corrupt or does not fit."""


class UsageError(DnnError):
    """A command-line argument combination that cannot work."""


class TrainingError(DnnError):
    """The run itself failed (the cost diverged, a check did not pass)."""

    exit_code = 1


def suggest(name, choices) -> str:
    """"; did you mean 'x'?" for the closest of `choices`, or "" when none is close.

    Close means similar spelling, or `name` being the initials of a snake_case choice
    ('lr' -> 'learning_rate').
    """
    choices = [str(c) for c in itertools.islice(choices, SUGGEST_LIMIT)]
    name = str(name)[:200]
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if "_" in c and "".join(w[0] for w in c.split("_") if w) == name.lower()]
    return f"; did you mean '{close[0]}'?" if close else ""


# Characters that str.splitlines() breaks on: escaped, so one problem stays one line.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def shorten(text, limit: int = 60) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis, so a huge value never floods a message."""
    text = str(text).translate(_LINE_BREAKS)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value, limit: int = 60) -> str:
    """A user's value as a message shows it: YAML's words for null and booleans, a short excerpt at most.

    Every message that quotes a value from a config or --set goes through here (or `shorten`), so a
    10 MB string or a list of a million items never floods the terminal.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        text = repr(list(value)) if len(value) <= limit else ""
        return text if text and len(text) <= limit else f"a list of {len(value)}"
    try:
        return shorten(repr(value), limit)
    except ValueError:  # an integer too long for repr
        return "a huge number"


def listed(names, limit: int = LIST_LIMIT) -> str:
    """Names joined with ', ', cut at a name boundary when long: 'a, b, c, ... and 990 more'."""
    names = [str(n) for n in names]
    text = ", ".join(names)
    if len(text) <= limit:
        return text
    shown, used = [], 0
    for name in names:
        if len(name) > limit // 2:
            name = name[: limit // 2 - 1] + "…"
        if used + len(name) + 2 > limit - 20 and shown:
            break
        shown.append(name)
        used += len(name) + 2
    more = len(names) - len(shown)
    return ", ".join(shown) + (f", ... and {more} more" if more else "")


def is_int(value) -> bool:
    """True for an integer (Python's or NumPy's), False for a bool: True is not a count."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value) -> bool:
    """True for a real number (int, float, NumPy's), False for a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def lookup(registry: dict, name, what: str):
    """registry[name], or a ConfigError naming `what`, the valid choices and the closest one."""
    try:
        return registry[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown {what} '{shorten(name)}': expected one of {', '.join(registry)}"
                          + suggest(name, registry)) from None


class ParameterError(UsageError):
    """A bad value of a library function's parameter, named as the library names it.

    The message is `name + rest`, e.g. "schemes: unknown init scheme 'hee' ..."; a front end that
    exposes the parameter under another name (the command line's `--schemes`) renders it with
    `as_named(flag)`, so the core never spells a command-line flag.
    """

    def __init__(self, param: str, rest: str):
        super().__init__(param + rest)
        self.param, self.rest = param, rest

    def as_named(self, name: str) -> UsageError:
        return UsageError(name + self.rest)
