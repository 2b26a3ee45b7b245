"""Pictures as PNG files: cost curves and decision boundaries, drawn with matplotlib's Agg backend.

matplotlib is an optional extra: it is imported only inside these functions, and a missing
install is a ParameterError that gives the exact command. The grids come from `decision_boundary` (pure NumPy).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .decision_boundary import decision_curve, decision_grid
from .errors import ParameterError
from .io.atomic import atomic_write

INSTALL = "pip install -e '.[plot]'"
DPI = 100
PANEL = (6.0, 4.5)  # inches per panel: 600 x 450 pixels at DPI
SUFFIXES = (".png", ".svg", ".pdf")


@dataclass
class PlotRun:
    """One curve of a comparison: its name, its cost per epoch and (optionally) its trained network."""

    name: str
    costs: list
    network: object = None


def require() -> None:
    """Fail now, before any training, when matplotlib is not installed."""
    _figure_class()


def check_path(path) -> None:
    """A picture file name must end in .png, .svg or .pdf."""
    if Path(path).suffix.lower() not in SUFFIXES:
        raise ParameterError("path", f" {path}: expected a file name ending in {', '.join(SUFFIXES)}")


def _figure_class():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ParameterError("plotting", f" needs matplotlib, which is not installed; install it with: {INSTALL}"
                             ) from None
    # An Agg canvas on a bare Figure: no pyplot, so a caller's backend and global state stay untouched.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def new(n_panels: int, rows: int = 1):
        fig = Figure(figsize=(PANEL[0] * n_panels, PANEL[1] * rows), dpi=DPI)
        FigureCanvasAgg(fig)
        return fig

    return new


def _save(fig, path) -> None:
    """Render into memory, then write through the atomic writer: an old picture stays whole until the new one
    is complete, and a symlink at `path` is replaced, never written through."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=Path(path).suffix.lower().lstrip(".") or "png", dpi=DPI)
    atomic_write(path, buffer.getvalue(), "plot")


def _cost_axes(ax, title: str = "cost J per epoch") -> None:
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost J")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)


def _draw_points(ax, X, y, classes, *, marker="o", label=None, cmap=None, norm=None):
    if classes is not None:
        codes = np.asarray(y).reshape(-1)
        for k, name in enumerate(classes):
            mask = codes == k
            if mask.any():
                ax.scatter(X[0, mask], X[1, mask], s=14, marker=marker, edgecolors="k", linewidths=0.3,
                           color=_class_color(k, len(classes)), label=f"{name}" if label is None else None)
    else:
        ax.scatter(X[0], X[1], c=np.asarray(y).reshape(-1), s=14, marker=marker, edgecolors="k",
                   linewidths=0.3, cmap=cmap, norm=norm)


def _class_color(k: int, K: int):
    from matplotlib import colormaps

    cmap = colormaps["coolwarm" if K <= 2 else "tab10"]
    return cmap(k / max(K - 1, 1)) if K <= 2 else cmap(k % 10)


def _draw_model(ax, network, X, y, *, classes=None, standardizer=None, target_scaler=None, resolution=200,
                legend=True):
    """Decision regions (classification) or the output surface / curve (regression) with the points."""
    from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize

    if network.layers[0] == 1:
        curve = decision_curve(network, X, standardizer=standardizer, target_scaler=target_scaler)
        ax.scatter(X[0], np.asarray(y).reshape(-1)[: X.shape[1]], s=10, alpha=0.6, label="data")
        ax.plot(curve.x, curve.values, color="C3", linewidth=2, label="network")
        ax.set_xlabel("x1")
        ax.set_ylabel("y")
        if legend:
            ax.legend(loc="best", fontsize="small")
        return
    grid = decision_grid(network, X, resolution=resolution, standardizer=standardizer, target_scaler=target_scaler)
    if classes is not None:
        K = len(classes)
        colors = [_class_color(k, K) for k in range(K)]
        cmap = ListedColormap(colors)
        norm = BoundaryNorm(np.arange(K + 1) - 0.5, K)
        ax.contourf(grid.x1, grid.x2, grid.values, levels=np.arange(K + 1) - 0.5, cmap=cmap, norm=norm, alpha=0.35)
        if grid.proba is not None:
            ax.contour(grid.x1, grid.x2, grid.proba, levels=[0.5], colors="k", linewidths=1)
        _draw_points(ax, X, y, classes)
        if legend:
            ax.legend(loc="best", fontsize="small", title="class")
    else:
        values = np.asarray(y).reshape(-1)
        norm = Normalize(min(grid.values.min(), values.min()), max(grid.values.max(), values.max()))
        filled = ax.contourf(grid.x1, grid.x2, grid.values, levels=20, cmap="viridis", norm=norm, alpha=0.8)
        ax.figure.colorbar(filled, ax=ax, label="network output")
        _draw_points(ax, X, y, None, cmap="viridis", norm=norm)
    ax.set_xlim(grid.x1[0], grid.x1[-1])
    ax.set_ylim(grid.x2[0], grid.x2[-1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")


def can_draw_model(network) -> bool:
    """True when the network's inputs can be drawn: n^[0] = 2 (a plane) or n^[0] = 1 with one output."""
    return network.layers[0] == 2 or (network.layers[0] == 1 and network.layers[-1] == 1)


def training_figure(path, costs, *, dev=None, best_epoch=None, network=None, X=None, y=None, classes=None,
                    standardizer=None, target_scaler=None, title: str | None = None, gradients=None) -> None:
    """The cost curve (train, and dev) and, for n^[0] = 2, the decision boundary.

    costs: one per epoch; dev: (epochs, dev costs) or None (epoch e's dev cost is of the parameters after
    e epochs, so it may run one epoch past the train curve); best_epoch: the epoch early stopping kept,
    marked on the curve; X (n^[0], m) in the data's own units with
    y its class codes (1, m) (classes: their labels) or targets, in their own units (target_scaler: a regressor
    that learnt them standardised, whose outputs are drawn in those units too); the model panel is drawn when
    `network` is given and `can_draw_model(network)`; gradients: (epochs, [[||dW^[1]||, ..., ||dW^[L]||]
    per epoch]) of a traced run adds a panel of ||dW^[l]|| per layer on a log scale. Pixel size: 600 x 450
    per panel.
    """
    new = _figure_class()
    draw_model = network is not None and X is not None and can_draw_model(network)
    panels = 1 + draw_model + (gradients is not None)
    fig = new(panels)
    ax = fig.add_subplot(1, panels, 1)
    epochs = np.arange(len(costs))
    ax.plot(epochs, costs, label="train", color="C0")
    if dev is not None and len(dev[0]):
        ax.plot(dev[0], dev[1], "o-" if len(dev[0]) <= 50 else "-", label="dev", color="C1", markersize=3)
        if best_epoch is not None and best_epoch in dev[0]:
            best_cost = dev[1][list(dev[0]).index(best_epoch)]
            ax.axvline(best_epoch, color="C2", linestyle="--", linewidth=1)
            ax.plot([best_epoch], [best_cost], "*", color="C2", markersize=12,
                    label=f"best (epoch {best_epoch}, kept)")
    if costs and min(costs) > 0 and max(costs) / min(costs) > 100:
        ax.set_yscale("log")
    _cost_axes(ax)
    ax.legend(loc="best", fontsize="small")
    if draw_model:
        ax2 = fig.add_subplot(1, panels, 2)
        _draw_model(ax2, network, X, y, classes=classes, standardizer=standardizer, target_scaler=target_scaler)
        ax2.set_title("decision boundary" if classes is not None else "network output")
    if gradients is not None:
        _gradient_axes(fig.add_subplot(1, panels, panels), *gradients)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)


def _gradient_axes(ax, epochs, norms) -> None:
    """||dW^[l]||_F per layer over the traced epochs, log scale: vanishing gradients sit at the bottom."""
    norms = np.asarray(norms, dtype=float)
    for l in range(norms.shape[1]):
        ax.plot(epochs, norms[:, l], "o-" if len(epochs) <= 50 else "-", markersize=3, label=f"l = {l + 1}",
                color=f"C{l % 10}")
    if np.all(norms[np.isfinite(norms)] > 0):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("||dW^[l]||_F")
    ax.set_title("gradient norm per layer")
    ax.legend(loc="best", fontsize="small", ncol=2 if norms.shape[1] > 6 else 1)


def depth_figure(path, results, *, title: str | None = None) -> None:
    """std of Z^[l] against l per scheme on a log axis: measurement as markers, mean-field prediction as lines.

    results: (label, [l], [measured std], [predicted std]) per scheme; schemes whose signal is 0 are left
    out of the log axis. Pixel size: 600 x 450.
    """
    new = _figure_class()
    fig = new(1)
    ax = fig.add_subplot(1, 1, 1)
    for k, (label, ls, measured, predicted) in enumerate(results):
        measured, predicted = np.asarray(measured, dtype=float), np.asarray(predicted, dtype=float)
        if not np.all(measured > 0):
            continue
        color = f"C{k % 10}"
        ax.plot(ls, measured, "o", color=color, label=f"{label} (measured)")
        ax.plot(ls, predicted, "-", color=color, alpha=0.7, label=f"{label} (predicted)")
    ax.set_yscale("log")
    ax.set_xlabel("hidden layer l")
    ax.set_ylabel("std of Z^[l]")
    ax.set_title(title or "std of Z^[l] at initialisation")
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    _save(fig, path)


def compare_figure(runs, path, *, X=None, y=None, classes=None, standardizer=None, target_scaler=None,
                   title: str | None = None) -> None:
    """The cost curves of all runs on one axis; for 2-D data, a small decision-boundary panel per run.

    runs: PlotRun-like objects (name, costs, network). Pixel size: 600 x 450 for the curves alone;
    with boundary panels, (600 * max(2, runs)) wide and 900 high (curves on top, one panel per run below).
    """
    new = _figure_class()
    runs = list(runs)
    with_models = bool(runs) and X is not None and all(r.network is not None and can_draw_model(r.network)
                                                       for r in runs)
    cols = max(2, len(runs)) if with_models else 1
    fig = new(cols, 2 if with_models else 1)
    ax = fig.add_subplot(2 if with_models else 1, 1, 1)
    for k, run in enumerate(runs):
        ax.plot(np.arange(len(run.costs)), run.costs, label=run.name, color=f"C{k % 10}")
    costs = [c for r in runs for c in r.costs if np.isfinite(c)]
    if costs and min(costs) > 0 and max(costs) / min(costs) > 100:
        ax.set_yscale("log")
    _cost_axes(ax, "cost J per epoch")
    ax.legend(loc="best", fontsize="small")
    if with_models:
        for k, run in enumerate(runs):
            sub = fig.add_subplot(2, cols, cols + k + 1)
            if not run.network.is_finite():
                sub.text(0.5, 0.5, "diverged", ha="center", va="center", transform=sub.transAxes)
                sub.set_title(run.name)
                continue
            _draw_model(sub, run.network, X, y, classes=classes, standardizer=standardizer,
                        target_scaler=target_scaler, resolution=120, legend=False)
            sub.set_title(run.name)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)


def sweep_figure(path, sweep, combinations, key: str) -> None:
    """A sweep's mean cost curve per combination; with two grid keys, beside it a heat map of `key`'s mean.

    combinations: `sweep_results.Combination`s; key: the final metric that ranks them ("dev_accuracy", "cost"...).
    """
    from .sweep_results import mean_curve, value_text

    new = _figure_class()
    grid = sweep.grid
    heat = len(grid) == 2
    fig = new(2 if heat else 1)
    ax = fig.add_subplot(1, 2 if heat else 1, 1)
    costs = []
    for k, c in enumerate(sorted(combinations, key=lambda c: c.index)):
        points = mean_curve(c)
        if not points:
            continue
        label = ", ".join(f"{name.split('.')[-1]}={value_text(v)}" for name, v in c.values.items())
        ax.plot([e for e, _ in points], [j for _, j in points], label=label, color=f"C{k % 10}")
        costs += [j for _, j in points if np.isfinite(j)]
    if costs and min(costs) > 0 and max(costs) / min(costs) > 100:
        ax.set_yscale("log")
    _cost_axes(ax, f"mean cost J per epoch over {len(sweep.seeds)} seed{'s' if len(sweep.seeds) != 1 else ''}")
    ax.legend(loc="best", fontsize="x-small")
    if heat:
        rows, cols = grid
        values = np.full((len(rows.values), len(cols.values)), np.nan)
        by_index = {c.index: c for c in combinations}
        for index in range(len(rows.values) * len(cols.values)):
            c = by_index.get(index)
            mean = c.mean(key) if c is not None else None
            if mean is not None:
                values[index // len(cols.values), index % len(cols.values)] = mean
        hax = fig.add_subplot(1, 2, 2)
        image = hax.imshow(values, cmap="viridis", aspect="auto")
        fig.colorbar(image, ax=hax)
        hax.set_xticks(range(len(cols.texts)), labels=list(cols.texts))
        hax.set_yticks(range(len(rows.texts)), labels=list(rows.texts))
        hax.set_xlabel(cols.key)
        hax.set_ylabel(rows.key)
        hax.set_title(f"mean {key.replace('_', ' ')}")
        low, high = image.get_clim()
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):  # dark text on the light (high) end of viridis
                light = high > low and (v - low) / (high - low) > 0.6
                hax.text(j, i, f"{v:.3g}", ha="center", va="center", color="k" if light else "w", fontsize="small")
    fig.tight_layout()
    _save(fig, path)
