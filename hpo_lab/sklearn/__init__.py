"""scikit-learn search driven by an hpo_lab study: :class:`HPOSearchCV`.

A drop-in for ``RandomizedSearchCV`` (same arguments, ``cv_results_`` and ``best_*``) whose
candidates come from hpo_lab's samplers, with pruning across folds (or ``partial_fit``
iterations) and a background mode for notebooks. Needs scikit-learn (extra ``sklearn``).

Example:
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from hpo_lab.sklearn import HPOSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = HPOSearchCV(DecisionTreeClassifier(random_state=0),
    ...                      {"max_depth": [1, 2, 3, 4]}, n_trials=6, cv=3, random_state=0)
    >>> search.fit(X, y).best_params_["max_depth"] >= 3
    True
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
except ImportError as exc:  # pragma: no cover - the dev extra installs scikit-learn
    raise ImportError(
        f"hpo_lab.sklearn needs scikit-learn ({exc}): pip install 'hpo_lab[sklearn]'"
    ) from exc

from hpo_lab.sklearn._search import HPOSearchCV

__all__ = ["HPOSearchCV"]
