"""Config errors a user can trust: all at once, in the house form, naming the override, never a flood."""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dnn_cli.config import MAX_SEED, config_from_dict, load_config, reference_yaml
from dnn_cli.errors import ConfigError
from dnn_cli.schema import MODELS, SECTIONS, Config

from .conftest import CONFIGS, assert_input_error, write

FLOWER = CONFIGS / "flower.yaml"
BASE = {
    "seed": 3,
    "data": {"source": "flower", "n_samples": 40},
    "model": {"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"]},
    "train": {"learning_rate": 1.2, "epochs": 3},
}
# What pydantic says in its own words; none of it may reach a user.
PYDANTIC_WORDING = ("input should", "field required", "value error", "validation error", "extra inputs",
                    "pydantic", "[type=", "for further information", "assertion failed")


def errors_of(raw, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config_from_dict(raw, **kwargs)
    return str(info.value).splitlines()


def with_value(key: tuple, value) -> dict:
    doc = copy.deepcopy(BASE)
    if key[:2] == ("train", "early_stopping") and len(key) > 2:
        doc["train"]["early_stopping"] = {"patience": 3}
        doc["data"]["dev_fraction"] = 0.2
    if key[:2] == ("model", "activations") and len(key) > 2:
        doc["model"]["activations"] = {"hidden": "tanh", "output": "sigmoid"}
    node = doc
    for part in key[:-1]:
        node = node[part]
    node[key[-1]] = value
    return doc


# --- every problem of a file in one run -----------------------------------------------------------

ALL_WRONG = """\
seed: -1
data:
  source: flower
model:
  layers: [2, 4, 1]
  activations: [tahn, sigmoid]
train:
  learning_rate: -1
  epochs: 10
"""


def test_problems_of_every_section_come_in_one_run_sorted_by_line(tmp_path):
    path = write(tmp_path / "c.yaml", ALL_WRONG)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).splitlines() == [
        f"{path}:1: seed: expected an integer >= 0, got -1",
        f"{path}:6: model.activations[0]: unknown activation 'tahn': expected one of sigmoid, tanh, relu, "
        "leaky_relu, linear, softmax; did you mean 'tanh'?",
        f"{path}:8: train.learning_rate: expected a number > 0, got -1",
    ]


def test_the_cli_prints_one_line_per_problem_of_every_section(cli, tmp_path):
    result = cli("train", write(tmp_path / "c.yaml", ALL_WRONG))
    assert_input_error(result, "c.yaml:1: seed:", "c.yaml:6: model.activations[0]:", "c.yaml:8: train.learning_rate:")
    assert len(result.stderr.splitlines()) == 3


def test_cross_key_checks_run_beside_schema_errors_of_other_sections():
    doc = with_value(("train", "early_stopping"), {"patience": 3})
    doc["model"]["init"] = "hee"
    lines = errors_of(doc)
    assert any(line.startswith("<config>: model.init: expected one of") for line in lines)
    assert "<config>: train.early_stopping: needs a dev split: set data.dev_fraction > 0" in lines


@pytest.mark.parametrize("broken, value, not_said", [
    (("train", "optimizer"), "adamw", "is not used by optimizer"),
    (("train", "lr_decay"), "cosine", "is not used with lr_decay"),
    (("data", "dev_fraction"), "a lot", "needs a dev split"),
], ids=["optimizer", "lr_decay", "dev_fraction"])
def test_a_broken_key_never_causes_a_false_cross_key_complaint(broken, value, not_said):
    doc = with_value(broken, value)
    doc["train"].update({"beta2": 0.9, "decay_rate": 0.5, "early_stopping": {"patience": 3}})
    lines = errors_of(doc)
    assert any(f"{'.'.join(broken)}: expected" in line for line in lines), lines
    assert not any(not_said in line for line in lines), lines


# --- no pydantic wording, whatever the value -------------------------------------------------------

WRONG_VALUES = ["text", "", [1, "a"], [], {"a": 1}, True, False, None, -1, -1.5, 0, 10**30, 1e308, float("inf"),
                float("nan"), "x" * 5000, [0.5] * 5000]
SCHEMA_KEYS = [path + (name,) for path, model in MODELS.items() for name in model.model_fields] + [
    ("model", "layers", 0), ("model", "activations", 0)]


@pytest.mark.parametrize("key", SCHEMA_KEYS, ids=[".".join(map(str, k)) for k in SCHEMA_KEYS])
def test_no_pydantic_wording_at_any_key(key):
    for value in WRONG_VALUES:
        try:
            config_from_dict(with_value(key, value))
        except ConfigError as e:
            for line in str(e).splitlines():
                assert not any(words in line.lower() for words in PYDANTIC_WORDING), (value, line)
                assert line.startswith("<config>: ") and len(line) < 400, line
                assert any(words in line for words in ("expected", "required key is missing", "unknown key",
                                                             "is not used", "needs a dev split", "more problems")), line


scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(), st.text(max_size=80))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=3)), max_leaves=8)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(SCHEMA_KEYS[:-2]), value=values)
def test_any_set_value_at_any_key_is_taken_or_refused_in_the_house_form(key, value):
    dumped = yaml.safe_dump(value, default_flow_style=True, width=10**6)
    text = ".".join(key) + "=" + dumped.strip().removesuffix("...").strip()
    try:
        config_from_dict(BASE, overrides=[text])
    except ConfigError as e:
        for line in str(e).splitlines():
            assert not any(words in line.lower() for words in PYDANTIC_WORDING), line
            # The one cross-key problem a new model.layers makes in the file's keys: the activations' count.
            assert line.startswith("--set ") or " model.activations: expected " in line, line
            assert len(line) < 500, line


@pytest.mark.parametrize("text", ["seed=[1]", "data.source={a: 1}", "data.label=3", "train.epochs=.inf",
                                  "model.activations={hidden: 3, output: sigmoid}", "train.learning_rate=null",
                                  "train.dtype=[float32]", "data.standardize=yes please"])
def test_no_pydantic_wording_from_a_set_value(cli, text):
    result = cli("train", FLOWER, "--set", text, "--print-config")
    assert_input_error(result, f"--set {text}: ", "expected")
    assert not any(words in result.stderr.lower() for words in PYDANTIC_WORDING), result.stderr


def test_every_pydantic_type_has_the_house_form():
    lines = errors_of(with_value(("data", "source"), 3)) + errors_of(with_value(("train", "l2"), float("inf")))
    assert lines == ["<config>: data.source: expected a string, got 3",
                     "<config>: train.l2: expected a finite number, got inf"]


# --- --set merges a mapping into a section ---------------------------------------------------------

SECTIONED = """\
data:
  source: flower
  dev_fraction: 0.2
model:
  layers: [2, 4, 1]
  activations: {hidden: relu, output: sigmoid}
train:
  optimizer: adam
  batch_size: 32
  early_stopping: {patience: 10, min_delta: 0.1}
"""


def test_a_mapping_given_to_a_section_merges_into_it(tmp_path):
    config = load_config(write(tmp_path / "c.yaml", SECTIONED), ["train={epochs: 5}"])
    assert (config.train.epochs, config.train.optimizer, config.train.batch_size) == (5, "adam", 32)
    assert config.train.early_stopping.patience == 10


def test_the_merge_is_recursive(tmp_path):
    config = load_config(write(tmp_path / "c.yaml", SECTIONED), ["train={early_stopping: {patience: 3}}"])
    assert (config.train.early_stopping.patience, config.train.early_stopping.min_delta) == (3, 0.1)
    config = load_config(write(tmp_path / "c.yaml", SECTIONED), ["train.early_stopping={patience: 4}"])
    assert (config.train.early_stopping.patience, config.train.early_stopping.min_delta) == (4, 0.1)


def test_a_mapping_given_to_a_leaf_key_replaces_it(tmp_path):
    path = write(tmp_path / "c.yaml", SECTIONED)
    config = load_config(path, ["model.activations={hidden: tanh, output: sigmoid}"])
    assert config.model.activations == {"hidden": "tanh", "output": "sigmoid"}
    with pytest.raises(ConfigError, match=r"^--set model.activations=\{hidden: tanh\}: model.activations.output: "
                                          r"required key is missing$"):
        load_config(path, ["model.activations={hidden: tanh}"])


def test_a_merged_mapping_blames_its_own_keys_only(tmp_path):
    path = write(tmp_path / "c.yaml", SECTIONED.replace("batch_size: 32", "batch_size: 0"))
    with pytest.raises(ConfigError) as info:
        load_config(path, ["train={epochs: -5}"])
    assert str(info.value).splitlines() == [
        f"{path}:9: train.batch_size: expected 'full' or a positive integer, got 0",
        "--set train={epochs: -5}: train.epochs: expected an integer >= 1, got -5",
    ]


# --- errors in an override name the override -------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("train.learning_rate=-1", "--set train.learning_rate=-1: train.learning_rate: expected a number > 0, got -1"),
    ("model.activations.hidden=tan", "--set model.activations.hidden=tan: model.activations.output: "
                                     "required key is missing"),
    ("model.activations=[tan, sigmoid]", "--set model.activations=[tan, sigmoid]: model.activations[0]: "
                                         "unknown activation 'tan'"),
    ("train.batch_size=[1", "--set 'train.batch_size=[1': invalid YAML: "),
], ids=["bound", "made-a-mapping", "semantic", "yaml"])
def test_an_error_in_a_set_value_names_the_override_not_a_line(cli, text, expected):
    result = cli("train", FLOWER, "--set", text, "--print-config")
    assert_input_error(result, expected)
    assert "flower.yaml" not in result.stderr


# --- YAML bombs and floods -------------------------------------------------------------------------

def alias_bomb() -> str:
    levels = ["&a0 [" + ",".join(["1"] * 9) + "]"]
    levels += [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 7)]
    return "[" + ", ".join(levels) + "]"


def test_a_set_value_goes_through_the_alias_bomb_guard(cli):
    text = "train.batch_size=" + alias_bomb()
    assert len(text) < 400
    result = cli("train", FLOWER, "--set", text)
    assert_input_error(result, "--set 'train.batch_size=", "through YAML aliases; refusing it")
    assert len(result.stderr) < 500


def test_a_set_value_that_refers_to_itself_is_refused(cli):
    assert_input_error(cli("train", FLOWER, "--set", "train.batch_size=&a [*a]"), "refers to itself")


@pytest.mark.parametrize("key, value", [
    (("data", "source"), "a" * 10_000_000),
    (("data", "source"), "no/such/" + "b" * 100_000 + ".csv"),
    (("model", "keep_prob"), [2.0] * 1_000_000),
    (("train", "batch_size"), "x" * 1_000_000),
    (("data", "label"), list(range(100_000))),
    (("model", "activations"), ["tanh"] * 100_000 + ["nope"]),
], ids=["10MB-source", "long-path", "long-list", "long-string", "long-label", "long-activations"])
def test_a_huge_value_is_never_echoed_whole(key, value):
    for line in errors_of(with_value(key, value)):
        assert len(line) < 500, line[:1000]


def test_a_set_text_with_a_newline_is_quoted_on_one_line(cli):
    result = cli("train", FLOWER, "--set", "seed=-1\n")
    assert_input_error(result, "--set seed=-1\\n: seed: expected an integer >= 0, got -1")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("name", ["\x1e", "a\nb", "\u2028", "k" * 1_000_000], ids=["RS", "LF", "LS", "1M"])
def test_a_strange_or_huge_key_name_stays_one_short_line(name):
    line, = errors_of(with_value(("train", name), 1))
    assert line.startswith("<config>: train.") and "unknown key" in line and len(line) < 400, line[:500]


def test_a_huge_set_text_is_never_echoed_whole(cli):
    result = cli("train", FLOWER, "--set", "train.batch_size=" + "9" * 5000 + "x")
    assert result.exit_code == 2 and len(result.stderr) < 500, result.stderr[:1000]


@pytest.mark.parametrize("line", ["seed: 2001-13-45", "seed: " + "9" * 5000], ids=["bad-date", "5000-digits"])
def test_a_scalar_yaml_cannot_hold_is_an_error_not_a_traceback(cli, tmp_path, line):
    result = cli("train", write(tmp_path / "c.yaml", line + "\n"))
    assert_input_error(result, "c.yaml: invalid YAML: a value cannot be read")
    assert len(result.stderr) < 400


# --- seeds -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["train", "compare-init", "compare-activations", "gradcheck"])
def test_a_negative_seed_option_is_refused_by_every_command(cli, command):
    assert_input_error(cli(command, FLOWER, "--seed", "-1"), "--seed -1: seed: expected an integer >= 0, got -1")


@pytest.mark.parametrize("seed, fragment", [
    ("-1", "c.yaml:4: seed: expected an integer >= 0, got -1"),
    (str(2**64), f"c.yaml:4: seed: expected an integer <= {MAX_SEED}, got {2**64}"),
    (str(2**70), "seed: expected an integer <="),
    ("1.5", "c.yaml:4: seed: expected an integer, got 1.5"),
], ids=["negative", "2**64", "2**70", "float"])
def test_a_seed_outside_what_a_generator_takes_is_refused(cli, tmp_path, seed, fragment):
    text = FLOWER.read_text(encoding="utf-8").replace("seed: 3", f"seed: {seed}")
    assert_input_error(cli("train", write(tmp_path / "c.yaml", text), "--print-config"), fragment)


def test_the_largest_seed_is_taken(tmp_path):
    import numpy as np

    assert load_config(FLOWER, seed=MAX_SEED).seed == MAX_SEED
    np.random.default_rng(MAX_SEED).spawn(3)  # what pipeline.prepare does with it


# --- data paths ------------------------------------------------------------------------------------

def data_config(tmp_path, source: str):
    text = f"data:\n  source: {source}\nmodel:\n  layers: [2, 4, 1]\n  activations: [tanh, sigmoid]\n"
    return write(tmp_path / "c.yaml", text)


def test_a_nul_byte_in_the_data_source(cli, tmp_path):
    result = cli("train", data_config(tmp_path, '"a\\0b.csv"'))
    assert_input_error(result, "c.yaml:2: data.source: expected a dataset name or a file path, got a text with "
                               "a NUL byte")


def test_a_data_file_name_over_255_bytes(cli, tmp_path):
    result = cli("train", data_config(tmp_path, "a" * 300 + ".csv"))
    assert_input_error(result, "c.yaml: data.source: expected names of at most 255 bytes, got one of 304")


def test_a_data_path_over_4096_bytes(cli, tmp_path):
    # at most 4,096 characters as written, beyond 4,096 bytes once resolved against the config's folder
    result = cli("train", data_config(tmp_path, "b/" * 2040 + "x.csv"))
    assert_input_error(result, "c.yaml: data.source: expected a path of at most 4,096 bytes")


def test_a_data_path_through_a_file(cli, tmp_path):
    write(tmp_path / "notes.txt", "x")
    result = cli("train", data_config(tmp_path, "notes.txt/d.csv"))
    assert_input_error(result, f"c.yaml: data.source: expected a folder at '{tmp_path.resolve() / 'notes.txt'}', "
                               "got a file")


def test_a_data_path_that_is_a_directory(cli, tmp_path):
    (tmp_path / "d.csv").mkdir()
    assert_input_error(cli("train", data_config(tmp_path, "d.csv")), "c.yaml: data.source: expected a .csv or .npz "
                                                                     "file, got a directory")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root enters any folder")
def test_a_data_path_through_a_folder_that_cannot_be_entered(cli, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    write(locked / "d.csv", "a,b,label\n1,2,x\n3,4,y\n")
    locked.chmod(0)
    try:
        result = cli("train", data_config(tmp_path, "locked/d.csv"))
    finally:
        locked.chmod(0o700)
    assert_input_error(result, "c.yaml: data.source: permission denied: a folder on the way to")


def test_a_data_file_that_cannot_be_read(cli, tmp_path, monkeypatch):
    data = write(tmp_path / "d.csv", "a,b,label\n1,2,x\n3,4,y\n")
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: str(path) != str(data) and access(path, mode, **kw))
    result = cli("train", data_config(tmp_path, "d.csv"))
    assert_input_error(result, f"c.yaml: data.source: permission denied: '{data}' cannot be read")


# --- the config reference --------------------------------------------------------------------------

def test_the_reference_parses_back_to_the_defaults():
    config = config_from_dict(yaml.safe_load(reference_yaml()))
    defaults = Config(model={"layers": [2, 4, 1], "activations": ["tanh", "sigmoid"]})
    assert config.to_dict() == defaults.to_dict()
    assert (config.seed, config.train.learning_rate, config.train.epochs) == (0, 0.01, 1000)


def test_the_reference_lists_every_key_with_a_description_in_the_schemas_order():
    lines = reference_yaml().splitlines()
    keys = [line.lstrip(" #").partition(":")[0] for line in lines]
    for path, model in SECTIONS.items():
        names = list(model.model_fields)
        found = [keys.index(name) for name in names]
        assert found == sorted(found), (path, names)
        for name, field in model.model_fields.items():
            assert field.description, f"{'.'.join(path + (name,))} has no description"
            line = lines[keys.index(name)]
            assert "# " in line and field.description in line.partition("# ")[2], line
    assert "required (an example)" in lines[keys.index("layers")]


def test_a_list_of_many_bad_sizes_gives_a_bounded_report():
    lines = errors_of({"model": {"layers": [0] * 10_000, "activations": ["tanh"]}})
    assert len(lines) == 31 and lines[0] == "<config>: model.layers[0]: expected a positive integer, got 0"
    assert lines[-1] == "<config>: and 9,971 more problems (fix these first)"
    line, = errors_of({"model": {"layers": [1] * 10_000, "activations": ["tanh"]}})
    assert line.startswith("<config>: model.activations: expected 9999 (one per layer") and len(line) < 300
