"""A sweep's records summed up per combination: mean and spread over the seeds, sorted, the best marked.

The score that sorts them is the dev metric when the runs have a dev split (accuracy, higher first;
RMSE, lower first), else the final train cost (lower first); equal scores go by the train cost. A
combination whose runs all diverged or failed has no score and comes last.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field


@dataclass
class Combination:
    """One combination's runs: its grid values and the records of its finished, diverged and failed runs."""

    index: int
    values: dict
    records: list = field(default_factory=list)

    @property
    def finished(self) -> list:
        return [r for r in self.records if r["status"] == "finished"]

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.records)

    def values_of(self, key: str) -> list:
        """The final metric `key` of every finished run (those that have it)."""
        return [r["final"][key] for r in self.finished if r["final"].get(key) is not None]

    def mean(self, key: str):
        values = self.values_of(key)
        return sum(values) / len(values) if values else None



def metric_key(records: list) -> tuple[str, bool]:
    """(final metric, higher is better) that ranks the combinations."""
    keys = {k for r in records if r["status"] == "finished" for k in r["final"]}
    for key, higher in (("dev_accuracy", True), ("dev_rmse", False)):
        if key in keys:
            return key, higher
    return "cost", False


def summarize(sweep, records: dict) -> tuple[list[Combination], str, bool]:
    """(combinations sorted best first, metric key, higher is better); `records`: Run -> record (finished so far).

    A combination without any record yet is left out.
    """
    combos = {i: Combination(i, values) for i, values in enumerate(sweep.combinations)}
    for run, record in records.items():
        combos[run.combination].records.append(record)
    present = [c for c in combos.values() if c.records]
    key, higher = metric_key([r for c in present for r in c.records])

    def rank(c: Combination):
        score, cost = c.mean(key), c.mean("cost")
        if score is None or not math.isfinite(score):
            return (1, 0.0, 0.0, c.index)
        tie = cost if cost is not None and math.isfinite(cost) else math.inf  # equal dev scores: the lower cost
        return (0, -score if higher else score, tie, c.index)

    return sorted(present, key=rank), key, higher


def best(combinations: list[Combination], key: str) -> Combination | None:
    """The first combination with a score (the list is sorted best first)."""
    return next((c for c in combinations if c.mean(key) is not None), None)


def mean_curve(combination: Combination) -> list:
    """[[epoch, mean cost over the finished runs that reached that epoch], ...]."""
    sums: dict = {}
    for record in combination.finished:
        for epoch, cost in record["curve"]:
            total, n = sums.get(epoch, (0.0, 0))
            sums[epoch] = (total + cost, n + 1)
    return [[epoch, total / n] for epoch, (total, n) in sorted(sums.items())]


def value_text(value) -> str:
    """A grid value as a table cell: 0.01, he, [2, 4, 1]."""
    if isinstance(value, str):
        return value
    return json.dumps(value).replace(",", ", ").replace(",  ", ", ")
