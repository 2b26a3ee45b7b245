"""The encoder of raw columns (`encoding.Encoder`) as ONNX nodes, for `dnn export`.

A model trained on raw columns (text columns one-hot encoded, or missing cells filled) takes one input per raw
column instead of X, each (N, 1): numbers in the model's dtype (NaN for a missing cell), categories as strings
('' or NA for a missing cell). The graph encodes them as dnn does: a fill value by Where(IsNaN), a category by
CategoryMapper (ai.onnx.ml) to its index and a Gather of the identity matrix's row; an unseen category (with
`unknown_categories: error`) or a missing one the model does not accept indexes past the matrix, so the
runtime refuses the input, as `dnn predict` does. The onnx package is imported inside the functions.
"""

from __future__ import annotations

import itertools

import numpy as np

from .io.rawcolumns import MISSING, MISSING_TEXTS, RawFeatures

ML_OPSET = 3  # ai.onnx.ml, for CategoryMapper (a string to its category's index)


def encoder_nodes(encoder, dtype, element, nodes, constant) -> list:
    """The graph inputs of the raw columns, and the nodes that encode them into "X" (N, n^[0]) as
    `Encoder.transform` does; see the module's doc."""
    from onnx import TensorProto, helper

    inputs, parts = [], []
    for j, column in enumerate(encoder.columns):
        name = _placeholder(j)  # the column's name once the graph is built (see name_inputs)
        if column.kind == "numeric":
            inputs.append(helper.make_tensor_value_info(name, element, ["N", 1]))
            if column.fill is None:
                parts.append(name)
                continue
            nodes += [helper.make_node("IsNaN", [name], [f"c{j}_gap"]),
                      helper.make_node("Where", [f"c{j}_gap", constant(f"c{j}_fill", np.array([[column.fill]], dtype)),
                                                 name], [f"c{j}_filled"])]
            parts.append(f"c{j}_filled")
            continue
        inputs.append(helper.make_tensor_value_info(name, TensorProto.STRING, ["N", 1]))
        K = len(column.categories)
        index = {c: k for k, c in enumerate(column.categories)}
        # A missing cell: its own category (missing: mean), else past every row (refused, as dnn predict does).
        gap = index.get(MISSING, K + 1)
        strings = list(column.categories) + [t for t in _missing_spellings() if t not in index]
        codes = [index.get(t, gap) for t in strings]
        # An unseen category: a row of zeros (unknown_categories: ignore), else past every row (refused).
        table = np.vstack([np.eye(K), np.zeros((1, K))]) if encoder.unknown == "ignore" else np.eye(K)
        nodes += [helper.make_node("CategoryMapper", [name], [f"c{j}_code"], domain="ai.onnx.ml",
                                   cats_strings=strings, cats_int64s=codes, default_int64=K),
                  helper.make_node("Gather", [constant(f"c{j}_onehot", table.astype(dtype)), f"c{j}_code"],
                                   [f"c{j}_rows"], axis=0),
                  helper.make_node("Reshape", [f"c{j}_rows", constant(f"c{j}_shape", np.array([-1, K], np.int64))],
                                   [f"c{j}_encoded"])]
        parts.append(f"c{j}_encoded")
    nodes.append(helper.make_node("Concat", parts, ["X"], axis=1))
    return inputs


def _missing_spellings() -> list[str]:
    """Every text `rawcolumns.is_missing` takes for a missing cell, without surrounding spaces: '', NA, NaN in
    any case."""
    return sorted({"".join(p) for t in MISSING_TEXTS for p in itertools.product(*[(c.lower(), c.upper()) for c in t])})


def _placeholder(j: int) -> str:
    return f"input:{j}"


def name_inputs(nodes, initializers, inputs, names: list[str]) -> None:
    """Give the graph inputs their columns' names: first rename the graph's own values that a name would clash
    with ('W1' -> 'W1_'), then the placeholders of `encoder_nodes`."""
    wanted = set(names)
    own = {n for node in nodes for n in node.output} | {t.name for t in initializers}
    renamed, every = {}, own | wanted | {n for node in nodes for n in node.input}
    for name in sorted(own & wanted):
        new = name + "_"
        while new in every:
            new += "_"
        renamed[name] = new
        every.add(new)
    renamed.update({_placeholder(j): name for j, name in enumerate(names)})
    for node in nodes:
        node.input[:] = [renamed.get(n, n) for n in node.input]
        node.output[:] = [renamed.get(n, n) for n in node.output]
    for t in initializers:
        t.name = renamed.get(t.name, t.name)
    for value in inputs:
        value.name = renamed.get(value.name, value.name)


def raw_probes(model, rng, n: int) -> tuple[np.ndarray, dict]:
    """(X, feed) of `export_onnx.probe_inputs` for a model with an encoder: raw columns around the training data's
    scale, numbers (some missing when it fills them) and categories of its training (some missing when it has a
    category for that, some never seen when it ignores those); X as dnn encodes them."""
    dtype = np.dtype(model.network.dtype)
    values, feed, row = [], {}, 0
    for column in model.encoder.columns:
        if column.kind == "numeric":
            mean, std = ((model.standardizer.mean[row, 0], model.standardizer.std[row, 0])
                         if model.standardizer is not None else (column.fill or 0.0, 1.0))
            v = mean + 2 * std * rng.standard_normal(n)
            if column.fill is not None:
                v[rng.random(n) < 0.2] = np.nan
            feed[column.name] = v.astype(dtype).reshape(-1, 1)
            v = v.astype(dtype).astype(np.float64)  # the numbers the graph gets, to dnn as well
        else:
            choices = [c for c in column.categories if c != MISSING]
            if MISSING in column.categories:
                choices.append("")
            if model.encoder.unknown == "ignore":
                choices.append("a category never seen in training")
            v = np.array([choices[k] for k in rng.integers(0, len(choices), n)], dtype=str)
            feed[column.name] = v.astype(object).reshape(-1, 1)
        values.append(v)
        row += column.width
    raw = RawFeatures("probe inputs", tuple(c.name for c in model.encoder.columns), tuple(values), np.arange(n))
    return model.encoder.transform(raw), feed
