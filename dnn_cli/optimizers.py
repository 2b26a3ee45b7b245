"""Parameter update rules: one class per optimizer, with its state explicit.

Each optimizer updates the network's W and b lists in place from Gradients dW, db.
State arrays (v, s) have the shapes of the parameters they follow; `t` counts updates.
"""

from __future__ import annotations

import numpy as np

from .errors import lookup


class GradientDescent:
    """W^[l] -= alpha dW^[l]; b^[l] -= alpha db^[l]."""

    name = "gd"
    uses = ()

    def __init__(self, W, b, **_):
        self.t = 0

    def state(self) -> dict:
        return {"t": np.array(self.t)}

    def load_state(self, state: dict) -> None:
        self.t = int(state["t"])

    def step(self, W, b, grads, learning_rate):
        self.t += 1
        for params, deltas in ((W, grads.dW), (b, grads.db)):
            for P, dP in zip(params, deltas):
                P -= learning_rate * dP


class _WithMoments(GradientDescent):
    """Shared state handling for optimizers that keep running averages v (first) and s (second)."""

    moments: tuple[str, ...] = ()

    def __init__(self, W, b, *, beta1=0.9, beta2=0.999, epsilon=1e-8):
        super().__init__(W, b)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        for name in self.moments:
            setattr(self, f"{name}W", [np.zeros_like(P) for P in W])
            setattr(self, f"{name}b", [np.zeros_like(P) for P in b])

    def state(self) -> dict:
        out = super().state()
        for name in self.moments:
            for kind in ("W", "b"):
                for l, P in enumerate(getattr(self, f"{name}{kind}"), start=1):
                    out[f"{name}{kind}{l}"] = P
        return out

    def load_state(self, state: dict) -> None:
        super().load_state(state)
        for name in self.moments:
            for kind in ("W", "b"):
                arrays = getattr(self, f"{name}{kind}")
                for l, P in enumerate(arrays, start=1):
                    P[...] = state[f"{name}{kind}{l}"]

    def step(self, W, b, grads, learning_rate):
        self.t += 1
        for params, deltas, kind in ((W, grads.dW, "W"), (b, grads.db, "b")):
            for l, (P, dP) in enumerate(zip(params, deltas)):
                self.update(P, dP, kind, l, learning_rate)


class Momentum(_WithMoments):
    """v = beta v + (1 - beta) dW; W -= alpha v (the course's form, beta = beta1)."""

    name = "momentum"
    uses = ("beta1",)
    moments = ("v",)

    def update(self, P, dP, kind, l, learning_rate):
        v = getattr(self, f"v{kind}")[l]
        v *= self.beta1
        v += (1.0 - self.beta1) * dP
        P -= learning_rate * v


class RMSprop(_WithMoments):
    """s = beta2 s + (1 - beta2) dW^2; W -= alpha dW / (sqrt(s) + epsilon)."""

    name = "rmsprop"
    uses = ("beta2", "epsilon")
    moments = ("s",)

    def update(self, P, dP, kind, l, learning_rate):
        s = getattr(self, f"s{kind}")[l]
        s *= self.beta2
        s += (1.0 - self.beta2) * dP * dP
        P -= learning_rate * dP / (np.sqrt(s) + self.epsilon)


class Adam(_WithMoments):
    """v and s as momentum and RMSprop, bias-corrected: W -= alpha v_hat / (sqrt(s_hat) + epsilon)."""

    name = "adam"
    uses = ("beta1", "beta2", "epsilon")
    moments = ("v", "s")

    def update(self, P, dP, kind, l, learning_rate):
        v = getattr(self, f"v{kind}")[l]
        s = getattr(self, f"s{kind}")[l]
        v *= self.beta1
        v += (1.0 - self.beta1) * dP
        s *= self.beta2
        s += (1.0 - self.beta2) * dP * dP
        v_hat = v / (1.0 - self.beta1**self.t)
        s_hat = s / (1.0 - self.beta2**self.t)
        P -= learning_rate * v_hat / (np.sqrt(s_hat) + self.epsilon)


OPTIMIZERS = {cls.name: cls for cls in (GradientDescent, Momentum, RMSprop, Adam)}


def get_optimizer(name: str):
    """The registered optimizer class called `name`; a ConfigError with the valid choices otherwise."""
    return lookup(OPTIMIZERS, name, "optimizer")
