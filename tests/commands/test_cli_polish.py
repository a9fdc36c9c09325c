"""What a new user meets around the commands (issue 29, "also met on the way")."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import mne
import numpy as np
import pytest

from mne_icalabel.commands import sys_info
from mne_icalabel.commands.main import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


# 'pip install', maybe options and other requirements (a word that ends a sentence
# or a clause ends the command), then this package's name: that installs the
# index's mne-icalabel (the 0.10.0 release), not this checkout
_INDEX_INSTALL = re.compile(
    r"pip install(?: +[\"'`]?[-\w.=<>\[\],]*[-\w=<>\[\]][\"'`]?){0,4}?"
    r" +[\"'`]?mne[-_.]icalabel\b",
    re.IGNORECASE,
)
# folders of docs/ that the build writes (copies of the examples among them)
_BUILT = {"_build", "generated", "auto_examples"}


def _joined(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, one space."""
    return " ".join(text.split())


def _string_literals(path: Path) -> list[str]:
    """The string literals of a module, an f-string's fields as ``{}``."""
    texts = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            texts.append(
                "".join(
                    part.value if isinstance(part, ast.Constant) else "{}"
                    for part in node.values
                )
            )
    return texts


def _optional_imports() -> set[str]:
    """The modules the package imports through ``import_optional_dependency``."""
    names = set()
    for path in (ROOT / "mne_icalabel").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "import_optional_dependency"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names.add(node.args[0].value)
    return names


def test_install_lines_install_this_package(monkeypatch):
    """Install lines and hints install this checkout (or a package), not the index's.

    README.md, every page of docs/, every example and the package's strings and
    missing-dependency messages, each with its line breaks joined (a line wrapped
    inside ``pip install mne-icalabel[gui]`` is one command).
    """
    pages = [ROOT / "README.md", ROOT / "docs" / "index.rst"]
    pages += [
        path
        for path in sorted((ROOT / "docs").rglob("*.rst"))
        if not _BUILT & set(path.relative_to(ROOT / "docs").parts)
    ]
    pages += sorted((ROOT / "examples").glob("*.py"))
    assert ROOT / "docs" / "review_web.rst" in pages
    assert ROOT / "examples" / "10_gui_label_components.py" in pages
    texts = {page: _joined(page.read_text(encoding="utf-8")) for page in pages}
    for path in sorted((ROOT / "mne_icalabel").rglob("*.py")):
        for k, literal in enumerate(_string_literals(path)):
            texts[f"{path.relative_to(ROOT)}, string {k}"] = _joined(literal)

    # the messages import_optional_dependency builds at run time
    from mne_icalabel.utils._imports import _INSTALL_HINTS, import_optional_dependency

    names = _optional_imports() | set(_INSTALL_HINTS)
    assert {"qtpy", "anywidget", "torch"} <= names
    for name in sorted(names):
        monkeypatch.setitem(sys.modules, name, None)  # its import raises
        with pytest.raises(ImportError) as info:
            import_optional_dependency(name)
        message = str(info.value)
        assert "pip install " in message, message
        extra = _INSTALL_HINTS.get(name, ("", ""))[1]
        if extra:
            assert f"pip install -e '.[{extra}]'" in message, message
        texts[f"the message for a missing {name}"] = _joined(message)

    for where, text in texts.items():
        match = _INDEX_INSTALL.search(text)
        assert match is None, f"{where}: {match.group()}"
    for page in (ROOT / "README.md", ROOT / "docs" / "index.rst"):
        assert 'pip install -e ".[' in texts[page], page


def _help(command: str) -> str:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return " ".join(action.choices[command].format_help().split())


def test_bids_help_backend_order():
    """The default backend order in 'bids --help' is the code's."""
    from mne_icalabel.iclabel.network._backends import BACKENDS
    from mne_icalabel.megnet.network import BACKENDS as MEGNET_BACKENDS

    text = _help("bids")
    assert f"the first installed of {', '.join(BACKENDS.names)} for iclabel" in text
    assert f"{', '.join(MEGNET_BACKENDS.names)} for megnet" in text


def test_apply_preflight_line():
    """A run without a network says so, not an empty 'Pre-flight: '."""
    from mne_icalabel.batch._dispatch import preflight_client

    with mne.utils.catch_logging(verbose="INFO") as log:
        preflight_client((), packages=("mne_bids",))
    lines = [ln for ln in log.getvalue().splitlines() if ln.startswith("Pre-flight")]
    assert lines == ["Pre-flight: no network needed; mne_bids importable"]


def test_fit_log_every_sample():
    """'Fitting the ICA on every sample', never '1 sample in 1'."""
    from mne_icalabel.batch.ica import fit_ica

    rng = np.random.default_rng(0)
    info = mne.create_info([f"E{k}" for k in range(6)], 100.0, "eeg")
    raw = mne.io.RawArray(rng.standard_normal((6, 12_000)) * 1e-5, info, verbose=0)
    raw.filter(1.0, None, verbose=False)  # MNE asks for a high-pass before an ICA
    with mne.utils.catch_logging(verbose="INFO") as log:
        fit_ica(raw, "iclabel", 3, decim=None)
    text = log.getvalue()
    assert "Fitting the ICA on every sample (12000 of 12000 samples" in text
    assert "1 sample in 1 " not in text
    with mne.utils.catch_logging(verbose="INFO") as log:
        fit_ica(raw, "iclabel", 3, decim=2)
    assert "Fitting the ICA on 1 sample in 2 (6000 of 12000" in log.getvalue()


def test_too_short_for_its_ica_warns_at_default_level():
    """20 components on 301 samples: a warning, not only a line at -v."""
    from mne_icalabel.batch.ica import fit_ica

    rng = np.random.default_rng(1)
    info = mne.create_info([f"E{k}" for k in range(24)], 100.0, "eeg")
    raw = mne.io.RawArray(rng.standard_normal((24, 301)) * 1e-5, info, verbose=0)
    with raw.info._unlock():
        raw.info["highpass"] = 1.0  # white noise: no drift to remove
    with (
        pytest.warns(RuntimeWarning, match="fewer than the 8000") as record,
        mne.utils.use_log_level("WARNING"),
    ):
        fit_ica(raw, "iclabel", 20, decim=None, verbose=False)
    message = str(record[0].message)
    # sqrt(301 / 20) = 3.9: at most 3 components, the call that does it named
    assert "Fit at most 3 components (n_components=3)" in message


def test_sys_info_cpu_and_columns(capsys):
    assert sys_info.main(["--extra"]) == 0
    out = capsys.readouterr().out
    cpu = next(ln for ln in out.splitlines() if ln.startswith("CPU:"))
    assert cpu.removeprefix("CPU:").strip()
    # within a group, every version starts in one column after a space
    for block in out.split("\n\n")[1:]:
        lines = [ln for ln in block.splitlines()[1:] if not ln.startswith("✘")]
        starts = set()
        for line in lines:
            match = re.match(r"^(.*?\):|[^:()]+:)( +)(\S.*)$", line)
            assert match, line
            starts.add(len(match.group(1)) + len(match.group(2)))
        assert len(starts) <= 1, block


def test_demo_default_output_is_ignored_by_git():
    """'mne-icalabel demo' run in the checkout writes where git does not look."""
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    demo = action.choices["demo"]
    default = next(a.default for a in demo._actions if a.dest == "out")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "check-ignore", "-q", str(Path(default) / "x_components.tsv")],
        cwd=ROOT,
        capture_output=True,
    )
    assert result.returncode == 0, f"{default} is not ignored by .gitignore"


def test_version_option(capsys):
    from packaging.version import Version

    with pytest.raises(SystemExit):
        main(["--version"])
    version = capsys.readouterr().out.split()[-1]
    assert Version(version).local  # not the package index's 0.10.0


def test_label_help_names_installed_montages():
    """The 10-20 montage names of 'label --help' are the installed MNE's."""
    import warnings

    text = _help("label")
    named = set(re.findall(r"\b([a-z0-9]+_10[0-9]{2})\b", text))
    assert named, text
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a deprecated name warns
        for name in named:
            mne.channels.make_standard_montage(name)


@pytest.mark.parametrize("command", ["bids", "label"])
def test_method_choices_from_the_registry(standin_method, command):
    """A registered method is a --method choice of bids and label."""
    args = build_parser().parse_args([command, "x", "--method", standin_method.name])
    assert args.method == standin_method.name
    assert f"--method {{iclabel,megnet,both,{standin_method.name}}}" in _help(command)
