"""Learning-rate schedules alpha(epoch) from the initial rate alpha_0."""

from __future__ import annotations

import math


def none(learning_rate, epoch, decay_rate, decay_every):
    """alpha = alpha_0."""
    return learning_rate


def inverse_time(learning_rate, epoch, decay_rate, decay_every):
    """alpha = alpha_0 / (1 + decay_rate * epoch)."""
    return learning_rate / (1.0 + decay_rate * epoch)


def exponential(learning_rate, epoch, decay_rate, decay_every):
    """alpha = alpha_0 * decay_rate^epoch."""
    return learning_rate * decay_rate**epoch


def step(learning_rate, epoch, decay_rate, decay_every):
    """alpha = alpha_0 / (1 + decay_rate * floor(epoch / decay_every)): the course's scheduled decay."""
    return learning_rate / (1.0 + decay_rate * math.floor(epoch / decay_every))


SCHEDULES = {"none": none, "inverse_time": inverse_time, "exponential": exponential, "step": step}
