"""How :class:`RidgeCV` routes ``fit``'s metadata to its splitter, and the splits it makes.

:class:`SplitterRouting` is a mixin: ``get_metadata_routing`` as scikit-learn's
``RidgeCV`` builds it, the routing of ``groups`` (always) and of the splitter's
other requests (with ``sklearn.set_config(enable_metadata_routing=True)``), and the
train/test splits of ``cv`` (stratified for a classifier, as ``GridSearchCV`` does).
"""

from sklearn.base import is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, _routing_enabled, process_routing


class SplitterRouting:
    """Metadata routing and splits for :class:`RidgeCV` (see the module docstring)."""

    def get_metadata_routing(self):
        """Where ``fit``'s metadata go: the splitter's ``split`` and the scorer's ``score``.

        As scikit-learn's ``RidgeCV``: with
        ``sklearn.set_config(enable_metadata_routing=True)``, ``fit(X, y, groups=g)``
        reaches ``cv.split`` (a ``GroupKFold`` requests ``groups``) and other
        requested metadata reach the scorer, inside a ``Pipeline`` or
        ``GridSearchCV`` too.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
        """
        router = MetadataRouter(owner=self).add_self_request(self)
        if self.scoring is not None:
            router.add(scorer=check_scoring(self, scoring=self.scoring),
                       method_mapping=MethodMapping().add(caller="fit", callee="score"))
        return router.add(splitter=self.cv, method_mapping=MethodMapping().add(caller="fit", callee="split"))

    def _route(self, sample_weight, params):
        """The splitter's metadata from ``fit``'s (see :meth:`get_metadata_routing`).

        Without metadata routing only ``groups`` is accepted (passed to the
        splitter, as ``GridSearchCV`` does).  Scorer metadata other than
        ``sample_weight`` (which weights the scores whenever it is given) are
        refused with a ``ValueError``: the scores of every fold come from one
        product over all rows, which does not slice them.
        """
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            score = set(routed.scorer.score) - {"sample_weight"} if self.scoring is not None else set()
            if score:
                raise ValueError(f"RidgeCV does not pass {sorted(score)} to its scorer; only "
                                 "sample_weight weights the validation scores")
            return dict(routed.splitter.split)
        extra = sorted(set(params) - {"groups"})
        if extra:
            raise ValueError(f"RidgeCV.fit got {extra}: metadata other than groups are routed only with "
                             "sklearn.set_config(enable_metadata_routing=True)")
        return {"groups": params["groups"]} if params.get("groups") is not None else {}

    def _splits(self, X, y, split_params):
        """The train/test splits of ``cv`` (a classifier's int ``cv`` is stratified, as scikit-learn's)."""
        target = self._label_binarizer.inverse_transform(y.reshape(len(y), -1)) if is_classifier(self) else y
        return list(check_cv(self.cv, target, classifier=is_classifier(self)).split(X, target, **split_params))
