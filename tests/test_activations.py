"""Activations against their closed forms, derivatives against finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dnn_cli.activations import ACTIVATIONS, get_activation
from dnn_cli.errors import ConfigError

Z = np.array([[-3.0, -0.5, 0.25, 2.0], [1.5, -1.25, 0.75, -2.5]])

CLOSED_FORMS = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "linear": lambda z: z,
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=0),
}


def test_every_registered_activation_has_a_closed_form_test():
    assert set(ACTIVATIONS) == set(CLOSED_FORMS)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_closed_form(name):
    np.testing.assert_allclose(get_activation(name)(Z), CLOSED_FORMS[name](Z), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"softmax"}))
def test_derivative_matches_centred_difference(name):
    g = get_activation(name)
    h = 1e-6
    numeric = (g(Z + h) - g(Z - h)) / (2 * h)
    np.testing.assert_allclose(g.derivative(Z, g(Z)), numeric, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_extreme_inputs_stay_finite_without_warnings(name):
    extreme = np.array([[-1e308, -800.0, -1e-300, 0.0, 1e-300, 800.0, 1e308]]).T * np.ones((1, 2))
    g = get_activation(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = g(extreme)
    assert np.all(np.isfinite(A))


def test_sigmoid_saturates_exactly_and_is_symmetric():
    g = get_activation("sigmoid")
    z = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]])
    A = g(z)
    assert A[0, 0] == 0.0 and A[0, -1] == 1.0 and A[0, 2] == 0.5
    np.testing.assert_allclose(A + g(-z), 1.0, rtol=0, atol=1e-15)


def test_softmax_is_shift_invariant_and_sums_to_one():
    g = get_activation("softmax")
    np.testing.assert_allclose(g(Z).sum(axis=0), 1.0, rtol=1e-15)
    np.testing.assert_allclose(g(Z + 1000.0), g(Z), rtol=1e-12)


def test_leaky_relu_slope_is_the_course_and_pytorch_value():
    assert get_activation("leaky_relu")(np.array([[-100.0]]))[0, 0] == pytest.approx(-1.0)


def test_unknown_activation_suggests_the_nearest_name():
    with pytest.raises(ConfigError, match=r"unknown activation 'tahn'.*did you mean 'tanh'"):
        get_activation("tahn")
