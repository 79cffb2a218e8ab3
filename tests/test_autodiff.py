"""ganlab.autodiff against closed forms, on whichever backend KERAS_BACKEND selects (CI runs all three)."""

import keras
import numpy as np
import pytest
from keras import ops

from ganlab import autodiff

pytestmark = pytest.mark.backends  # backend-sensitive: make test runs this file on TensorFlow, JAX and PyTorch


def arr(x):
    return np.asarray(ops.convert_to_numpy(x), dtype=np.float64)


def test_value_and_grad_matches_the_closed_form_and_passes_aux_through():
    w = keras.Variable(np.array([1.0, -2.0, 3.0], "float32"))
    c = np.array([0.5, 2.0, -1.0], "float32")
    ct = ops.convert_to_tensor(c)
    loss, aux, (grad,) = autodiff.value_and_grad(lambda: (ops.sum(w * w * ct), w * 2.0), [w])
    assert float(loss) == pytest.approx(float(np.sum(c * arr(w) ** 2)))
    np.testing.assert_allclose(arr(grad), 2 * c * arr(w), rtol=1e-6)  # d/dw sum(c w^2) = 2 c w
    np.testing.assert_allclose(arr(aux), [2.0, -4.0, 6.0])


def test_value_and_grad_keeps_what_the_function_assigns_but_differentiates_only_its_variables():
    w, counter = keras.Variable(np.float32(3.0)), keras.Variable(np.float32(0.0), trainable=False)
    bn = keras.layers.BatchNormalization(momentum=0.5)
    bn.build((None, 1))

    def fn():
        counter.assign(counter + 1.0)  # a side effect, like a seed generator's
        y = bn(ops.reshape(w, (1, 1)) * ops.ones((4, 1)), training=True)  # moves BN's moving mean towards w
        return w * w + ops.sum(y) * 0.0, ()

    _, _, (grad,) = autodiff.value_and_grad(fn, [w])
    assert float(grad) == pytest.approx(6.0)
    assert float(arr(counter)) == 1.0
    assert float(arr(bn.moving_mean)[0]) == pytest.approx(1.5)  # 0.5 * 0 + 0.5 * 3


def test_values_and_grads_differentiates_each_loss_by_its_own_group():
    a, b = keras.Variable(np.float32(2.0)), keras.Variable(np.float32(-3.0))
    (l0, l1), _, (ga, gb) = autodiff.values_and_grads(lambda: ((a * b, a + b * b), ()), [[a], [b]])
    assert (float(l0), float(l1)) == (-6.0, 11.0)
    assert float(ga[0]) == pytest.approx(-3.0)  # d(ab)/da = b, not d(a + b^2)/da = 1
    assert float(gb[0]) == pytest.approx(-6.0)  # d(a + b^2)/db = 2b, not d(ab)/db = a


def test_input_grad_is_the_gradient_and_is_itself_differentiable_in_the_weights():
    x = ops.convert_to_tensor(np.array([[1.0, -2.0]], "float32"))
    w = keras.Variable(np.float32(0.5))
    np.testing.assert_allclose(arr(autodiff.input_grad(lambda t: t**3, x)), 3 * arr(x) ** 2, rtol=1e-6)
    # sum over x of d(w x^2)/dx = 2 w sum(x); its derivative in w is 2 sum(x) = -2
    _, _, (grad,) = autodiff.value_and_grad(lambda: (ops.sum(autodiff.input_grad(lambda t: w * t * t, x)), ()), [w])
    assert float(grad) == pytest.approx(-2.0)


def test_compile_step_carries_the_variables_from_call_to_call():
    total = keras.Variable(np.float32(0.0), trainable=False)

    def add(x):
        total.assign(total + ops.sum(x))
        return total * 1.0

    step = autodiff.compile_step(add, [total])
    outs = [float(step(ops.convert_to_tensor(np.ones(2, "float32")))) for _ in range(3)]
    assert outs == [2.0, 4.0, 6.0] and float(arr(total)) == 6.0


def test_no_grad_and_is_concrete():
    with autodiff.no_grad():
        assert float(arr(ops.ones(()) * 2)) == 2.0
    assert autodiff.is_concrete(np.ones(2)) and autodiff.is_concrete(ops.ones(2))


def test_an_unknown_backend_is_refused_with_the_ones_that_work(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "numpy")
    with pytest.raises(RuntimeError, match="not 'numpy'.*KERAS_BACKEND=tensorflow"):
        autodiff.backend()
