"""Backprop against centred finite differences, tensor by tensor, on both backprop paths.

The path that trains (fast_step.train_step: one full-batch step's d theta, without the update, dropout
off) and the course's readable Network.backward are both checked: they give the same numbers bit for
bit, and checking each catches a mistake made in only one of them. Backprop is checked in float64;
the finite differences evaluate J in extended precision (np.longdouble) where the platform has it,
so rounding does not mask small gradients.

For every parameter entry theta: numeric = (J(theta + eps) - J(theta - eps)) / (2 eps). Each
tensor W^[l], b^[l] is judged by ||analytic - numeric|| / (||analytic|| + ||numeric||):
pass below 1e-7, warn below 1e-5, fail otherwise.

Every entry costs two forward passes, so the whole check grows as (number of parameters) x (cost of
one forward), about h^4 for hidden layers of width h. Above WORK_BUDGET the check takes a random
sample of entries in each tensor (the same sample for the same seed), unless every entry is asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .errors import UsageError
from .fast_step import Workspace, labels_if_binary, train_step
from .network import Network

PASS_BELOW = 1e-7
WARN_BELOW = 1e-5
KINKED = ("relu", "leaky_relu")
MAX_EPSILON = 1e-2
# Units of work: multiply-adds of the extended-precision forward passes, plus a fixed cost per pass
# (Python and NumPy call overhead, measured at about what 5,000 multiply-adds take). 5e8 is a few
# seconds; [2, 100, 100, 1] on 32 samples needs 7e9 for every entry.
WORK_BUDGET = 5e8
FORWARD_OVERHEAD = 5_000
MIN_SAMPLE = 20
CHECKED = "the training step's gradients (what training runs) and Network.backward's"
PATHS = ("training step", "Network.backward")


@dataclass(frozen=True)
class TensorCheck:
    """One tensor's check: `name` is 'W^[l]' or 'b^[l]', `l` the layer, `kind` 'W' or 'b'.

    differences: the relative difference of each path in PATHS (the training step, Network.backward);
    relative_difference, difference_norm and max_abs_difference are the worse path's, and `status` judges it.
    """

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
    checked: int | None = None
    differences: tuple = ()

    @property
    def failing_paths(self) -> list[str]:
        """The names of the paths (of PATHS) whose gradients fail the check."""
        return [path for path, d in zip(PATHS, self.differences) if status_of(d) == "fail"]

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def sampled(self) -> bool:
        """True when only a random sample of the tensor's entries was checked."""
        return self.checked is not None and self.checked < self.size

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


class Note(str):
    """A note's text, and `about`: the parameter of gradcheck_config it concerns ('every_entry', 'epsilon') or None.

    A caller words its own hint for that parameter (the CLI names its flags).
    """

    about: str | None = None

    def __new__(cls, text: str, about: str | None = None):
        note = super().__new__(cls, text)
        note.about = about
        return note


@dataclass
class GradcheckResult:
    """Per-tensor results, kink counts, and notes on what was changed to make the check meaningful."""

    tensors: list
    kinks: list
    epsilon: float
    m: int
    cost: float
    notes: list = field(default_factory=list)
    sampled: tuple | None = None   # gradcheck_config: (entries checked, parameters) when it checked a sample

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


def numeric_gradients(network: Network, X, Y, *, epsilon: float = 1e-7, l2: float = 0.0, m_train: int | None = None,
                      entries: list | None = None, progress: Callable | None = None):
    """Centred differences of J for every entry of every W^[l] and b^[l]; float64 lists in their shapes.

    J is evaluated in ORACLE_DTYPE on a copy of the network, perturbed one entry at a time. J's L2 term
    is (l2 / 2m) sum ||W||^2 with m = m_train (default: Y's sample count). entries: None for every
    entry, or per tensor (W^[1..L], then b^[1..L]) the flat indices to check (the others stay NaN);
    progress(done, total) is called as entries are checked.
    """
    net = network.astype(ORACLE_DTYPE)
    X = np.asarray(X, dtype=ORACLE_DTYPE)
    Y = np.asarray(network.targets(Y), dtype=ORACLE_DTYPE)
    m = Y.shape[1] if m_train is None else m_train

    def J():
        cost = net.loss.cost(net.predict_proba(X), Y)
        if l2:
            cost = cost + net.l2_cost(l2, m)
        return cost

    tensors = net.W + net.b
    if entries is None:
        entries = [np.arange(P.size) for P in tensors]
    total, done = sum(len(e) for e in entries), 0
    h = ORACLE_DTYPE(epsilon)
    grads = []
    for P, chosen in zip(tensors, entries):
        grad = np.zeros(P.shape, dtype=np.float64) if len(chosen) == P.size else np.full(P.shape, np.nan)
        for flat in chosen:
            idx = np.unravel_index(flat, P.shape)
            old = P[idx]
            P[idx] = old + h
            plus = J()
            P[idx] = old - h
            minus = J()
            P[idx] = old
            grad[idx] = float((plus - minus) / (2 * h))
            done += 1
            if progress is not None and (done % 50 == 0 or done == total):
                progress(done, total)
        grads.append(grad)
    return grads[:net.L], grads[net.L:]


def forward_work(layers, m: int) -> float:
    """The work of one forward pass on m samples: m sum_l n^[l] n^[l-1] multiply-adds, plus the fixed cost."""
    return m * sum(n * n_prev for n_prev, n in zip(layers[:-1], layers[1:])) + FORWARD_OVERHEAD


def sample_entries(layers, m: int, rng, *, budget: float | None = None) -> list | None:
    """None when checking every entry fits `budget`; else sorted flat indices per tensor (W^[1..L], b^[1..L]).

    The entries the budget allows are shared out evenly, small tensors (the b^[l]) whole, the rest in
    equal parts of the larger ones; every tensor keeps at least MIN_SAMPLE entries (or all it has).
    """
    budget = WORK_BUDGET if budget is None else budget
    sizes = [n * n_prev for n_prev, n in zip(layers[:-1], layers[1:])] + list(layers[1:])
    per_entry = 2 * forward_work(layers, m)
    if sum(sizes) * per_entry <= budget:
        return None
    allowed = max(int(budget // per_entry), MIN_SAMPLE * len(sizes))
    counts = [0] * len(sizes)
    left = allowed
    order = sorted(range(len(sizes)), key=lambda k: sizes[k])
    for rank, k in enumerate(order):
        counts[k] = min(sizes[k], max(MIN_SAMPLE, left // (len(sizes) - rank)))
        left -= counts[k]
    return [np.sort(rng.choice(size, size=count, replace=False)) for size, count in zip(sizes, counts)]


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


def epsilon_problem(epsilon: float) -> str | None:
    """What is wrong with a finite-difference step (it must be a finite number in (0, MAX_EPSILON]), or None."""
    if math.isfinite(epsilon) and 0 < epsilon <= MAX_EPSILON:
        return None
    return f"expected a positive number no larger than {MAX_EPSILON:g} (the course uses 1e-7), got {epsilon:g}"


def check_epsilon(epsilon: float) -> None:
    """A UsageError naming the parameter `epsilon` unless `epsilon_problem` finds nothing."""
    problem = epsilon_problem(epsilon)
    if problem:
        raise UsageError(f"epsilon: {problem}")


def training_gradients(network: Network, X, Y, *, l2: float = 0.0, m_train: int | None = None):
    """The gradients the training loop computes: one full-batch fast step (no update, no dropout), copied."""
    X = np.ascontiguousarray(X, dtype=network.dtype)
    Y = network.targets(Y)
    with np.errstate(over="ignore"):
        _, _, grads = train_step(network, X, Y, Workspace(network), l2=l2, m_train=m_train,
                                 Y_is_one=labels_if_binary(network, Y))
    return [dW.copy() for dW in grads.dW], [db.copy() for db in grads.db]


def gradcheck(network: Network, X, Y, *, epsilon: float = 1e-7, l2: float = 0.0, m_train: int | None = None,
              entries: list | None = None, progress: Callable | None = None) -> GradcheckResult:
    """Check the training step's gradients and `network.backward`'s against centred differences, in float64.

    At the current parameters; X (n^[0], m), Y (n^[L], m) or integer labels (1, m). No dropout; `network` is
    not modified.
    m_train: the training set's size when X is a mini-batch of it (the L2 term's m); entries and
    progress: as `numeric_gradients` (a tensor checked on a sample is judged on the sampled entries).
    """
    check_epsilon(epsilon)
    net = as_float64(network)
    X = np.asarray(X, dtype=np.float64)
    Y = net.targets(Y)
    AL, caches = net.forward(X)
    cost = net.cost(AL, Y, l2=l2, m_train=m_train)
    reference = net.backward(Y, caches, l2=l2, m_train=m_train)
    trained_W, trained_b = training_gradients(net, X, Y, l2=l2, m_train=m_train)
    numeric_W, numeric_b = numeric_gradients(net, X, Y, epsilon=epsilon, l2=l2, m_train=m_train, entries=entries,
                                             progress=progress)
    # J is known to half a unit in the last place, so each centred difference can be off by
    # about eps_mach |J| / (2 epsilon) from rounding alone: the floor below which no check can go.
    floor_per_entry = float(np.finfo(ORACLE_DTYPE).eps) * abs(cost) / (2.0 * epsilon)
    tensors = []
    for l in range(1, net.L + 1):
        for kind, paths, n in (("W", (trained_W[l - 1], reference.dW[l - 1]), numeric_W[l - 1]),
                               ("b", (trained_b[l - 1], reference.db[l - 1]), numeric_b[l - 1])):
            shape, norm = tuple(n.shape), float(np.linalg.norm(paths[0]))
            chosen = ~np.isnan(n)
            n = n[chosen]
            differences = tuple(relative_difference(a[chosen], n) for a in paths)
            D = [a[chosen] - n for a in paths]
            worst = max(range(len(paths)), key=lambda k: (np.isnan(differences[k]), differences[k]))
            tensors.append(TensorCheck(f"{kind}^[{l}]", l, kind, shape, differences[worst],
                                       float(np.linalg.norm(D[worst])), float(np.max(np.abs(D[worst]), initial=0.0)),
                                       norm, status_of(differences[worst]),
                                       floor_per_entry * float(np.sqrt(n.size)), int(n.size), differences))
    return GradcheckResult(tensors, count_kinks(net, caches, epsilon), epsilon, int(X.shape[1]), cost)


def gradcheck_config(config, *, m: int = 32, epsilon: float = 1e-7, source: str = "<config>", every_entry=False,
                     progress: Callable | None = None) -> GradcheckResult:
    """Gradcheck the network a config builds, on m training samples drawn with the config's seed.

    Always float64 and without dropout; an all-zero init (every gradient of a hidden layer is
    symmetric or 0, so the check would prove little) is replaced by xavier weights. Each change is
    stated in `notes`. Above WORK_BUDGET a random sample of entries per tensor is checked (drawn with
    the config's seed), unless `every_entry`; progress(done, total) reports the entries checked.
    """
    from .config import config_from_dict
    from .pipeline import prepare

    if m < 1:
        raise UsageError(f"m: expected a positive integer, got {m}")
    check_epsilon(epsilon)
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
    rng = np.random.default_rng(checked.seed)
    order = rng.permutation(X.shape[1])
    clear = _away_from_kinks(network, X, epsilon)[order]
    # Walk the shuffled samples and keep the first m that sit clear of every kink.
    chosen = order[clear][:m]
    skipped = int(np.count_nonzero(~clear[: np.searchsorted(np.cumsum(clear), len(chosen)) + 1]))
    if len(chosen) == 0:
        chosen, skipped = order[:m], 0
    idx = np.sort(chosen)
    entries = None if every_entry else sample_entries(network.layers, len(idx), rng)
    result = gradcheck(network, X[:, idx], y[:, idx], epsilon=epsilon, l2=checked.train.l2, entries=entries,
                       progress=progress)
    if entries is not None:
        work = 2 * network.n_parameters * forward_work(network.layers, len(idx))
        result.sampled = (sum(len(e) for e in entries), network.n_parameters)
        notes.append(Note(f"checked a random sample of {result.sampled[0]:,} of {network.n_parameters:,} "
                          f"parameters (seed {checked.seed}): every entry would take about {work:.1e} multiply-adds, "
                          f"above the budget of {WORK_BUDGET:.0e}", about="every_entry"))
    if skipped:
        names = ", ".join(sorted({k.activation for k in result.kinks}))
        notes.append(f"left out {skipped} sample(s) with a pre-activation within epsilon of the {names} kink at 0: "
                     "there a finite difference averages two slopes and disagrees with g'")
    floored = [t.name for t in result.tensors if t.status != "pass" and t.at_rounding_floor]
    if floored:
        notes.append(Note(f"{', '.join(floored)}: the difference is at the rounding floor for epsilon {epsilon:g} "
                          "(these gradients are small)", about="epsilon"))
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
