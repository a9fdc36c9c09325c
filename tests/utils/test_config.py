import io
import subprocess
import sys

import pytest

from mne_icalabel import sys_info


def test_sys_info_lists_core_dependencies():
    out = io.StringIO()
    sys_info(fid=out)
    text = out.getvalue()
    for line in ("Platform:", "Python:", "Executable:", "RAM:", "mne-icalabel:"):
        assert line in text
    assert "0.10.0" in text
    assert "Core dependencies" in text
    assert "numpy" in text and "mne" in text


def test_sys_info_extra_and_developer():
    out = io.StringIO()
    sys_info(fid=out, extra=True, developer=True)
    text = out.getvalue()
    assert "Optional 'torch' dependencies" in text
    assert "Developer 'test' dependencies" in text


@pytest.mark.parametrize("kwargs", [dict(extra=1), dict(developer="yes")])
def test_sys_info_flags_must_be_bool(kwargs):
    with pytest.raises(TypeError, match="must be an instance of bool"):
        sys_info(**kwargs)


def test_sys_info_console_script():
    result = subprocess.run(
        [sys.executable, "-m", "mne_icalabel.commands.sys_info", "--extra"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "mne-icalabel:" in result.stdout
