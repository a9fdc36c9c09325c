import numpy as np
from numpy.testing import assert_allclose

from mne_icalabel.utils.transform import cart2sph, pol2cart, sph2topo


def test_pol2cart_round_trip():
    rng = np.random.default_rng(0)
    theta, rho = rng.uniform(-np.pi, np.pi, 50), rng.uniform(0, 2, 50)
    x, y = pol2cart(theta, rho)
    assert_allclose(np.hypot(x, y), rho)
    assert_allclose(np.arctan2(y, x), theta)


def test_cart2sph_known_points():
    r, az, el = cart2sph([1, 0, 0], [0, 1, 0], [0, 0, 2])
    assert_allclose(r, [1, 1, 2])
    assert_allclose(az, [0, np.pi / 2, 0])
    assert_allclose(el, [0, 0, np.pi / 2])


def test_sph2topo():
    angle, radius = sph2topo(np.array([0.3, -1.0]), np.array([np.pi / 2, 0.0]))
    assert_allclose(angle, [-0.3, 1.0])
    assert_allclose(radius, [0.0, 0.5])
