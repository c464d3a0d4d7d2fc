"""
The coefficient path over alpha
===============================

:func:`ridgejit.ridge_path` solves every alpha from one eigendecomposition of the Gram
(one pass over X); :func:`ridgejit.plot.plot_coef_path` draws each coefficient against
alpha.  As alpha grows every coefficient shrinks toward zero, the correlated ones together.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes

import ridgejit
from ridgejit.plot import plot_coef_path

data = load_diabetes()
alphas = np.logspace(-4, 3, 60)
coefs, intercepts = ridgejit.ridge_path(data.data, data.target, alphas)
ax = plot_coef_path(alphas, coefs, feature_names=data.feature_names)
ax.set_title("ridge coefficients of the diabetes data against alpha")
plt.tight_layout()
