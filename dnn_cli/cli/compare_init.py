"""`dnn compare-init [CONFIG]`: the same network under several init schemes, side by side."""

from typing import Annotated, Optional

import typer

from ._common import (
    ComparisonMetrics,
    ComparisonPlot,
    DemoConfig,
    Epochs,
    Overrides,
    Quiet,
    Seed,
    boundary,
    check_comparison_metrics_path,
    flags,
    out,
)
from ._completion import init_schemes

NAME = "compare-init"
# init_comparison.DEFAULT_SCHEMES, spelled out so that declaring the option loads no NumPy (a test checks they agree)
DEFAULT_SCHEMES = "zeros,random,random:10,he,xavier"
# depth_experiment.DEPTH_SCHEMES: the schemes of --depth when --schemes is left at its default
DEPTH_SCHEMES = "zeros,random,xavier,he"


@boundary
def command(
    config: DemoConfig = None,
    schemes: Annotated[str, typer.Option(
        "--schemes", help="Comma-separated init schemes: zeros, random (x 0.01), random:SCALE, he, xavier.",
        autocompletion=init_schemes)
    ] = DEFAULT_SCHEMES,
    repeats: Annotated[int, typer.Option("--repeats", help="Run every scheme with N seeds; report mean ± sd.")] = 1,
    epochs: Epochs = None,
    seed: Seed = None,
    set_: Overrides = [],
    metrics_out: ComparisonMetrics = None,
    plot: ComparisonPlot = None,
    quiet: Quiet = False,
    depth: Annotated[Optional[int], typer.Option(
        "--depth", help="The depth experiment: replace the hidden layers by D layers (std of Z^[l] per scheme beside "
                        "the mean-field prediction; default schemes zeros,random,xavier,he).")] = None,
    width: Annotated[Optional[int], typer.Option(
        "--width", help="With --depth: units per hidden layer (default: the config's widest hidden layer).")] = None,
    activation: Annotated[Optional[str], typer.Option(
        "--activation", help="With --depth: the hidden activation (default: the config's).")] = None,
) -> None:
    """Train the same network, data and seed once per init scheme: costs, accuracy, distinct hidden units."""
    import time

    if depth is not None or width is not None or activation is not None:
        _depth(config, schemes, depth, width, activation, repeats, epochs, seed, set_, metrics_out, plot, quiet)
        return

    from .. import render
    from ..config import load_config
    from ..init_comparison import check_repeats, compare_init, init_demo, parse_schemes
    from ..io.metricsfile import write_metrics
    from ._plots import check_plot_option, plot_comparison

    with flags(schemes="--schemes", repeats="--repeats"):
        chosen = parse_schemes(schemes)
        check_repeats(repeats)
    check_comparison_metrics_path(metrics_out)
    check_plot_option(plot)
    if config is None:
        parts = init_demo(overrides=set_, epochs=epochs, seed=seed)
        source = "<demo>"
    else:
        parts = [(load_config(config, set_, epochs=epochs, seed=seed), "", "", None)]
        source = str(config)
    start = time.perf_counter()
    console = out(quiet)
    comparisons = []
    for cfg, title, note, only in parts:
        run = [s for s in chosen if only is None or s.init in only]
        if not run:
            continue
        comparison = compare_init(cfg, run, repeats=repeats, source=source, title=title, note=note)
        comparisons.append(comparison)
        console.print(render.compare_init_table(comparison))
    if plot is not None and comparisons:
        main = comparisons[0]
        plot_comparison(plot, main.config, [s.runs[0] for s in main.schemes], source=source,
                        title="compare-init: " + ", ".join(s.scheme.label for s in main.schemes))
        console.print(f"saved the plot to {plot}")
    if metrics_out is not None:
        write_metrics(metrics_out, {"command": NAME, "comparisons": [c.to_dict() for c in comparisons],
                                    "seconds": time.perf_counter() - start})
        console.print(f"saved the metrics to {metrics_out}")


def _depth(config, schemes, depth, width, activation, repeats, epochs, seed, set_, metrics_out, plot, quiet) -> None:
    """`compare-init CONFIG --depth D --width N [--activation g]`: the depth experiment."""
    from ..config import load_config
    from ..depth_experiment import deep_config, depth_experiment, hidden_activation
    from ..errors import UsageError
    from ..init_comparison import parse_schemes
    from ..io.metricsfile import write_metrics
    from . import _render_layers as render_layers
    from ._plots import check_plot_option, plot_depth

    if depth is None:
        raise UsageError("--width and --activation belong to the depth experiment: add --depth D")
    if config is None:
        raise UsageError("--depth needs a CONFIG: the data, the output layer and the training of the experiment")
    if repeats != 1:
        raise UsageError(f"--repeats: the depth experiment runs one seed per scheme, got --repeats {repeats}")
    with flags(schemes="--schemes"):
        chosen = parse_schemes(DEPTH_SCHEMES if schemes == DEFAULT_SCHEMES else schemes)
    check_comparison_metrics_path(metrics_out)
    check_plot_option(plot)
    cfg = load_config(config, set_, epochs=epochs, seed=seed)
    hidden = cfg.model.layers[1:-1]
    if width is None and not hidden:
        raise UsageError(f"--width: {config} has no hidden layer to take the width from; give --width N")
    width = max(hidden) if width is None else width
    with flags(depth="--depth", width="--width", activation="--activation"):
        activation = hidden_activation(cfg, activation)
        deep_config(cfg, depth, width, activation, source=str(config))  # checks before any work
        experiment = depth_experiment(cfg, depth, width, activation=activation, schemes=chosen, source=str(config))
    console = out(quiet)
    console.print(render_layers.depth_tables(experiment))
    if plot is not None:
        plot_depth(plot, experiment)
        console.print(f"saved the plot to {plot}")
    if metrics_out is not None:
        write_metrics(metrics_out, {"command": NAME, **experiment.to_dict()})
        console.print(f"saved the metrics to {metrics_out}")
