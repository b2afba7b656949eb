"""Box office (synthetic): formula behaviour and a linear fit on the budget-only set."""

import numpy as np

from neuroviz.data import DATASETS, boxoffice_revenue, load_dataset
from neuroviz.data import boxoffice as bo


def _r2(y, pred):
    return 1.0 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)


def test_said_to_be_synthetic():
    assert "synthetic" in bo.__doc__.lower() and "revenue" in bo.__doc__
    for name in ("boxoffice", "boxoffice_budget"):
        assert DATASETS[name].synthetic
        assert "SYNTHETIC" in load_dataset(name).description


def test_formula_increases_with_budget():
    budget = np.linspace(5, 200, 400)
    rng = np.random.default_rng(0)
    for _ in range(20):
        ad_share, star, month = rng.uniform(0.15, 0.6), rng.uniform(0, 10), rng.integers(1, 13)
        rev = boxoffice_revenue(budget, ad_share * budget, star, month)
        assert np.all(np.diff(rev) > 0)
    assert np.all(np.diff(bo.revenue_budget_only(budget)) > 0)


def test_formula_other_factors_help():
    base = boxoffice_revenue(100.0, 30.0, 5.0, 3)
    assert boxoffice_revenue(100.0, 60.0, 5.0, 3) > base  # more advertising
    assert boxoffice_revenue(100.0, 30.0, 9.0, 3) > base  # bigger stars
    assert boxoffice_revenue(100.0, 30.0, 5.0, 7) > base  # summer release


def test_budget_only_noise_free_is_monotonic_in_budget():
    ds = load_dataset("boxoffice_budget", noise=0.0, seed=0)
    budget = np.concatenate([ds.X_train, ds.X_test])[:, 0]
    y = np.concatenate([ds.Y_train, ds.Y_test])[:, 0]
    order = np.argsort(budget)
    assert np.all(np.diff(y[order]) > 0)


def test_linear_least_squares_reaches_r2_on_budget_only_test_data():
    for noise in (0.0, 0.1):
        for seed in (0, 1, 2):
            ds = load_dataset("boxoffice_budget", noise=noise, seed=seed)
            A = np.column_stack([ds.X_train, np.ones(ds.n_train)])
            coef, *_ = np.linalg.lstsq(A, ds.Y_train[:, 0], rcond=None)
            pred = np.column_stack([ds.X_test, np.ones(ds.n_test)]) @ coef
            assert _r2(ds.Y_test[:, 0], pred) >= 0.95, (noise, seed)


def test_four_features_beat_budget_alone_but_are_not_linear():
    ds = load_dataset("boxoffice", noise=0.0, seed=0)

    def fit(cols):
        A = np.column_stack([ds.X_train[:, cols], np.ones(ds.n_train)])
        coef, *_ = np.linalg.lstsq(A, ds.Y_train[:, 0], rcond=None)
        B = np.column_stack([ds.X_test[:, cols], np.ones(ds.n_test)])
        return _r2(ds.Y_test[:, 0], B @ coef)

    assert fit([0]) < fit([0, 1, 2, 3]) < 0.97


def test_shapes_names_and_train_standardisation():
    ds = load_dataset("boxoffice", noise=0.2, train_ratio=0.8, seed=3, n_samples=400)
    assert ds.X_train.shape == (320, 4) and ds.X_test.shape == (80, 4)
    assert ds.Y_train.shape == (320, 1) and ds.y_train is None
    assert ds.task == "regression" and ds.loss == "mse" and ds.class_names == []
    assert ds.feature_names[0] == "production budget ($M)" and "$" in ds.target_name
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1, atol=1e-12)
    assert np.all(ds.X_test.mean(axis=0) != 0)
    raw = ds.X_train * ds.feature_std + ds.feature_mean
    assert 5 <= raw[:, 0].min() and raw[:, 0].max() <= 200
    assert set(np.round(raw[:, 3], 9)) <= set(range(1, 13))
    # the target (in $100M) is the formula applied to the raw inputs, times luck
    clean = boxoffice_revenue(*raw.T) / 100
    ratio = ds.Y_train[:, 0] / clean
    assert np.all(ratio > 0) and 0.1 < np.log(ratio).std() < 0.3


def test_noise_free_target_is_the_formula():
    ds = load_dataset("boxoffice", seed=6)
    raw = ds.X_test * ds.feature_std + ds.feature_mean
    np.testing.assert_allclose(ds.Y_test[:, 0], boxoffice_revenue(*raw.T) / 100, rtol=1e-9)


def test_deterministic():
    a = load_dataset("boxoffice", noise=0.3, seed=11)
    b = load_dataset("boxoffice", noise=0.3, seed=11)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.Y_test, b.Y_test)
