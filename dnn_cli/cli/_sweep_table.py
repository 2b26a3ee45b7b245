"""The table `dnn sweep` prints: one row per combination, mean ± sd over the seeds, sorted, the best marked."""

from rich.markup import escape

from ..render import _cost, _mean_sd, _pct, _table
from ..sweep_results import best, value_text


def sweep_table(sweep, combinations, key: str, *, title: str):
    """Rows best first; columns: the grid keys, runs, final train cost, the ranking metric, epochs, seconds."""
    names = [g.key for g in sweep.grid]
    present = {k for c in combinations for r in c.finished for k in r["final"]}
    score = [(k, t, f) for k, t, f in (("dev_accuracy", "dev acc", _pct), ("dev_rmse", "dev RMSE", _cost),
                                       ("train_accuracy", "train acc", _pct), ("train_rmse", "train RMSE", _cost))
             if k in present][:1]
    short = [n.split(".")[-1] for n in names]
    headers = short if len(set(short)) == len(short) else names  # "learning_rate" when no other key ends so
    columns = [("", "left")] + [(h, "left") for h in headers] + [("runs", "right"), ("cost", "right")]
    columns += [(t, "right") for _, t, _ in score] + [("epochs", "right"), ("time", "right")]
    seeds = len(sweep.seeds)
    spread = f"mean ± sd over {seeds} seeds" if seeds > 1 else "one seed"
    ranked = {"dev_accuracy": "dev accuracy", "dev_rmse": "dev RMSE"}.get(key, "final train cost")
    caption = f"{spread}; sorted by {ranked}; * the best combination; time: a run's mean"
    table = _table(title, columns, caption=caption)
    for k, column in enumerate(table.columns):  # the key columns keep their names; numbers may wrap at ±
        column.min_width = max(1, len(str(column.header))) if k <= len(names) + 1 else None
        column.no_wrap = k <= len(names) + 1
    top = best(combinations, key)
    for c in combinations:
        runs = f"{len(c.finished)}/{len(c.records)}"
        problems = [f"{c.count(s)} {s}" for s in ("diverged", "failed") if c.count(s)]
        if problems:
            runs += f" ({', '.join(problems)})"
        cells = ["*" if c is top else ""] + [value_text(c.values[n]) for n in names] + [runs]
        cells.append(_mean_sd(c.values_of("cost"), _cost))
        cells += [_mean_sd(c.values_of(k), f) for k, _, f in score]
        epochs = [r["epochs"] for r in c.finished]
        seconds = [r["seconds"] for r in c.finished]
        cells.append(f"{sum(epochs) / len(epochs):,.0f}" if epochs else "")
        cells.append(f"{sum(seconds) / len(seconds):.2f} s" if seconds else "")
        table.add_row(*(escape(cell) for cell in cells))
    return table
