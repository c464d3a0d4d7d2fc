"""RidgeCV routes groups to its splitter, as GridSearchCV and scikit-learn's RidgeCV do (issue 21)."""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.linear_model import Ridge as SkRidge
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ridgejit import Ridge, RidgeCV, SGDRidge

ALPHAS = np.logspace(-2, 3, 12)


def _data(seed=0, n=300, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    groups = rng.integers(0, 10, n)
    return X, y, groups


def _grid(X, y, groups, estimator=None, key="alpha"):
    return GridSearchCV(estimator or SkRidge(), {key: ALPHAS}, cv=GroupKFold(3)).fit(X, y, groups=groups)


@pytest.mark.parametrize("sparse", [False, True])
def test_groups_reach_the_splitter_without_routing(sparse):
    X, y, groups = _data()
    ours = RidgeCV(alphas=ALPHAS, cv=GroupKFold(3), tol=1e-12).fit(sp.csr_matrix(X) if sparse else X, y,
                                                                   groups=groups)
    grid = _grid(X, y, groups)
    assert ours.alpha_ == grid.best_params_["alpha"]
    np.testing.assert_allclose(ours.mean_scores_, grid.cv_results_["mean_test_score"], rtol=1e-8)
    # without the groups, GroupKFold cannot split: the groups really are used
    with pytest.raises(ValueError, match="groups"):
        RidgeCV(alphas=ALPHAS, cv=GroupKFold(3)).fit(X, y)


def test_other_metadata_need_routing():
    X, y, groups = _data()
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        RidgeCV(cv=GroupKFold(3)).fit(X, y, groups=groups, weights_of_something=groups)


def test_routing_in_a_pipeline_and_in_cross_validate():
    X, y, groups = _data(seed=1)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS, cv=GroupKFold(3))).fit(X, y, groups=groups)
        Z = StandardScaler().fit_transform(X)
        grid = _grid(Z, y, groups)
        assert pipe[-1].alpha_ == grid.best_params_["alpha"]
        np.testing.assert_allclose(pipe[-1].mean_scores_, grid.cv_results_["mean_test_score"], rtol=1e-8)
        # an outer cross_validate routes groups to its own splitter and to RidgeCV's
        outer = cross_validate(RidgeCV(alphas=ALPHAS, cv=GroupKFold(3)), X, y, cv=GroupKFold(2),
                               params={"groups": groups})
        assert np.isfinite(outer["test_score"]).all()
        # Ridge and SGDRidge declare sample_weight as fit metadata
        for est in (Ridge(), SGDRidge()):
            assert est.set_fit_request(sample_weight=True).get_metadata_routing().fit.requests["sample_weight"]
        # Ridge.fit's groups (cov_type="cluster") is not requested unless asked: a splitter's
        # groups must not make a grid search over Ridge raise UnsetMetadataPassedError
        grid = GridSearchCV(Ridge(), {"alpha": ALPHAS}, cv=GroupKFold(3)).fit(X, y, groups=groups)
        assert grid.best_params_["alpha"] == _grid(X, y, groups).best_params_["alpha"]
        clustered = Ridge(cov_type="cluster").set_fit_request(groups=True)
        cross_validate(clustered, X, y, cv=GroupKFold(3), params={"groups": groups})
