"""Leave-one-out RidgeCV on CSR X (issue 21): scikit-learn's answer, X never densified."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import RidgeCV as SkRidgeCV

from conftest import assert_coef_close
from ridgejit import RidgeCV
from ridgejit.cv import leave_one_out

ALPHAS = np.logspace(-2, 3, 9)


def _sparse(n, p, k=1, seed=0, density=0.1):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=seed, dtype=np.float64)
    X.data = 1.0 + rng.standard_exponential(X.nnz)
    W = rng.standard_normal((p, k))
    Y = X @ W + 0.5 * rng.standard_normal((n, k)) + 2.0
    return X, (Y[:, 0] if k == 1 else Y), rng.uniform(0.2, 2.0, n)


@pytest.mark.parametrize("shape", [(400, 30), (40, 120)], ids=["primal", "dual"])
@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_leave_one_out_is_sklearns(shape, k, weighted):
    X, y, sw = _sparse(*shape, k=k)
    sw = sw if weighted else None
    ours = RidgeCV(alphas=ALPHAS, store_cv_results=True).fit(X, y, sample_weight=sw)
    theirs = SkRidgeCV(alphas=ALPHAS, store_cv_results=True).fit(X, y, sample_weight=sw)
    assert ours.alpha_ == theirs.alpha_
    assert ours.best_score_ == pytest.approx(theirs.best_score_, rel=1e-8)
    assert_coef_close(ours.coef_, theirs.coef_, rtol=1e-8)
    np.testing.assert_allclose(ours.cv_results_, theirs.cv_results_, rtol=1e-6, atol=1e-10)
    assert ours.gcv_mode_ == ("cov" if shape[0] > shape[1] else "gram")


def test_sparse_leave_one_out_never_densifies(monkeypatch):
    X, y, _ = _sparse(300, 20)
    dense = RidgeCV(alphas=ALPHAS).fit(X.toarray(), y)

    def refuse(*a, **kw):
        raise AssertionError("X was densified")

    monkeypatch.setattr(sp.csr_matrix, "toarray", refuse)
    monkeypatch.setattr(sp.csr_matrix, "todense", refuse)
    ours = RidgeCV(alphas=ALPHAS).fit(X, y)
    assert ours.alpha_ == dense.alpha_
    assert_coef_close(ours.coef_, dense.coef_, rtol=1e-10)


def test_sparse_leave_one_out_over_budget_says_which_budget(monkeypatch):
    X, y, _ = _sparse(300, 40)
    monkeypatch.setattr(leave_one_out, "LOO_MEMORY_BUDGET", 3 * 8 * 39 * 39)
    with pytest.raises(ValueError, match=r"dense 40 x 40 matrix.*LOO_MEMORY_BUDGET.*cv=5"):
        RidgeCV(alphas=ALPHAS).fit(X, y)
    RidgeCV(alphas=ALPHAS, cv=5).fit(X, y)  # the option the message names works
