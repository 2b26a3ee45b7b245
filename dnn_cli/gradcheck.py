"""Backprop against centred finite differences, tensor by tensor.

Backprop is checked in float64; the finite differences evaluate J in extended precision
(np.longdouble) where the platform has it, so rounding does not mask small gradients.

For every parameter entry theta: numeric = (J(theta + eps) - J(theta - eps)) / (2 eps). Each
tensor W^[l], b^[l] is judged by ||analytic - numeric|| / (||analytic|| + ||numeric||):
pass below 1e-7, warn below 1e-5, fail otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import UsageError
from .network import Network

PASS_BELOW = 1e-7
WARN_BELOW = 1e-5
KINKED = ("relu", "leaky_relu")


@dataclass(frozen=True)
class TensorCheck:
    """One tensor's check: `name` is 'W^[l]' or 'b^[l]', `l` the layer, `kind` 'W' or 'b'."""

    name: str
    l: int
    kind: str
    shape: tuple
    relative_difference: float
    difference_norm: float
    max_abs_difference: float
    analytic_norm: float
    status: str
    rounding_floor: float = 0.0

    @property
    def at_rounding_floor(self) -> bool:
        """True when ||analytic - numeric|| is within what float64 rounding of J alone can cause."""
        return self.difference_norm <= 2 * self.rounding_floor


@dataclass(frozen=True)
class KinkCount:
    """How many pre-activations Z^[l] of a relu / leaky_relu layer lie within `threshold` of 0.

    A finite difference across the kink averages two slopes, so it disagrees with g'(Z).
    """

    l: int
    activation: str
    near: int
    total: int
    threshold: float


@dataclass
class GradcheckResult:
    """Per-tensor results, kink counts, and notes on what was changed to make the check meaningful."""

    tensors: list
    kinks: list
    epsilon: float
    m: int
    cost: float
    notes: list = field(default_factory=list)

    @property
    def failed(self) -> list:
        return [t for t in self.tensors if t.status == "fail"]

    @property
    def passed(self) -> bool:
        """True when no tensor failed (warnings still pass)."""
        return not self.failed

    @property
    def worst(self) -> float:
        return max((t.relative_difference for t in self.tensors), default=0.0)


def relative_difference(analytic, numeric) -> float:
    """||analytic - numeric|| / (||analytic|| + ||numeric||), and 0 when both are zero."""
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(analytic - numeric) / denominator)


def status_of(difference: float) -> str:
    """'pass' below 1e-7, 'warn' below 1e-5, else 'fail' (NaN fails)."""
    if difference < PASS_BELOW:
        return "pass"
    if difference < WARN_BELOW:
        return "warn"
    return "fail"


def as_float64(network: Network) -> Network:
    """A float64 copy of `network` (the precision backprop is checked in)."""
    return network.astype(np.float64)


# The numeric side evaluates J in extended precision (80-bit on x86-64) where the platform has it:
# the cancellation in J(theta + eps) - J(theta - eps) then costs ~1000x less, so correct float64
# gradients pass at the course's epsilon = 1e-7 even when they are tiny.
ORACLE_DTYPE = np.longdouble


def numeric_gradients(network: Network, X, Y, *, epsilon: float = 1e-7, l2: float = 0.0):
    """Centred differences of J for every entry of every W^[l] and b^[l]; float64 lists in their shapes.

    J is evaluated in ORACLE_DTYPE on a copy of the network, perturbed one entry at a time.
    """
    net = network.astype(ORACLE_DTYPE)
    X = np.asarray(X, dtype=ORACLE_DTYPE)
    Y = np.asarray(network.targets(Y), dtype=ORACLE_DTYPE)
    m = Y.shape[1]

    def J():
        cost = net.loss.cost(net.predict_proba(X), Y)
        if l2:
            cost = cost + net.l2_cost(l2, m)
        return cost

    h = ORACLE_DTYPE(epsilon)
    dW, db = [], []
    for tensors, out in ((net.W, dW), (net.b, db)):
        for P in tensors:
            grad = np.zeros(P.shape, dtype=np.float64)
            for idx in np.ndindex(P.shape):
                old = P[idx]
                P[idx] = old + h
                plus = J()
                P[idx] = old - h
                minus = J()
                P[idx] = old
                grad[idx] = float((plus - minus) / (2 * h))
            out.append(grad)
    return dW, db


def count_kinks(network: Network, caches, epsilon: float) -> list:
    """Pre-activations of relu / leaky_relu layers within epsilon * max(1, max|A^[l-1]|) of 0.

    That bound is the largest change one perturbed entry of W^[l] or b^[l] makes in Z^[l].
    """
    counts = []
    for l, (name, cache) in enumerate(zip(network.activations, caches), start=1):
        if name in KINKED:
            threshold = epsilon * max(1.0, float(np.max(np.abs(cache.A_prev))))
            near = int(np.count_nonzero(np.abs(cache.Z) <= threshold))
            counts.append(KinkCount(l, name, near, int(cache.Z.size), threshold))
    return counts


def gradcheck(network: Network, X, Y, *, epsilon: float = 1e-7, l2: float = 0.0) -> GradcheckResult:
    """Check `network.backward` against centred differences at the current parameters, in float64.

    X (n^[0], m), Y (n^[L], m) or integer labels (1, m). No dropout. `network` is not modified.
    """
    if not epsilon > 0:
        raise UsageError(f"--epsilon: expected a positive number, got {epsilon}")
    net = as_float64(network)
    X = np.asarray(X, dtype=np.float64)
    Y = net.targets(Y)
    AL, caches = net.forward(X)
    cost = net.cost(AL, Y, l2=l2)
    analytic = net.backward(Y, caches, l2=l2)
    numeric_W, numeric_b = numeric_gradients(net, X, Y, epsilon=epsilon, l2=l2)
    # J is known to half a unit in the last place, so each centred difference can be off by
    # about eps_mach |J| / (2 epsilon) from rounding alone: the floor below which no check can go.
    floor_per_entry = float(np.finfo(ORACLE_DTYPE).eps) * abs(cost) / (2.0 * epsilon)
    tensors = []
    for l in range(1, net.L + 1):
        for kind, a, n in (("W", analytic.dW[l - 1], numeric_W[l - 1]), ("b", analytic.db[l - 1], numeric_b[l - 1])):
            difference = relative_difference(a, n)
            D = a - n
            tensors.append(TensorCheck(f"{kind}^[{l}]", l, kind, tuple(a.shape), difference,
                                       float(np.linalg.norm(D)), float(np.max(np.abs(D))), float(np.linalg.norm(a)),
                                       status_of(difference), floor_per_entry * float(np.sqrt(a.size))))
    return GradcheckResult(tensors, count_kinks(net, caches, epsilon), epsilon, int(X.shape[1]), cost)


def gradcheck_config(config, *, m: int = 32, epsilon: float = 1e-7, source: str = "<config>") -> GradcheckResult:
    """Gradcheck the network a config builds, on m training samples drawn with the config's seed.

    Always float64 and without dropout; an all-zero init (every gradient of a hidden layer is
    symmetric or 0, so the check would prove little) is replaced by xavier weights. Each change is
    stated in `notes`.
    """
    from .config import config_from_dict
    from .pipeline import prepare

    if m < 1:
        raise UsageError(f"--m: expected a positive integer, got {m}")
    raw = config.to_dict()
    notes = []
    if raw["train"]["dtype"] != "float64":
        notes.append(f"checked in float64 (the config trains in {raw['train']['dtype']})")
        raw["train"]["dtype"] = "float64"
    keep_prob = raw["model"]["keep_prob"]
    if any(p < 1 for p in (keep_prob if isinstance(keep_prob, list) else [keep_prob])):
        notes.append(f"dropout switched off (model.keep_prob = {keep_prob}): its random masks change J "
                     "between evaluations")
        raw["model"]["keep_prob"] = 1.0
    if raw["model"]["init"] == "zeros":
        notes.append("model.init is zeros: every hidden unit is identical and most gradients are exactly 0, "
                     "so the check would be degenerate; using small random weights (xavier) instead")
        raw["model"]["init"] = "xavier"
    checked = config_from_dict(raw, source=source)
    prepared = prepare(checked, source=source)
    network = prepared.network
    X, y = prepared.train.X, prepared.train.y
    order = np.random.default_rng(checked.seed).permutation(X.shape[1])
    clear = _away_from_kinks(network, X, epsilon)[order]
    # Walk the shuffled samples and keep the first m that sit clear of every kink.
    chosen = order[clear][:m]
    skipped = int(np.count_nonzero(~clear[: np.searchsorted(np.cumsum(clear), len(chosen)) + 1]))
    if len(chosen) == 0:
        chosen, skipped = order[:m], 0
    idx = np.sort(chosen)
    result = gradcheck(network, X[:, idx], y[:, idx], epsilon=epsilon, l2=checked.train.l2)
    if skipped:
        names = ", ".join(sorted({k.activation for k in result.kinks}))
        notes.append(f"left out {skipped} sample(s) with a pre-activation within epsilon of the {names} kink at 0: "
                     "there a finite difference averages two slopes and disagrees with g'")
    floored = [t.name for t in result.tensors if t.status != "pass" and t.at_rounding_floor]
    if floored:
        notes.append(f"{', '.join(floored)}: the difference is at the rounding floor for epsilon {epsilon:g} "
                     f"(these gradients are small); a larger --epsilon such as 1e-6 lowers the floor")
    if checked.train.l2:
        notes.append(f"J includes the L2 term (train.l2 = {checked.train.l2:g})")
    result.notes = notes + result.notes
    return result


def _away_from_kinks(network: Network, X, epsilon: float) -> np.ndarray:
    """(m,) booleans: True for the samples whose relu / leaky_relu pre-activations all lie clear of 0."""
    clear = np.ones(X.shape[1], dtype=bool)
    _, caches = network.forward(X)
    for kink in count_kinks(network, caches, epsilon):
        Z = caches[kink.l - 1].Z
        clear &= np.all(np.abs(Z) > kink.threshold, axis=0)
    return clear
