"""The flat parameter vector theta and the course-shaped views into it.

theta = (W^[1], b^[1], ..., W^[L], b^[L]), each raveled in C order: the order in which the course
reshapes the parameters into one vector for gradient checking. A Network keeps its parameters in
theta, the training loop its gradients in d theta of the same layout, and an optimizer its moments
too, so an update is a few whole-vector operations whatever the depth.
"""

from __future__ import annotations


def n_parameters(layers) -> int:
    """The size of theta: sum over l of n^[l] (n^[l-1] + 1)."""
    return sum(n * (n_prev + 1) for n_prev, n in zip(layers[:-1], layers[1:]))


def parameter_views(theta, layers) -> tuple[list, list]:
    """W^[l], b^[l] for l = 1..L as views into the flat vector theta (W^[1], b^[1], ..., W^[L], b^[L]).

    Example: for layers [2, 4, 1], theta has 17 entries; W^[1] is theta[0:8] as (4, 2), b^[1] theta[8:12]
    as (4, 1), W^[2] theta[12:16] as (1, 4), b^[2] theta[16:17] as (1, 1).
    """
    W, b, start = [], [], 0
    for n_prev, n in zip(layers[:-1], layers[1:]):
        W.append(theta[start:start + n * n_prev].reshape(n, n_prev))
        start += n * n_prev
        b.append(theta[start:start + n].reshape(n, 1))
        start += n
    return W, b
