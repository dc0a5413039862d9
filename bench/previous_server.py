"""The previous local endpoint — Python's ``http.server``, removed when the native server replaced it —
loaded from git history (commit 175b143, ``python/oauthbearer/server.py``) so ``make bench`` can
measure the two side by side. ``load()`` returns it as a module."""

import subprocess
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMIT = "175b143"


def load() -> types.ModuleType:
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{COMMIT}:python/oauthbearer/server.py"],
                            capture_output=True, text=True, check=True).stdout
    # Its relative imports, made absolute: the rest of the package is today's.
    source = (source.replace("from . import _native", "from oauthbearer import _native")
              .replace("from ._native import", "from oauthbearer._native import")
              .replace("from .providers import", "from oauthbearer.providers import"))
    module = types.ModuleType("previous_server")
    exec(compile(source, f"{COMMIT}:python/oauthbearer/server.py", "exec"), module.__dict__)  # noqa: S102
    return module
