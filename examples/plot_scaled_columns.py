"""
Columns in different units: scale-free SGD steps
================================================

Five of 20 standardized columns are multiplied by 1000 (a price in cents beside one in
euros).  Plain SGD's safe step is set by the largest column, so the others barely move;
``SGDRidge``'s default ``sgd`` steps in implicitly standardized columns (a diagonal
preconditioner from the column moments, X never copied), and converges on the scaled data
exactly as on the unscaled data.  Each line is the relative objective gap
``(J - J*) / J`` after each epoch, with ``J*`` from scikit-learn's ``Ridge``: the three
lower lines coincide (on standardized columns the preconditioner is the identity), and plain
SGD on the scaled columns stays near a gap of 1.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import Ridge

import ridgejit

rng = np.random.default_rng(0)
X = rng.standard_normal((20_000, 20))
y = X @ rng.standard_normal(20) + rng.standard_normal(20_000)
X_scaled = X.copy()
X_scaled[:, :5] *= 1e3
alpha = 1.0


def objective(X, y, coef, intercept):
    r = X @ coef + intercept - y
    return (r @ r + alpha * coef @ coef) / (2 * len(y))


fig, ax = plt.subplots(figsize=(7, 4.5))
for label, Z in (("unscaled", X), ("5 columns x 1e3", X_scaled)):
    ref = Ridge(alpha=alpha).fit(Z, y)
    J_star = objective(Z, y, ref.coef_, ref.intercept_)
    for precondition, style in ((True, "-"), (False, "--")):
        model = ridgejit.SGDRidge(alpha=alpha, max_iter=20, tol=None, random_state=0,
                                  precondition=precondition).fit(Z, y)
        J = np.asarray(model.history_["objective"])
        ax.semilogy(np.arange(1, len(J) + 1), (J - J_star) / J, style,
                    label=f"{label}, precondition={precondition}")
ax.set_xlabel("epoch")
ax.set_ylabel("relative objective gap")
ax.set_title("SGDRidge(solver='sgd'): gap per epoch")
ax.legend()
fig.tight_layout()
