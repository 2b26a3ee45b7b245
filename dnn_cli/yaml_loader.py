"""The one guarded YAML loader that every config source (file, --set value) goes through.

Safe tags only, no object is ever constructed from a tag, alias expansion is bounded before anything
is built (a 'billion laughs' document is refused in milliseconds), and every problem is a ConfigError.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import ConfigError, shorten

# PyYAML follows YAML 1.1, where 1e-8 (no dot) is a string; a config author means a number.
_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")

MAX_VALUES = 100_000


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789"))


class Dumper(yaml.SafeDumper):
    """Mappings as blocks, lists inline ([2, 4, 1])."""


Dumper.add_representer(list, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))


def _positions(node, path=(), out=None) -> dict:
    """Line (1-based) of every key path in a composed YAML node tree; duplicate keys are errors."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark)
            if name in seen:
                raise ConfigError(f"line {key.start_mark.line + 1}: duplicate key '{shorten(name)}'")
            seen.add(name)
            out[path + (name,)] = key.start_mark.line + 1
            _positions(value, path + (name,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _positions(item, path + (i,), out)
    return out


def _expanded_size(node, memo: dict) -> int:
    """How many values the document has once every alias is expanded (aliases share nodes)."""
    key = id(node)
    if key in memo:
        if memo[key] is None:
            raise ConfigError("a YAML alias refers to itself; refusing the recursive document")
        return memo[key]
    memo[key] = None
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(item, memo) for item in node.value)
    else:
        size = 1
    memo[key] = size
    return size


def parse_yaml(text: str, source: str, *, with_lines: bool = True) -> tuple[Any, dict]:
    """The YAML document (safe tags only) and the line of each key path; ConfigError on bad YAML.

    The document is parsed once; alias expansion is bounded (a 'billion laughs' document is refused
    before anything is built) and objects are never constructed from tags. with_lines=False (a --set
    value) leaves line numbers out of the messages: they would be read as lines of the config file.
    """
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if _expanded_size(node, {}) > MAX_VALUES:
            raise ConfigError(f"the document expands to more than {MAX_VALUES:,} values through YAML aliases; "
                              "refusing it")
        lines = _positions(node)
        data = loader.construct_document(node)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None
    except RecursionError:
        raise ConfigError(f"{source}: the YAML is nested too deeply") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f":{mark.line + 1}" if mark and with_lines else ""
        raise ConfigError(f"{source}{where}: invalid YAML: {shorten(e.problem or e.context, 200)}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{source}: invalid YAML: {shorten(e, 200)}") from None
    except ValueError as e:
        # A scalar that its tag cannot hold: a date such as 2001-13-45, an integer of 5,000 digits.
        raise ConfigError(f"{source}: invalid YAML: a value cannot be read ({shorten(e, 200)})") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines
