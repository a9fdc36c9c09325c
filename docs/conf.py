"""Sphinx configuration of the mne-icalabel documentation."""

from __future__ import annotations

import builtins
import os
import re
import socket
import sys
from pathlib import Path

from docutils import nodes

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "sphinxext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import mne_icalabel  # noqa: E402
from mne_icalabel.commands.main import SUBCOMMANDS, build_parser  # noqa: E402

project = "mne-icalabel"
author = "mne_icalabel developers"
copyright = "the mne_icalabel developers"  # noqa: A001
release = mne_icalabel.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/cli", "auto_examples/*.ipynb"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "py:obj"

autosummary_generate = True
autodoc_typehints = "none"  # the types are in the numpydoc sections
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Every reference to this package's objects must resolve (-W turns a miss into
# an error). References to other projects resolve through their inventories
# when online (intersphinx below) and are plain text offline, so those alone
# are not checked.
nitpicky = True
_EXTERNAL = (
    {
        "mne",
        "mne_bids",
        "numpy",
        "scipy",
        "pandas",
        "matplotlib",
        "qtpy",
        "joblib",
        "distributed",
        "dask",
    }
    | set(sys.stdlib_module_names)
    | set(dir(builtins))
)
_ROOTS = "|".join(re.escape(name) for name in sorted(_EXTERNAL))
nitpick_ignore_regex = [(r"py:.*", rf"({_ROOTS})(\..*)?")]

# The gallery: every example of examples/ is run by the build (its figures,
# its printed output and the Qt windows it leaves open become part of the
# page), and each gets a .py and an .ipynb download. Backreferences list, on
# each API page, the examples that use the object.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/\d\d_",  # run them all
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("mne_icalabel",),
    "exclude_implicit_doc": {r"mne_icalabel\..*\._.*"},  # private names
    "image_scrapers": ("matplotlib", "qt_scraper.qt_window_scraper"),
    "reset_modules": ("matplotlib", "qt_scraper.hide_qt_windows"),
    "remove_config_comments": True,
    "min_reported_time": 1.0,
    # the HTML of the last expression of a block (tables, the ICA summary);
    # plain reprs (a Figure, a Path) would only add noise
    "capture_repr": ("_repr_html_",),
}

html_theme = "pydata_sphinx_theme"
html_title = f"mne-icalabel {release}"
html_theme_options = {
    "github_url": "https://github.com/mne-tools/mne-icalabel",
    "navigation_with_keys": False,
}
html_static_path = []


def _online(host: str = "docs.python.org") -> bool:
    """Tell whether the inventories of other projects can be downloaded."""
    if os.environ.get("MNE_ICALABEL_DOC_OFFLINE"):
        return False
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError:
        return False
    return True


# Cross-references to other projects need their inventories, which are
# downloaded. Offline (e.g. on a cluster), they are rendered as plain text.
_INVENTORIES = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "matplotlib": ("https://matplotlib.org/stable", None),
    "mne": ("https://mne.tools/stable", None),
    "mne_bids": ("https://mne.tools/mne-bids/stable", None),
    "pandas": ("https://pandas.pydata.org/docs", None),
    "joblib": ("https://joblib.readthedocs.io/en/stable", None),
    "distributed": ("https://distributed.dask.org/en/stable", None),
}
intersphinx_mapping = _INVENTORIES if _online() else {}


def _offline_reference(app, env, node, contnode):
    """Render a reference to another project as text when offline."""
    if intersphinx_mapping:
        return None
    target = node.get("reftarget", "")
    prefix = target.split(":", 1)[0]
    if ":" in target and prefix in _INVENTORIES:
        return nodes.inline("", contnode.astext())
    return None


def _write_cli_help(app):
    """Write the ``--help`` text of every command, included by cli.rst."""
    folder = HERE / "generated" / "cli"
    folder.mkdir(parents=True, exist_ok=True)
    parser = build_parser()
    (folder / "main.txt").write_text(parser.format_help(), encoding="utf-8")
    actions = [a for a in parser._actions if a.dest == "command"]
    for name in SUBCOMMANDS:
        text = actions[0].choices[name].format_help()
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")


def setup(app):
    """Connect the documentation hooks."""
    app.connect("builder-inited", _write_cli_help)
    app.connect("missing-reference", _offline_reference)
