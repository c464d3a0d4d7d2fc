"""
Smooth coefficient profiles: a Tikhonov penalty matrix
======================================================

When the features are ordered (a spectrum, a lag structure), a second-difference penalty
``alpha w^T L^T L w`` (``L = np.diff(np.eye(p), 2, axis=0)``) asks for a smooth profile of
coefficients instead of small ones: ``Ridge(penalty_matrix=L.T @ L)``.  Constant and linear
profiles are its null space, left unpenalized exactly.  Plain ridge on the same data shrinks
every coefficient toward zero instead.
"""

import matplotlib.pyplot as plt
import numpy as np

import ridgejit

rng = np.random.default_rng(0)
n, p = 300, 60
X = rng.standard_normal((n, p)) @ (np.eye(p) + 0.5 * np.eye(p, k=1))
truth = np.sin(np.linspace(0, 3 * np.pi, p))
y = X @ truth + 3.0 * rng.standard_normal(n)
L = np.diff(np.eye(p), 2, axis=0)
smooth = ridgejit.RidgeCV(alphas=np.logspace(-1, 4, 30), penalty_matrix=L.T @ L).fit(X, y)
plain = ridgejit.RidgeCV(alphas=np.logspace(-1, 4, 30)).fit(X, y)
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.plot(truth, "k--", label="true coefficients")
ax.plot(plain.coef_, label=f"plain ridge (alpha = {plain.alpha_:.3g})")
ax.plot(smooth.coef_, label=f"second-difference penalty (alpha = {smooth.alpha_:.3g})")
ax.set_xlabel("feature index")
ax.set_ylabel("coefficient")
ax.legend()
fig.tight_layout()
