"""Path priors: folders whose files rarely hold what a task must change (docs, examples,
samples, playgrounds, benchmarks, scripts) and copies of other projects bundled inside a package.

Shared by the task ranking (the ``aux`` feature, :mod:`repointel.rank.files`) and the
repository map, which leaves such files out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["is_auxiliary", "python_packages"]

#: Top-level folders of documentation, examples, test data and tooling.
AUX_DIRS = ("doc/", "docs/", "example/", "examples/", "benchmarks/", "bench/", "scripts/", "sample/",
            "samples/", "demo/", "demos/", "playground/", "sandbox/", "fixtures/", "testdata/")
#: The same kinds of folder inside a package (``packages/ui/examples/``, vite's ``playground/``,
#: Go's ``testdata/``, Jest's ``__fixtures__/``).
_AUX_ANYWHERE = re.compile(r"/(?:examples?|samples?|demos?|playground|fixtures|__fixtures__|testdata)/")
#: A JVM source root: the folders after it spell a package name, not what the code is for
#: (spring-petclinic's ``org/springframework/samples/``, Spring Initializr's ``com/example/demo/``).
_JVM_SOURCE_ROOT = re.compile(r"(?:^|/)src/[A-Za-z]+/(?:java|kotlin|scala|groovy)/")
#: Copies of other projects bundled inside a package (requests/packages/urllib3, astropy/extern):
#: the index's vendored rule misses these names, and fixes go upstream, not into the copy.
_BUNDLED = re.compile(r"(^|/)(packages|extern|externals)/")


def python_packages(paths: Iterable[str]) -> set[str]:
    """The folders holding an ``__init__.py`` among ``paths``."""
    return {p.rsplit("/", 1)[0] for p in paths if p.endswith("/__init__.py")}


def _bundled(path: str, py_packages: set[str]) -> bool:
    """A bundled copy: under ``extern/``, or under a ``packages/`` folder inside a Python package.
    A ``packages/`` folder elsewhere is a monorepo's own code (vite's ``packages/vite/src``)."""
    m = _BUNDLED.search(path)
    if m is None:
        return False
    return m.group(2) != "packages" or path[: m.start(2)].rstrip("/") in py_packages


def is_auxiliary(path: str, py_packages: set[str]) -> bool:
    """Docs, examples, samples, demos, playgrounds, test data, benchmarks, scripts or a bundled copy.
    Folders inside a JVM package name don't count (``src/main/java/com/example/demo/App.java`` is
    the project's code; ``samples/app/src/main/java/…`` is a sample)."""
    root = _JVM_SOURCE_ROOT.search(path)
    folders = path[: root.end()] if root else path
    return path.startswith(AUX_DIRS) or bool(_AUX_ANYWHERE.search(folders)) or _bundled(path, py_packages)
