"""`dnn compare-activations [CONFIG]`: the same network with each hidden activation, side by side."""

from typing import Annotated

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
from ._completion import activation_names

NAME = "compare-activations"
# activation_comparison.DEFAULT_ACTIVATIONS, spelled out so that declaring the option loads no NumPy (a test checks
# they agree)
DEFAULT_ACTIVATIONS = "linear,sigmoid,tanh,relu,leaky_relu"


@boundary
def command(
    config: DemoConfig = None,
    activations: Annotated[str, typer.Option(
        "--activations", help="Comma-separated hidden activations: linear, sigmoid, tanh, relu, leaky_relu.",
        autocompletion=activation_names)
    ] = DEFAULT_ACTIVATIONS,
    epochs: Epochs = None,
    seed: Seed = None,
    set_: Overrides = [],
    metrics_out: ComparisonMetrics = None,
    plot: ComparisonPlot = None,
    quiet: Quiet = False,
) -> None:
    """Train the same network with each hidden activation; show that linear hidden layers collapse into one."""
    import time

    from .. import render
    from ..activation_comparison import activations_demo, compare_activations, parse_activations
    from ..config import load_config
    from ..io.metricsfile import write_metrics
    from ._plots import check_plot_option, plot_comparison

    with flags(activations="--activations"):
        names = parse_activations(activations)
    check_comparison_metrics_path(metrics_out)
    check_plot_option(plot)
    if config is None:
        cfg, source = activations_demo(overrides=set_, epochs=epochs, seed=seed), "<demo>"
    else:
        cfg, source = load_config(config, set_, epochs=epochs, seed=seed), str(config)
    start = time.perf_counter()
    comparison = compare_activations(cfg, names, source=source)
    console = out(quiet)
    console.print(render.compare_activations_table(comparison))
    if comparison.collapse is not None:
        console.print(render.collapse_table(comparison))
    if plot is not None:
        plot_comparison(plot, cfg, comparison.runs, source=source,
                        title="compare-activations: " + ", ".join(run.label for run in comparison.runs))
        console.print(f"saved the plot to {plot}")
    if metrics_out is not None:
        write_metrics(metrics_out, {"command": NAME, **comparison.to_dict(), "seconds": time.perf_counter() - start})
        console.print(f"saved the metrics to {metrics_out}")
