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
