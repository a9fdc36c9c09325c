"""Build the documentation as CI does, and run every notebook it makes.

    python docs/build_docs.py [--out docs/_build] [--pattern REGEX]

1. ``sphinx-build -b html -W --keep-going``: every example of ``examples/`` is
   run by Sphinx-Gallery (``run_stale_examples``: also those run by an earlier
   build), a warning is an error (``nitpicky`` is on in ``conf.py`` for this
   package's own objects), and an example that raises fails the build.
2. Each Jupyter notebook the gallery offers for download
   (``<out>/html/_downloads/*/*.ipynb``, one per example) is run cell by cell
   by a real IPython kernel (nbclient + ipykernel) in an empty folder; a cell
   that raises fails the step. The run notebooks are saved in
   ``<out>/notebooks``, with their outputs.

The exit code is 0 only if both steps pass. ``--pattern`` runs only the
examples whose path matches the regular expression (Sphinx-Gallery's
``filename_pattern``; the others are rendered without their output) and only
their notebooks.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"
#: the longest a notebook cell may run (s); the slowest example takes ~30 s
CELL_TIMEOUT = 600


def build_html(out: Path, pattern: str | None) -> int:
    """Run sphinx-build with warnings as errors; return its exit code."""
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-W",
        "--keep-going",
        "-d",
        str(out / "doctrees"),
        "-D",
        "sphinx_gallery_conf.run_stale_examples=1",
    ]
    if pattern is not None:
        cmd += ["-D", f"sphinx_gallery_conf.filename_pattern={pattern}"]
    cmd += [str(HERE), str(out / "html")]
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=False).returncode


def expected_notebooks(pattern: str | None) -> list[str]:
    """Names of the notebooks the gallery must offer, one per example."""
    names = []
    for path in sorted(EXAMPLES.glob("*.py")):
        # Sphinx-Gallery matches filename_pattern against the example's path
        if pattern is None or re.search(pattern, str(path)):
            names.append(path.with_suffix(".ipynb").name)
    return names


def find_notebooks(html: Path) -> dict[str, Path]:
    """The downloadable notebooks of the built site, by file name."""
    return {path.name: path for path in sorted(html.glob("_downloads/*/*.ipynb"))}


def _kernel_env() -> dict[str, str]:
    """The environment of the kernel: this one, with Jupyter's inline figures."""
    env = dict(os.environ)
    # MPLBACKEND=Agg (set for the tests) would keep the figures out of the
    # notebook; the kernel's default is the inline backend, as in Jupyter
    env.pop("MPLBACKEND", None)
    return env


def run_notebook(path: Path, dest: Path) -> str | None:
    """Run a notebook in a new kernel; return the error, None if it ran.

    The notebook with its outputs is written to ``dest``.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="notebook-") as cwd:
        client = NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            resources={"metadata": {"path": cwd}},
        )
        try:
            client.execute(env=_kernel_env())
        except CellExecutionError as error:
            message = str(error)
        else:
            message = None
        finally:
            nbformat.write(notebook, dest)
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    if message is None and errors:  # cannot happen with allow_errors=False
        message = f"{errors[0]['ename']}: {errors[0]['evalue']}"
    return message


def run_notebooks(out: Path, pattern: str | None) -> int:
    """Run the gallery's notebooks; return the number of failures."""
    html = out / "html"
    found = find_notebooks(html)
    expected = expected_notebooks(pattern)
    missing = [name for name in expected if name not in found]
    if missing:
        print(f"No notebook in {html / '_downloads'} for {missing}.", flush=True)
    dest = out / "notebooks"
    dest.mkdir(parents=True, exist_ok=True)
    failures = len(missing)
    for name in expected:
        if name not in found:
            continue
        start = time.monotonic()
        error = run_notebook(found[name], dest / name)
        seconds = time.monotonic() - start
        if error is None:
            print(f"notebook {name}: ran without error ({seconds:.1f} s)", flush=True)
        else:
            failures += 1
            print(f"notebook {name}: FAILED ({seconds:.1f} s)\n{error}", flush=True)
    return failures


def main(argv: list[str] | None = None) -> int:
    """Build the site and run its notebooks; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "_build")
    parser.add_argument("--pattern", default=None)
    args = parser.parse_args(argv)
    out = args.out.resolve()

    start = time.monotonic()
    code = build_html(out, args.pattern)
    built = time.monotonic() - start
    n_examples = len(expected_notebooks(args.pattern))
    if code != 0:
        print(f"The documentation build failed (exit code {code}).", flush=True)
        return 1
    print(f"Built the documentation with {n_examples} examples in {built:.0f} s.")
    failures = run_notebooks(out, args.pattern)
    total = time.monotonic() - start
    if failures:
        print(f"{failures} notebook(s) failed ({total:.0f} s in all).", flush=True)
        return 1
    print(f"Ran {n_examples} notebooks without error ({total:.0f} s in all).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
