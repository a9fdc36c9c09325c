"""The CI documentation step (docs/build_docs.py) fails when it should.

Each test builds a scratch copy of docs/ and examples/ with one example (or
page) added that breaks one rule, running only that example
(``--pattern``): an example that raises, a reference to an object of this
package that does not exist (nitpicky, warnings as errors), and a notebook
cell that raises in a Jupyter kernel although the example runs as a script.
The last also checks a passing example end to end: its figure on its page,
its notebook run by a kernel with the figure among the outputs.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_IGNORE = shutil.ignore_patterns(
    "_build", "generated", "auto_examples", "sg_execution_times.rst", "__pycache__"
)

pytestmark = pytest.mark.slow

_HEADER = '''"""
{title}
{line}

{text}
"""

# %%
'''


def _example(title: str, code: str, text: str = "A scratch example.") -> str:
    return _HEADER.format(title=title, line="=" * len(title), text=text) + code


def _scratch(tmp_path: Path, examples: dict[str, str]) -> Path:
    """Copy docs/ and examples/ into tmp_path and add ``examples``."""
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    for folder in ("docs", "examples"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=_IGNORE)
    for name, text in examples.items():
        (tmp_path / "examples" / name).write_text(text, encoding="utf-8")
    return tmp_path


def _run_ci_step(root: Path, pattern: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MNE_ICALABEL_DOC_OFFLINE="1")
    return subprocess.run(
        [
            sys.executable,
            str(root / "docs" / "build_docs.py"),
            "--out",
            str(root / "out"),
            "--pattern",
            pattern,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )


def test_example_that_raises_fails(tmp_path):
    root = _scratch(
        tmp_path,
        {"99_raises.py": _example("Raises", "x = 1\nprint(x / 0)\n")},
    )
    result = _run_ci_step(root, "99_raises")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "ZeroDivisionError" in output and "99_raises.py" in output
    assert "The documentation build failed" in output
    assert "notebook 99_raises" not in output  # stopped at the build


def test_warning_fails(tmp_path):
    root = _scratch(
        tmp_path,
        {
            "98_bad_reference.py": _example(
                "Bad reference",
                "print('runs')\n",
                text="See :func:`mne_icalabel.no_such_function` and "
                ":func:`mne.no_such_function`.",
            )
        },
    )
    result = _run_ci_step(root, "98_bad_reference")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    # nitpicky for this package's objects; another project's are not checked
    # offline (they are rendered as text without its inventory)
    assert "reference target not found: mne_icalabel.no_such_function" in output
    assert "mne.no_such_function" not in output
    assert "warnings treated as errors" in output


def test_notebook_cell_error_fails(tmp_path):
    root = _scratch(
        tmp_path,
        {
            "96_passes.py": _example(
                "Passes",
                "import matplotlib.pyplot as plt\n\n"
                "fig, ax = plt.subplots()\nax.plot([0, 1, 4])\n"
                "print('answer', 6 * 7)\n",
            ),
            # a script run by Sphinx-Gallery passes; the same cell in a kernel
            # raises
            "97_kernel_only.py": _example(
                "Fails in a notebook",
                "import sys\n\n"
                "if 'ipykernel' in sys.modules:\n"
                "    raise RuntimeError('this cell fails in a Jupyter kernel')\n"
                "print('ran as a script')\n",
            ),
        },
    )
    result = _run_ci_step(root, "9[67]_")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Built the documentation with 2 examples" in output
    assert "notebook 96_passes.ipynb: ran without error" in output
    assert "notebook 97_kernel_only.ipynb: FAILED" in output
    assert "this cell fails in a Jupyter kernel" in output
    assert "1 notebook(s) failed" in output

    # the passing example: its figure and output on its page, its notebook run
    html = root / "out" / "html"
    page = (html / "auto_examples" / "96_passes.html").read_text(encoding="utf-8")
    assert "sphx_glr_96_passes_001.png" in page and "answer 42" in page
    assert (html / "_images" / "sphx_glr_96_passes_001.png").is_file()
    import nbformat

    notebook = nbformat.read(root / "out" / "notebooks" / "96_passes.ipynb", 4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert any("answer 42" in o.get("text", "") for o in outputs)
    assert any("image/png" in o.get("data", {}) for o in outputs)
    failed = nbformat.read(root / "out" / "notebooks" / "97_kernel_only.ipynb", 4)
    errors = [
        o
        for c in failed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert [e.ename for e in errors] == ["RuntimeError"]
