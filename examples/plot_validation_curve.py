"""
Choosing alpha: RidgeCV's validation curve
==========================================

Leave-one-out (``cv=None``: every alpha from two passes over X) and 5-fold cross-validation
(every alpha and fold from one pass) on scikit-learn's diabetes data, drawn by
:func:`ridgejit.plot.plot_validation_curve`: the mean score against alpha, a band of +-1
standard deviation over the folds, and the chosen alpha.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import KFold

import ridgejit
from ridgejit.plot import plot_validation_curve

X, y = load_diabetes(return_X_y=True)
alphas = np.logspace(-4, 2, 25)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
loo = ridgejit.RidgeCV(alphas=alphas).fit(X, y)
plot_validation_curve(loo, ax=axes[0])
kfold = ridgejit.RidgeCV(alphas=alphas, cv=KFold(5, shuffle=True, random_state=0)).fit(X, y)
plot_validation_curve(kfold, ax=axes[1], title="RidgeCV validation curve (5-fold)")
fig.tight_layout()
print(f"leave-one-out alpha_ = {loo.alpha_:.4g}, 5-fold alpha_ = {kfold.alpha_:.4g}")
