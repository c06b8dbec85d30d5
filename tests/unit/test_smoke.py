import subprocess
import sys

from mailtui import __version__


def test_version_flag_prints_version():
    out = subprocess.run(
        [sys.executable, "-m", "mailtui", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert __version__ in out.stdout
