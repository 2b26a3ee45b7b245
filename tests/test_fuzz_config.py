"""Generated configs: every document is either valid or refused with exit 2 and one line per problem."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnn_cli.config import load_config
from dnn_cli.errors import ConfigError

from .conftest import write

BASE = {
    "seed": 3,
    "data": {"source": "flower", "n_samples": 40},
    "model": {"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"]},
    "train": {"learning_rate": 1.2, "epochs": 3},
}
KEYS = [("seed",), ("data",), ("model",), ("train",)] + [
    (section, key) for section in ("data", "model", "train") for key in BASE[section]
] + [("data", "dev_fraction"), ("model", "init"), ("model", "keep_prob"), ("train", "batch_size"),
     ("train", "optimizer"), ("train", "early_stopping"), ("train", "beta1"), ("model", "loss"), ("data", "label")]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=300),
    st.sampled_from(["full", "tanh", "relu", "softmax", "adam", "he", "zeros", "1e-3", "", "∞", "ü" * 50]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check(cli, path):
    """Library: a Config or a ConfigError. CLI: exit 0 or exit 2 with 'dnn: error:' lines, no traceback."""
    try:
        load_config(path)
    except ConfigError as e:
        assert str(e)
    result = cli("train", path, "--print-config")
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith("dnn: error: ") for line in lines)


@pytest.mark.slow
@SETTINGS
@given(key=st.sampled_from(KEYS), value=values)
def test_any_value_at_any_key(cli, tmp_path, key, value):
    doc = {k: dict(v) if isinstance(v, dict) else v for k, v in BASE.items()}
    node = doc
    for part in key[:-1]:
        node = node[part]
    node[key[-1]] = value
    check(cli, write(tmp_path / "c.yaml", yaml.safe_dump(doc, allow_unicode=True)))


@pytest.mark.slow
@SETTINGS
@given(doc=values)
def test_any_document(cli, tmp_path, doc):
    check(cli, write(tmp_path / "c.yaml", yaml.safe_dump(doc, allow_unicode=True)))


@pytest.mark.slow
@SETTINGS
@given(text=st.text(max_size=400))
def test_any_text(cli, tmp_path, text):
    check(cli, write(tmp_path / "c.yaml", text))


def test_alias_bomb_is_refused_quickly(cli, tmp_path):
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    result = cli("train", write(tmp_path / "bomb.yaml", "\n".join(lines) + "\n"))
    assert result.exit_code == 2 and "through YAML aliases" in result.stderr


@pytest.mark.slow
def test_recursive_alias_and_deep_nesting_are_refused(cli, tmp_path):
    assert "refers to itself" in cli("train", write(tmp_path / "r.yaml", "a: &a [*a]\n")).stderr
    deep = "model: " + "[" * 5000 + "]" * 5000 + "\n"
    assert "nested too deeply" in cli("train", write(tmp_path / "d.yaml", deep)).stderr


def test_python_tags_are_never_constructed(cli, tmp_path):
    marker = tmp_path / "hacked"
    text = f"seed: !!python/object/apply:os.system ['touch {marker}']\n"
    result = cli("train", write(tmp_path / "t.yaml", text))
    assert result.exit_code == 2 and not marker.exists()


def test_huge_sizes_are_refused_with_the_memory_estimate(cli, tmp_path):
    text = "data:\n  source: flower\n  n_samples: 100000000000\nmodel:\n  layers: [2, 4, 1]\n" \
           "  activations: [tanh, sigmoid]\n"
    result = cli("train", write(tmp_path / "big.yaml", text))
    assert result.exit_code == 2 and "GiB of memory, but only" in result.stderr
    text = "model:\n  layers: [2, 100000, 100000, 1]\n  activations: [tanh, tanh, sigmoid]\n"
    result = cli("train", write(tmp_path / "wide.yaml", text))
    assert result.exit_code == 2 and "GiB of memory, but only" in result.stderr
