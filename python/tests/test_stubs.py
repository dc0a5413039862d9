"""The hand-written stubs match the built module (mypy.stubtest), and the package type-checks."""

import subprocess
import sys


def test_stubtest_native_module():
    result = subprocess.run([sys.executable, "-m", "mypy.stubtest", "oauthbearer._native", "--ignore-missing-stub"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
