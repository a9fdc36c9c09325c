import pytest

from mne_icalabel.utils._io import atomic_path, write_text_atomic


def test_write_text_atomic_replaces_and_cleans(tmp_path):
    fname = tmp_path / "sub" / "summary.tsv"
    write_text_atomic(fname, "a\tb\n")
    assert fname.read_text(encoding="utf-8") == "a\tb\n"
    write_text_atomic(fname, "c\n")
    assert fname.read_text(encoding="utf-8") == "c\n"
    assert [p.name for p in fname.parent.iterdir()] == ["summary.tsv"]


def test_atomic_path_failure_keeps_previous_file(tmp_path):
    fname = tmp_path / "sub-01_ica.fif"
    fname.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_path(fname) as tmp:
            assert tmp.parent == tmp_path and tmp.name.endswith("-sub-01_ica.fif")
            tmp.write_bytes(b"half")
            raise RuntimeError("disk full")
    assert fname.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["sub-01_ica.fif"]


def test_remove_orphans_only_of_this_host(tmp_path):
    """A dead writer's temporary goes; another node's, whose writer may live, stays."""
    import subprocess
    import sys

    from mne_icalabel.utils import _io

    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(done.stdout)  # a process that ended
    here = f".tmp-{dead}-h{_io._host_tag()}-a1b2-sub-01_ica.fif"
    other_tag = "0" * 8 if _io._host_tag() != "0" * 8 else "1" * 8
    there = f".tmp-{dead}-h{other_tag}-c3d4-sub-02_ica.fif"
    live = f"{_io.temporary_prefix()}e5f6-sub-03_ica.fif"  # this process
    for name in (here, there, live):
        (tmp_path / name).write_bytes(b"partial")
    assert _io.is_temporary(here) and _io.is_temporary(there)
    assert _io.remove_orphans(tmp_path) == [tmp_path / here]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([there, live])
