"""The text of a config file, read as UTF-8; ConfigError naming the file for every way reading it fails."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError


def read_config_text(path: Path) -> str:
    """The whole config file at `path` as text."""
    source = str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: expected a YAML file, got a directory") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: expected UTF-8 text, got undecodable bytes") from None
    except OSError as e:
        raise ConfigError(f"{source}: cannot read the config: {e.strerror}") from None
