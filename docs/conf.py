"""Sphinx configuration of ridgejit's documentation (``pip install ".[docs]"``; build with
``sphinx-build -W -b html docs docs/_build/html``)."""

import os

import ridgejit

project = "ridgejit"
author = "the ridgejit developers"
copyright = "2026, the ridgejit developers"
release = ridgejit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
templates_path = ["_templates"]  # classes: the docstring and the members, no summary table
# scikit-learn's generated metadata-request setters and its mixins' score() carry references to
# scikit-learn's own docs (glossary, labels) that do not resolve here: not documented twice
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    "exclude-members": "set_fit_request,set_partial_fit_request,set_predict_request,set_score_request,score",
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()


#: RIDGEJIT_DOCS_RUN_EXAMPLES=0 builds the pages without running the gallery's scripts.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": os.environ.get("RIDGEJIT_DOCS_RUN_EXAMPLES", "1") != "0",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "pydata_sphinx_theme"
html_title = f"ridgejit {release}"
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]
