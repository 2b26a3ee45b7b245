"""The depth experiment (`dnn compare-init CONFIG --depth D --width N`): how the signal travels through D
hidden layers of N units under each init scheme, measured beside the mean-field prediction, then trained.

Mean-field theory: with zero biases and W^[l] entries of mean 0 and variance s_l^2, every entry of
Z^[l] = W^[l] A^[l-1] is a sum of n^[l-1] independent terms, so

    Var(Z^[l]) = n^[l-1] s_l^2 E[g(Z^[l-1])^2],   Z^[l-1] ~ N(0, Var(Z^[l-1])).

For ReLU E[g(z)^2] = Var(z) / 2, so He (s^2 = 2/n) keeps Var(Z) constant, Xavier (s^2 = 1/n) halves it at
every layer and random x 0.01 multiplies it by 0.01^2 n / 2; for linear layers E[z^2] = Var(z); for tanh
and sigmoid E[g(z)^2] is computed by Gauss-Hermite quadrature (numpy.polynomial.hermite_e, see
`second_moment`). The
recursion starts from the measured Var(Z^[1]): the first layer sees the data, not a Gaussian.

One draw of W makes each layer's variance fluctuate by about sqrt(2 / N), compounding over depth, so
the theory is judged by the per-layer growth factor (std Z^[D] / std Z^[1])^(1 / (D - 1)).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import ParameterError
from .experiments import run_measured, with_model
from .init_comparison import Scheme, parse_schemes
from .layer_stats import layer_stats
from .pipeline import prepare

DEPTH_SCHEMES = ("zeros", "random", "xavier", "he")
QUADRATURE_POINTS = 201
VANISHES, EXPLODES = 0.1, 10.0   # std Z^[D] / std Z^[1] below / above these: the signal vanishes / explodes
LEARNED = 0.9                    # a scheme learned when its final cost is below 0.9 x min(initial, chance) cost
LEAKY_SLOPE = 0.01

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(QUADRATURE_POINTS)
_WEIGHTS = _WEIGHTS / math.sqrt(2.0 * math.pi)   # sum w f(x) = E[f(x)], x ~ N(0, 1)


def second_moment(activation: str, variance: float) -> float:
    """E[g(z)^2] for z ~ N(0, variance): closed forms for relu, leaky_relu and linear, quadrature otherwise.

    tanh and sigmoid (sigmoid(z) = (1 + tanh(z / 2)) / 2, and E[tanh(z / 2)] = 0) go through `_tanh_squared`;
    any other activation is integrated directly with Gauss-Hermite quadrature.
    """
    if activation == "relu":
        return variance / 2.0
    if activation == "leaky_relu":
        return variance * (1.0 + LEAKY_SLOPE ** 2) / 2.0
    if activation == "linear":
        return variance
    if activation == "tanh":
        return _tanh_squared(variance)
    if activation == "sigmoid":
        return (1.0 + _tanh_squared(variance / 4.0)) / 4.0
    from .activations import get_activation

    g = get_activation(activation)
    return float(np.dot(_WEIGHTS, g(math.sqrt(max(variance, 0.0)) * _NODES) ** 2))


def _tanh_squared(variance: float) -> float:
    """E[tanh(z)^2], z ~ N(0, variance), by Gauss-Hermite quadrature (relative error below 2e-4 at any variance).

    For a wide z, tanh(z)^2 is almost a step and a direct rule misses it (3 % off at variance 200); then
    tanh^2 = 1 - tanh' and Stein's lemma E[tanh'(s x)] = E[x tanh(s x)] / s (x ~ N(0, 1)) leave a kink
    instead of a step, which the same rule integrates well.
    """
    s = math.sqrt(max(variance, 0.0))
    if s <= 1.0:
        return float(np.dot(_WEIGHTS, np.tanh(s * _NODES) ** 2))
    return 1.0 - float(np.dot(_WEIGHTS, _NODES * np.tanh(s * _NODES))) / s


def weight_variance(scheme: Scheme, n_prev: int) -> float:
    """s^2, the variance of W^[l]'s entries, under `scheme` for n^[l-1] inputs."""
    return {"zeros": 0.0, "random": scheme.init_scale ** 2, "he": 2.0 / n_prev, "xavier": 1.0 / n_prev}[scheme.init]


def predicted_std_Z(activation: str, scheme: Scheme, layers, var_Z1: float) -> list[float]:
    """The mean-field std of Z^[l] for the hidden layers l = 1..D, from the measured Var(Z^[1]).

    layers: n^[0..L] (the hidden layers are l = 1..L-1, all with `activation`).
    """
    variances = [var_Z1]
    for l in range(2, len(layers) - 1):
        variances.append(layers[l - 1] * weight_variance(scheme, layers[l - 1])
                         * second_moment(activation, variances[-1]))
    return [math.sqrt(v) for v in variances]


def growth(stds) -> float | None:
    """The per-layer growth factor (std Z^[D] / std Z^[1])^(1 / (D - 1)); None for D < 2 or a zero std Z^[1]."""
    if len(stds) < 2 or not stds[0] > 0 or not math.isfinite(stds[-1]):
        return None
    return (stds[-1] / stds[0]) ** (1.0 / (len(stds) - 1))


@dataclass
class DepthResult:
    """One scheme: per hidden layer the measured and predicted signal at initialisation, then the training run."""

    scheme: Scheme
    layers: list               # dicts: l, std_Z, std_A, predicted_std_Z, dW_norm (hidden layers l = 1..D)
    run: object = None         # experiments.MeasuredRun, None when not trained
    verdict: str = ""

    @property
    def growth(self) -> dict:
        return {"measured": growth([r["std_Z"] for r in self.layers]),
                "predicted": growth([r["predicted_std_Z"] for r in self.layers])}

    def to_dict(self) -> dict:
        out = {"init": self.scheme.init, "init_scale": self.scheme.init_scale, "layers": self.layers,
               "growth": self.growth, "verdict": self.verdict}
        if self.run is not None:
            out["final"] = {"cost_start": self.run.cost_start, **self.run.final}
            if self.run.diverged:
                out["final"]["diverged"] = self.run.diverged
        return out


@dataclass
class DepthExperiment:
    """The depth experiment: D hidden layers of N units with one activation, one DepthResult per scheme."""

    config: object
    depth: int
    width: int
    activation: str
    schemes: list
    verdicts: list = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"depth": self.depth, "width": self.width, "activation": self.activation,
                "config": self.config.to_dict(),
                "schemes": {r.scheme.label: r.to_dict() for r in self.schemes}, "verdicts": list(self.verdicts),
                "seconds": self.seconds}


def hidden_activation(config, activation: str | None) -> str:
    """`activation`, else the config's one hidden activation; a ParameterError when there is none or several."""
    if activation is not None:
        from .activations import get_activation
        from .errors import ConfigError

        try:
            g = get_activation(activation)
        except ConfigError as e:
            raise ParameterError("activation", f": {e}") from None
        if not g.hidden_ok:
            raise ParameterError("activation", f": '{activation}' may only be an output activation, not a hidden one")
        return activation
    hidden = list(dict.fromkeys(config.model.activation_names()[:-1]))
    if len(hidden) != 1:
        found = "no hidden layer" if not hidden else f"hidden activations {', '.join(hidden)}"
        raise ParameterError("activation", f": the config has {found}; name the hidden activation to use")
    return hidden[0]


def deep_config(config, depth: int, width: int, activation: str, *, source: str = "<config>"):
    """The config with its hidden layers replaced by `depth` layers of `width` units of `activation`."""
    if depth < 1:
        raise ParameterError("depth", f": expected a positive number of hidden layers, got {depth}")
    if width < 1:
        raise ParameterError("width", f": expected a positive number of units per hidden layer, got {width}")
    layers = config.model.layers
    output = config.model.activation_names()[-1]
    return with_model(config, source=source, layers=[layers[0]] + [width] * depth + [layers[-1]],
                      activations={"hidden": activation, "output": output})


def measure_at_init(config, scheme: Scheme, activation: str, *, source: str = "<config>") -> list[dict]:
    """Per hidden layer at initialisation on the training data: std of Z^[l] and A^[l], the prediction, ||dW^[l]||."""
    changed = with_model(config, source=source, init=scheme.init, init_scale=scheme.init_scale)
    prepared = prepare(changed, source=source)
    network, X = prepared.network, prepared.train.X
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        AL, caches = network.forward(X)
        dW = network.backward(network.targets(prepared.train.y), caches).dW
    rows = layer_stats(network, X, dW)[:-1]
    predicted = predicted_std_Z(activation, scheme, network.layers, rows[0].std_Z ** 2)
    return [{"l": r.l, "std_Z": r.std_Z, "std_A": r.std_A, "predicted_std_Z": p, "dW_norm": r.dW_norm}
            for r, p in zip(rows, predicted)]


def depth_experiment(config, depth: int, width: int, *, activation: str | None = None, schemes=DEPTH_SCHEMES,
                     source: str = "<config>", train: bool = True) -> DepthExperiment:
    """Measure every scheme at initialisation beside the theory, then (train=True) train it for the config's epochs."""
    start = time.perf_counter()
    activation = hidden_activation(config, activation)
    schemes = parse_schemes(schemes) if isinstance(schemes, str) else [
        s if isinstance(s, Scheme) else parse_schemes([s])[0] for s in schemes]
    deep = deep_config(config, depth, width, activation, source=source)
    results = []
    for scheme in schemes:
        result = DepthResult(scheme, measure_at_init(deep, scheme, activation, source=source))
        if train:
            changed = with_model(deep, source=source, init=scheme.init, init_scale=scheme.init_scale)
            result.run = run_measured(changed, label=scheme.label, source=source, track_units=False)
        result.verdict = depth_verdict(result)
        results.append(result)
    experiment = DepthExperiment(deep, depth, width, activation, results, seconds=time.perf_counter() - start)
    experiment.verdicts = [f"{r.scheme.label}: {r.verdict}" for r in results]
    return experiment


def _x(value: float) -> str:
    return f"{value:.2g}"


def depth_verdict(result: DepthResult) -> str:
    """Where the signal vanishes or explodes (std Z^[l] / std Z^[1]), and whether the scheme learned."""
    stds = [r["std_Z"] for r in result.layers]
    D = len(stds)
    parts = []
    zero = next((r["l"] for r in result.layers if not r["std_Z"] > 0), None)
    if zero is not None:
        parts.append(f"Z^[{zero}] is 0 for every sample: no signal from layer {zero} on")
    elif D > 1:
        ratios = [s / stds[0] for s in stds]
        last = ratios[-1]
        if last < VANISHES:
            parts.append(f"std of Z^[{D}] is {_x(last)} of Z^[1]: the signal vanishes")
        elif last > EXPLODES:
            parts.append(f"std of Z^[{D}] is {_x(last)} of Z^[1]: the signal explodes")
        else:
            parts.append(f"std of Z^[l] stays within {min(ratios):.2f}-{max(ratios):.2f}x of Z^[1]")
    run = result.run
    if run is not None:
        if run.diverged:
            parts.append("diverged in training")
        else:
            start, end = run.cost_start, run.cost_end
            if end < LEARNED * min(start, run.chance_cost):
                parts.append(f"learned: cost {start:.3g} -> {end:.3g}")
            else:
                parts.append(f"did not learn: cost {start:.3g} -> {end:.3g}")
    return "; ".join(parts)
