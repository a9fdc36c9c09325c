"""Importing the package is cheap and pulls in no heavy optional dependency."""

import json
import subprocess
import sys

_HEAVY = [
    "torch",
    "onnxruntime",
    "onnx",
    "PyQt6",
    "qtpy",
    "pandas",
    "mne_bids",
    "matplotlib.pyplot",
    "mne.preprocessing",
    "mne.simulation",
    "dask",
    "joblib",
    "packaging.requirements",
]


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout


def test_import_has_no_heavy_modules():
    code = (
        "import sys, json; import mne_icalabel; "
        f"print(json.dumps([m for m in {_HEAVY!r} if m in sys.modules]))"
    )
    assert json.loads(_run(code)) == []


def test_import_is_fast():
    # time the package alone, on top of numpy and mne which any user has loaded
    code = (
        "import time, numpy, mne; t0 = time.perf_counter(); import mne_icalabel; "
        "print(time.perf_counter() - t0)"
    )
    best = min(float(_run(code)) for _ in range(3))
    assert best < 0.5, f"import mne_icalabel took {best:.2f} s"


def test_public_names():
    # a valid PEP 440 version, the API of 0.10.0, and not the index's release
    from packaging.version import Version

    import mne_icalabel

    version = Version(mne_icalabel.__version__)
    assert version.release == (0, 10, 0)
    assert version.local  # e.g. 0.10.0+dropin: never on a package index
    assert version != Version("0.10.0")
    for name in (
        "label_components",
        "sys_info",
        "annotation",
        "config",
        "datasets",
        "features",
        "gui",
        "iclabel",
        "utils",
    ):
        assert hasattr(mne_icalabel, name), name
    from mne_icalabel.config import (
        ICA_LABELS_TO_MNE,
        ICALABEL_METHODS,
        ICALABEL_METHODS_NUMERICAL_TO_STRING,
    )
    from mne_icalabel.iclabel._config import ICLABEL_STRING_TO_NUMERICAL
    from mne_icalabel.megnet._config import MEGNET_NUMERICAL_TO_STRING

    assert list(ICALABEL_METHODS) == ["iclabel", "megnet", "manual"]
    assert ICALABEL_METHODS["manual"] is None
    assert list(ICA_LABELS_TO_MNE.values()) == [
        "brain",
        "muscle",
        "eog",
        "ecg",
        "line_noise",
        "ch_noise",
        "other",
    ]
    assert ICLABEL_STRING_TO_NUMERICAL["eye blink"] == 2
    assert MEGNET_NUMERICAL_TO_STRING == {
        0: "brain/other",
        1: "eye blink",
        2: "heart beat",
        3: "eye movement",
    }
    assert ICALABEL_METHODS_NUMERICAL_TO_STRING["megnet"] is MEGNET_NUMERICAL_TO_STRING


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (module level or in functions).

    Only the imports written in the code count, not the parent packages that
    Python runs on the way; ``from . import name`` points to the submodule
    ``name`` where there is one.
    """
    import ast
    from pathlib import Path

    import mne_icalabel

    root = Path(mne_icalabel.__file__).parent
    modules = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)

    def owner(name):  # the module a dotted name lives in
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[
                        : len(package.split(".")) - node.level + 1
                    ]
                    base = ".".join(parent + ([node.module] if node.module else []))
                targets.update(f"{base}.{alias.name}" for alias in node.names)
        graph[name] = {owner(t) for t in targets if owner(t)} - {name}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the directed graph as a list of nodes, or None."""
    state = dict.fromkeys(graph, 0)  # 0 new, 1 on the current path, 2 done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for child in sorted(graph[node]):
            if state[child] == 1:
                return path[path.index(child) :] + [child]
            if state[child] == 0 and (cycle := visit(child)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if state[node] == 0 and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_detects_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [
        "a",
        "b",
        "c",
        "a",
    ]
    assert _find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_import_graph_has_no_cycle():
    graph = _import_graph()
    # the graph sees the package's own imports (inside functions too)
    assert (
        "mne_icalabel.iclabel._config" in graph["mne_icalabel.iclabel.label_components"]
    )
    # label_components asks the registry of methods (it asked config before)
    assert "mne_icalabel.methods" in graph["mne_icalabel.label_components"]
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)
