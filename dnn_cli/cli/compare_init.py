"""`dnn compare-init [CONFIG]`: the same network under several init schemes, side by side."""

from __future__ import annotations

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
from ._completion import init_schemes

NAME = "compare-init"
# init_comparison.DEFAULT_SCHEMES, spelled out so that declaring the option loads no NumPy (a test checks they agree)
DEFAULT_SCHEMES = "zeros,random,random:10,he,xavier"


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
) -> None:
    """Train the same network, data and seed once per init scheme: costs, accuracy, distinct hidden units."""
    import time

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
