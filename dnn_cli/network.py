"""The fully-connected network: parameters, forward and backward propagation, as the course writes them.

Training runs fast_step.train_step, which computes the same numbers into reused arrays.

Notation of the course: layer sizes n^[0..L] (`layers`), W^[l] of shape (n^[l], n^[l-1]),
b^[l] of shape (n^[l], 1), Z^[l] = W^[l] A^[l-1] + b^[l], A^[l] = g^[l](Z^[l]), A^[0] = X of
shape (n^[0], m): samples are columns. In code, W[l - 1] holds W^[l].

All parameters live in one flat vector theta = (W^[1], b^[1], ..., W^[L], b^[L]), each raveled, the
course's order for gradient checking; W[l - 1] and b[l - 1] are views into it, so an optimizer updates
every parameter with a few whole-vector operations.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .activations import get_activation
from .errors import ConfigError, shorten
from .initializers import initialize
from .losses import resolve_loss
from .parameters import n_parameters, parameter_views

# Samples per pass of predict_proba: at most PREDICT_COLUMNS, and at most PREDICT_BYTES of the widest layer's Z^[l].
PREDICT_COLUMNS = 1 << 16
PREDICT_BYTES = 1 << 20


class Cache(NamedTuple):
    """What layer l's forward step keeps for backprop: A^[l-1], Z^[l], A^[l] = g^[l](Z^[l]).

    With dropout, D is layer l's keep mask (True = kept) and the next layer sees A * D / keep_prob.
    """

    A_prev: np.ndarray
    Z: np.ndarray
    A: np.ndarray
    D: np.ndarray | None = None
    keep_prob: float = 1.0


class Gradients(NamedTuple):
    """dW[l - 1] = dJ/dW^[l] and db[l - 1] = dJ/db^[l], in the shapes of W^[l] and b^[l].

    dtheta is the flat gradient (in theta's order) when dW and db are views into it, else None.
    """

    dW: list
    db: list
    dtheta: np.ndarray | None = None

    def vector(self) -> np.ndarray:
        """d theta: every dW^[l], db^[l] raveled in theta's order (no copy when they are views of one)."""
        if self.dtheta is not None:
            return self.dtheta
        return np.concatenate([d.ravel() for pair in zip(self.dW, self.db) for d in pair])


def expand_activations(activations, L: int) -> list[str]:
    """g^[1..L] as a list of names, from a list or from {'hidden': name, 'output': name}.

    Example: {'hidden': 'tanh', 'output': 'sigmoid'} with L = 3 gives ['tanh', 'tanh', 'sigmoid'].
    """
    if isinstance(activations, dict):
        return [activations["hidden"]] * (L - 1) + [activations["output"]]
    return list(activations)


def check_architecture(layers, activations) -> list[tuple[tuple, str]]:
    """Everything wrong with a (layers, activations) pair, as (key path, message) pairs (empty when fine).

    Example: layers [2, 0, 1] gives [(("layers", 1), "expected a positive integer, got 0")].
    """
    problems = []
    if len(layers) < 2:
        problems.append((("layers",), f"expected at least 2 sizes (n^[0] and n^[L]), got {len(layers)}"))
        return problems
    for l, n in enumerate(layers):
        if not isinstance(n, (int, np.integer)) or n < 1:
            problems.append((("layers", l), f"expected a positive integer, got {n!r}"))
    L = len(layers) - 1
    if len(activations) != L:
        problems.append((("activations",),
                         f"expected {L} (one per layer l = 1..{L} of layers {shorten(list(layers), 80)}), "
                         f"got {len(activations)}"))
        return problems
    for l, name in enumerate(activations, start=1):
        try:
            g = get_activation(name)
        except ConfigError as e:
            problems.append((("activations", l - 1), str(e)))
            continue
        if l < L and not g.hidden_ok:
            problems.append((("activations", l - 1),
                             f"'{name}' may only be the output activation g^[L], not g^[{l}]"))
    return problems


def architecture_error(problems) -> ConfigError:
    """The (key path, message) pairs of check_architecture as one ConfigError: 'layers[1]: ...; activations: ...'."""
    return ConfigError("; ".join(f"{key_text(path)}: {message}" for path, message in problems))


def key_text(path) -> str:
    """("layers", 1) -> 'layers[1]'; ("activations",) -> 'activations'."""
    return path[0] + "".join(f"[{p}]" for p in path[1:])


class Network:
    """A fully-connected network with course-shaped parameters.

    Example: Network.initialize([2, 4, 1], ['tanh', 'sigmoid'], rng=np.random.default_rng(3)) is
    the course's planar classifier: W[0] is W^[1] (4, 2), W[1] is W^[2] (1, 4).
    """

    def __init__(self, W, b, activations, *, loss: str = "auto", dtype=None):
        """W, b: lists of W^[l], b^[l], copied into theta; dtype: theirs by default (W^[1]'s, if floating)."""
        L = len(W)
        if L < 1 or len(b) != L:
            raise ConfigError(f"expected as many W as b arrays (at least one), got {len(W)} W and {len(b)} b")
        activations = expand_activations(activations, L)
        W = [np.asarray(w) for w in W]
        b = [np.asarray(v) for v in b]
        self.layers = [W[0].shape[1]] + [w.shape[0] for w in W]
        for l, (w, v) in enumerate(zip(W, b), start=1):
            if w.ndim != 2 or w.shape[1] != self.layers[l - 1]:
                raise ConfigError(f"W{l}: expected shape (n^[{l}], {self.layers[l - 1]}), got {w.shape}")
            if v.shape != (w.shape[0], 1):
                raise ConfigError(f"b{l}: expected shape ({w.shape[0]}, 1), got {v.shape}")
        problems = check_architecture(self.layers, activations)
        if problems:
            raise architecture_error(problems)
        self.activations = activations
        self.g = [get_activation(name) for name in activations]
        self.loss = resolve_loss(loss, activations[-1])
        if dtype is None:
            dtype = W[0].dtype if np.issubdtype(W[0].dtype, np.floating) else np.float64
        self.dtype = np.dtype(dtype)
        self.theta = np.empty(n_parameters(self.layers), dtype=self.dtype)
        self.W, self.b = parameter_views(self.theta, self.layers)
        for P, given in zip(self.W + self.b, W + b):
            P[...] = given

    @classmethod
    def initialize(cls, layers, activations, init="random", *, rng=None, init_scale=0.01, loss="auto",
                   dtype=np.float64):
        """A new network with parameters drawn by `init` (zeros, random, he, xavier) from `rng`."""
        activations = expand_activations(activations, len(layers) - 1)
        problems = check_architecture(layers, activations)
        if problems:
            raise architecture_error(problems)
        rng = rng if rng is not None else np.random.default_rng()
        W, b = initialize(layers, init, rng=rng, init_scale=init_scale, dtype=dtype)
        return cls(W, b, activations, loss=loss)

    @classmethod
    def from_parameters(cls, parameters: dict, activations, *, loss="auto"):
        """A network from the course's dict {'W1': ..., 'b1': ..., ..., 'WL': ..., 'bL': ...}."""
        L = sum(1 for key in parameters if key.startswith("W") and key[1:].isdigit())
        for l in range(1, L + 1):
            for key in (f"W{l}", f"b{l}"):
                if key not in parameters:
                    raise ConfigError(f"parameters: expected '{key}' (W1..W{L}, b1..b{L}), it is missing")
        W = [parameters[f"W{l}"] for l in range(1, L + 1)]
        b = [parameters[f"b{l}"] for l in range(1, L + 1)]
        return cls(W, b, activations, loss=loss)

    def parameters(self) -> dict:
        """The course's dict {'W1': W^[1], 'b1': b^[1], ...}, sharing the arrays (no copies)."""
        out = {}
        for l, (W, b) in enumerate(zip(self.W, self.b), start=1):
            out[f"W{l}"], out[f"b{l}"] = W, b
        return out

    @property
    def L(self) -> int:
        """The number of layers with parameters (the input layer is layer 0)."""
        return len(self.W)

    @property
    def n_parameters(self) -> int:
        return self.theta.size

    def astype(self, dtype) -> Network:
        """A copy with parameters in `dtype`, the same activation and loss objects."""
        out = Network(self.W, self.b, self.activations, loss=self.loss.name, dtype=dtype)
        out.g, out.loss = list(self.g), self.loss
        return out

    def __repr__(self) -> str:
        return f"Network(layers={self.layers}, activations={self.activations}, loss='{self.loss.name}')"

    def targets(self, Y):
        """Y in the shape of A^[L]: integer labels (1, m) become one-hot (n^[L], m) for cross-entropy."""
        Y = np.asarray(Y)
        if Y.ndim == 1:
            Y = Y.reshape(1, -1)
        n_L = self.layers[-1]
        if self.loss.name == "cross_entropy" and Y.shape[0] == 1 and n_L > 1:
            codes = Y[0].astype(np.int64)
            one_hot = np.zeros((n_L, codes.size), dtype=self.dtype)
            one_hot[codes, np.arange(codes.size)] = 1.0
            return one_hot
        return Y.astype(self.dtype, copy=False)

    def forward(self, X, *, keep_prob=None, rng=None):
        """A^[L] for X (n^[0], m), and the per-layer caches (A^[l-1], Z^[l], A^[l]) for backprop.

        keep_prob: None (no dropout) or one keep probability per hidden layer l = 1..L-1; masks
        are drawn from `rng` (inverted dropout: kept activations are divided by keep_prob).
        """
        A = np.asarray(X, dtype=self.dtype)
        caches = []
        for l, (W, b, g) in enumerate(zip(self.W, self.b, self.g), start=1):
            A_prev = A
            Z = W @ A_prev + b
            A = g(Z)
            if keep_prob is not None and l < self.L and keep_prob[l - 1] < 1.0:
                p = keep_prob[l - 1]
                D = rng.random(A.shape) < p
                caches.append(Cache(A_prev, Z, A, D, p))
                A = A * D / p
            else:
                caches.append(Cache(A_prev, Z, A))
        return A, caches

    def cost(self, AL, Y, *, l2: float = 0.0, m_train: int | None = None) -> float:
        """J(A^[L], Y) of the network's loss, plus (l2 / 2m) sum_l ||W^[l]||_F^2; Y as in `targets`.

        m is Y's sample count, or `m_train` (the training set's size) when Y is a mini-batch of it.
        """
        Y = self.targets(Y)
        J = self.loss.cost(AL, Y)
        if l2:
            J = J + self.l2_cost(l2, Y.shape[1] if m_train is None else m_train)
        return float(J)

    def cost_over_(self, AL, Y) -> float:
        """`cost(AL, Y)` bit for bit (no L2 term), computed in AL's own memory, which it overwrites, and one
        scratch array, with the loss's in-place forms: the metrics of a large m hold A^[L], Y and little more."""
        from .fast_step import labels_if_binary  # here: fast_step builds on this module

        Y = self.targets(Y)
        forms = self.loss.in_place
        if forms is None:
            return self.cost(AL, Y)
        U = np.empty_like(AL)
        Y_is_one = labels_if_binary(self, Y)
        if Y_is_one is not None:
            return float(forms.of_labels_(AL, Y_is_one, AL, U))
        return float(forms.cost_(AL, Y, AL, U))

    def l2_cost(self, l2: float, m: int):
        """The L2 term of the cost, (l2 / 2m) sum_l ||W^[l]||_F^2, in the parameters' dtype."""
        return l2 / (2 * m) * sum(np.sum(W * W) for W in self.W)

    def backward(self, Y, caches, *, l2: float = 0.0, m_train: int | None = None) -> Gradients:
        """dW^[l], db^[l] for l = 1..L by backprop through the caches of `forward`.

        dZ^[L] from the loss; dW^[l] = (1/m) dZ^[l] A^[l-1]^T (+ (l2/m) W^[l]);
        db^[l] = (1/m) sum(dZ^[l], axis=1); dZ^[l-1] = W^[l]^T dZ^[l] * g^[l-1]'(Z^[l-1]).
        For a mini-batch of a training set of `m_train` samples the L2 term is (l2/m_train) W^[l].
        """
        Y = self.targets(Y)
        m = Y.shape[1]
        m_l2 = m if m_train is None else m_train
        last = caches[-1]
        dZ = self.loss.output_delta(last.A, Y)
        if self.g[-1].name != self.loss.canonical:
            dZ = dZ * self.g[-1].derivative(last.Z, last.A)
        dW, db = [None] * self.L, [None] * self.L
        for l in range(self.L, 0, -1):
            cache = caches[l - 1]
            # (1/m) times, as the course writes it: the same rounding as the course's own code.
            dW[l - 1] = (1 / m) * (dZ @ cache.A_prev.T)
            if l2:
                dW[l - 1] += (l2 / m_l2) * self.W[l - 1]
            db[l - 1] = (1 / m) * dZ.sum(axis=1, keepdims=True)
            if l > 1:
                below = caches[l - 2]
                dA = self.W[l - 1].T @ dZ
                if below.D is not None:
                    dA = dA * below.D / below.keep_prob
                dZ = dA * self.g[l - 2].derivative(below.Z, below.A)
        return Gradients(dW, db)

    def predict_proba(self, X):
        """A^[L] for X (n^[0], m) without keeping caches, a block of samples at a time (PREDICT_COLUMNS, PREDICT_BYTES).

        Each layer's Z^[l] = W^[l] A^[l-1] + b^[l] is formed in one array and g^[l] applied over it (the
        activation's in-place form, the same numbers), so a large m costs the inputs and A^[L] and little
        more. Products beyond the dtype's range saturate to +-inf without NumPy's RuntimeWarning: a bounded
        g maps them to its limits, and callers report an output that is still not finite in their own words.
        """
        X = np.asarray(X)
        m = X.shape[1]
        columns = min(PREDICT_COLUMNS, max(1, PREDICT_BYTES // (max(self.layers[1:]) * self.dtype.itemsize)))
        if m <= columns:
            return self._predict_block(X)
        AL = np.empty((self.layers[-1], m), dtype=self.dtype)
        for start in range(0, m, columns):
            AL[:, start:start + columns] = self._predict_block(X[:, start:start + columns])
        return AL

    def _predict_block(self, X):
        A = np.asarray(X, dtype=self.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            for W, b, g in zip(self.W, self.b, self.g):
                Z = W @ A
                Z += b
                A = g(Z) if g.in_place is None else g.in_place.g_(Z, 0.0)
        return A

    def predict(self, X):
        """Class codes (1, m) for classification (threshold 0.5 / argmax), A^[L] for regression."""
        return self.decide(self.predict_proba(X))

    def decide(self, AL):
        """Predictions from outputs A^[L]: sigmoid > 0.5, softmax argmax, else the values themselves."""
        if self.loss.name == "binary_cross_entropy":
            return (AL > 0.5).astype(np.int64)
        if self.loss.name == "cross_entropy":
            return AL.argmax(axis=0).reshape(1, -1)
        return AL

    def is_finite(self) -> bool:
        """True when no parameter is NaN or infinite (a diverged run's parameters are not saved)."""
        return all(np.isfinite(P).all() for P in self.W + self.b)

    @property
    def is_classifier(self) -> bool:
        return self.loss.name != "mse"


def shape_rows(layers, activations, m: int) -> list[dict]:
    """The dimensions of every layer l = 1..L for a batch of m samples, as the course writes them.

    Example: layers [3, 5, 5, 3, 1] gives W^[1] (5, 3), W^[2] (5, 5), W^[3] (3, 5), W^[4] (1, 3).
    """
    names = expand_activations(activations, len(layers) - 1)
    rows = []
    for l, (n_prev, n) in enumerate(zip(layers[:-1], layers[1:]), start=1):
        rows.append({"l": l, "g": names[l - 1], "W": (n, n_prev), "b": (n, 1), "Z": (n, m), "A": (n, m),
                     "dW": (n, n_prev), "db": (n, 1), "parameters": n * n_prev + n})
    return rows
