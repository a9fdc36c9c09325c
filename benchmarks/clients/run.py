"""Run the tools that call mne-icalabel, with this package and with 0.10.0.

For a maintainer before a release, and for the clients CI does not install::

    python benchmarks/clients/run.py --client pylossless
    python benchmarks/clients/run.py --all
    python benchmarks/clients/run.py --page-only   # regenerate the page only

Each client with a check (``tests/clients/_registry.py``) must be installed in
this interpreter at the version the registry names (``--install`` runs ``pip
install NAME==VERSION``, from the package index pip is configured for);
mne-icalabel 0.10.0 is installed beside it (``tests/clients/_harness.py``).
The records go into ``benchmarks/clients/results.json`` (one per client,
replaced when rerun) and ``docs/compatibility.rst`` is regenerated from them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.clients import _checks  # noqa: E402
from tests.clients._harness import PROBA_ATOL  # noqa: E402
from tests.clients._page import PAGE, RESULTS, render  # noqa: E402
from tests.clients._registry import CLIENTS, client  # noqa: E402


def _environment() -> str:
    names = ("mne", "numpy", "scipy", "torch", "onnxruntime")
    versions = []
    for name in names:
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return f"Python {platform.python_version()}, " + ", ".join(versions)


def _ensure_installed(entry, install: bool) -> None:
    try:
        found = version(entry.name)
    except PackageNotFoundError:
        found = None
    if found == entry.version:
        return
    if not install:
        raise SystemExit(
            f"{entry.name} {entry.version} is not installed here (found {found}): "
            f"pip install {entry.name}=={entry.version}, or pass --install"
        )
    subprocess.run(
        [sys.executable, "-m", "pip", "install", f"{entry.name}=={entry.version}"],
        check=True,
        cwd=tempfile.gettempdir(),
    )


def _record(entry, install: bool) -> dict:
    record = dict(
        client=entry.name,
        version=entry.version,
        in_ci=entry.in_ci,
        calls=[asdict(call) for call in entry.calls],
        how=entry.how,
        reason=entry.reason,
    )
    if entry.check is None:
        return dict(record, status="not run")
    _ensure_installed(entry, install)
    check = getattr(_checks, entry.check)
    with tempfile.TemporaryDirectory() as tmp:
        if entry.check == "check_label_step":
            result = check(entry.name, Path(tmp))
        else:
            result = check(Path(tmp))
    comparison = result["comparison"]
    record.update(
        status="passed" if comparison["passed"] else "failed",
        date=datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
        comparison=comparison,
        bound=PROBA_ATOL,
        environment=_environment(),
    )
    if "pipeline" in result:
        ours, theirs = result["pipeline"]["ours"], result["pipeline"]["upstream"]
        record["excluded"] = {name: ours[name]["excluded"] for name in ours}
        record["excluded_0.10.0"] = {name: theirs[name]["excluded"] for name in theirs}
        same = record["excluded"] == record["excluded_0.10.0"]
        tables = all(len(out["table"]) for out in ours.values())
        comparison["same_excluded"] = comparison["same_excluded"] and same
        comparison["report_table"] = tables
        if not (same and tables):
            record["status"] = "failed"
        record["seconds"] = result["seconds"]
    return record


def _write_atomic(fname: Path, text: str) -> None:
    tmp = fname.with_name(f".tmp-{os.getpid()}-{fname.name}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, fname)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", action="append", default=[], help="repeatable")
    parser.add_argument("--all", action="store_true", help="every client")
    parser.add_argument("--install", action="store_true", help="pip install it")
    parser.add_argument("--page-only", action="store_true")
    args = parser.parse_args(argv)
    results = {}
    if RESULTS.exists():
        results = json.loads(RESULTS.read_text(encoding="utf-8"))
    records = {r["client"]: r for r in results.get("clients", [])}
    names = [c.name for c in CLIENTS] if args.all else args.client
    if not names and not args.page_only:
        parser.error("name a --client, or pass --all or --page-only")
    failed = []
    for name in names:
        entry = client(name)
        print(f"{name} {entry.version} ...", flush=True)
        records[name] = _record(entry, args.install)
        print(f"  {records[name]['status']}", flush=True)
        if records[name]["status"] == "failed":
            failed.append(name)
    # the registry's order, so the page does not depend on the order of runs
    ordered = [records[c.name] for c in CLIENTS if c.name in records]
    results = dict(clients=ordered)
    _write_atomic(RESULTS, json.dumps(results, indent=1) + "\n")
    _write_atomic(PAGE, render(results))
    print(f"Wrote {RESULTS.relative_to(ROOT)} and {PAGE.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
