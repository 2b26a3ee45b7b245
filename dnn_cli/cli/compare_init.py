"""`dnn compare-init [CONFIG]`: the same network under several init schemes, side by side."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from .. import render
from ..config import load_config
from ..errors import UsageError
from ..experiments import DEFAULT_SCHEMES, compare_init, init_demo, parse_schemes
from ..io.metricsfile import write_metrics
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
    out,
)
from ._completion import init_schemes
from ._plots import check_plot_option, plot_comparison

NAME = "compare-init"


@boundary
def command(
    config: DemoConfig = None,
    schemes: Annotated[str, typer.Option(
        "--schemes", help="Comma-separated init schemes: zeros, random (x 0.01), random:SCALE, he, xavier.",
        autocompletion=init_schemes)
    ] = ",".join(DEFAULT_SCHEMES),
    repeats: Annotated[int, typer.Option("--repeats", help="Run every scheme with N seeds; report mean ± sd.")] = 1,
    epochs: Epochs = None,
    seed: Seed = None,
    set_: Overrides = [],
    metrics_out: ComparisonMetrics = None,
    plot: ComparisonPlot = None,
    quiet: Quiet = False,
) -> None:
    """Train the same network, data and seed once per init scheme: costs, accuracy, distinct hidden units."""
    chosen = parse_schemes(schemes)
    if repeats < 1:
        raise UsageError(f"--repeats: expected a positive integer, got {repeats}")
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
