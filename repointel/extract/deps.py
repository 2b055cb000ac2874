"""Resolve raw import records to repository files (or name the external package they belong to).

:class:`ImportResolver` is built once per index run from the list of indexed paths; every lookup
afterwards is a few dict/set probes — no filesystem walks per import. Per-language tables are
built on first use of that language (so a Go-only repository never pays for the Java tables).

Conventions shared by every language:

- ``resolved`` is one repository path. When an import names a whole package spread over many files
  (Go packages, Java wildcard imports, Kotlin and Scala members, Swift modules, C# namespaces), ``resolved`` is the first of those files in
  sort order and :meth:`ImportResolver.resolve_all` returns every one of them; the index stores
  one row per file (so importers, import edges and impact reach each of them).
- ``external`` is set only when ``resolved`` is None and the import names something outside the
  repository: the Python top-level module, the npm package (``@scope/name``), the Go module path,
  the Rust crate, the Java, Kotlin or Scala package, the Swift module, the PHP vendor namespace, the Lua rock, the Elixir top module, the Dart package, the Haskell module, the OCaml top module, the Zig module, the Julia package, the Perl module, the Ruby/C# first segment, the C/C++ include's first segment.
  The standard library counts as external. An import of an internal namespace package that has no
  file of its own (Python ``import ns``) leaves both None.
"""

from __future__ import annotations

import itertools
import json
import posixpath
import re
from collections.abc import Callable, Collection, Iterable
from functools import cached_property

from ..models import ImportRecord

__all__ = ["ImportResolver", "composer_autoload", "package_segments", "parse_jsonc", "shared_prefix",
           "swift_targets"]

ReadText = Callable[[str], "str | None"]
Result = tuple["str | None", "str | None"]  # (resolved, external)

_PY_SUFFIXES = (".py", ".pyi")
#: Extension probing order for extension-less JS/TS specifiers (TypeScript's own order first).
_JS_EXTS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
#: ESM-style TS imports name the emitted file (``./x.js``) while the source is ``./x.ts``.
_JS_EMITTED = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
_JS_LANGS = frozenset({"javascript", "typescript", "tsx"})
_C_SOURCES = (".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx", ".inl", ".ipp")
#: Directory names that commonly sit on a C/C++ include path.
_C_INCLUDE_DIRS = ("include", "src", "inc")
#: Directories whose files are separate Rust crate roots (Cargo's auto-discovered targets).
_RUST_TARGET_DIRS = frozenset({"tests", "examples", "benches", "bin"})
#: Directories that sit on Ruby's load path (lib/ for gems, spec/ and test/ for test helpers).
_RUBY_LOAD_DIRS = frozenset({"lib", "spec", "test"})
_GO_HOSTS_3 = ("github.com/", "gitlab.com/", "bitbucket.org/", "golang.org/x/", "google.golang.org/")


def _parent(path: str) -> str:
    return posixpath.dirname(path)


def _join(base: str, rel: str) -> str | None:
    """``base/rel`` normalised; None when it climbs above the repository root."""
    out = posixpath.normpath(posixpath.join(base, rel)) if base else posixpath.normpath(rel)
    if out == ".":
        return ""
    return None if out.startswith("../") or out == ".." or out.startswith("/") else out


def _ancestors(path: str) -> Iterable[str]:
    """The directories above ``path``, nearest first, ending with the root ``""``."""
    d = _parent(path)
    while d:
        yield d
        d = _parent(d)
    yield ""


def shared_prefix(a: str, b: str) -> int:
    """Number of leading path segments ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a.split("/"), b.split("/")):
        if x != y:
            break
        n += 1
    return n


def _closest(importer: str, candidates: Iterable[str]) -> str | None:
    """The candidate sharing most directories with the importer, then the shallowest, then by name."""
    best = sorted(candidates, key=lambda c: (-shared_prefix(importer, c), c.count("/"), c))
    return best[0] if best else None


def parse_jsonc(text: str) -> object:
    """Parse JSON with ``//`` and ``/* */`` comments and trailing commas (tsconfig's dialect), in
    one linear pass (the text is untrusted). Raises ValueError when broken or nested too deeply."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(ch)
            i += 1
    try:
        return json.loads(re.sub(r",(\s*[}\]])", r"\1", "".join(out)))
    except RecursionError:
        raise ValueError("JSON nested past the parser's depth") from None


class _Files:
    """The path list and the derived lookups every language shares."""

    def __init__(self, files: Collection[str], read_text: ReadText) -> None:
        self.all = frozenset(files)
        self.read = read_text
        self.by_dir: dict[str, list[str]] = {}
        self.by_base: dict[str, list[str]] = {}
        for f in sorted(self.all):
            self.by_dir.setdefault(_parent(f), []).append(f)
            self.by_base.setdefault(posixpath.basename(f), []).append(f)
        self.dirs: set[str] = set()
        for d in self.by_dir:
            while d not in self.dirs:
                self.dirs.add(d)
                if not d:
                    break
                d = _parent(d)

    def named(self, basename: str) -> list[str]:
        """Every path whose file name is ``basename``."""
        return self.by_base.get(basename, [])

    def config_text(self, path: str) -> str | None:
        """Text of a config file that is indexed, or the root one read directly."""
        if path in self.all or "/" not in path:
            try:
                return self.read(path)
            except (OSError, UnicodeDecodeError):
                return None
        return None


class _Python:
    """Python: source roots inferred from where top-level packages hang, then sys.path-like lookup."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.py_dirs: set[str] = set()
        children: dict[str, set[str]] = {}
        for f in fs.all:
            if not f.endswith(_PY_SUFFIXES):
                continue
            child, d = posixpath.splitext(posixpath.basename(f))[0], _parent(f)
            while True:
                children.setdefault(d, set()).add(child)
                if d in self.py_dirs:
                    break
                self.py_dirs.add(d)
                if not d:
                    break
                child, d = posixpath.basename(d), _parent(d)
        self.children = children
        self._base: dict[str, str] = {}
        self.roots = self._infer_roots()
        self.top: dict[str, list[str]] = {}
        for root in sorted(self.roots):
            for name in children.get(root, ()):
                self.top.setdefault(name, []).append(root)

    def _is_pkg(self, d: str) -> bool:
        return f"{d}/__init__.py" in self.fs.all or f"{d}/__init__.pyi" in self.fs.all

    def base_dir(self, d: str) -> str:
        """The first directory at or above ``d`` that is not a regular package: a source root."""
        if d not in self._base:
            up = d
            while up and self._is_pkg(up):
                up = _parent(up)
            self._base[d] = up
        return self._base[d]

    def _infer_roots(self) -> set[str]:
        """The repo root, every directory a top-level regular package hangs from, every ``src``."""
        roots = {""}
        for init in self.fs.named("__init__.py") + self.fs.named("__init__.pyi"):
            roots.add(self.base_dir(_parent(init)))
        for d in self.py_dirs:
            if posixpath.basename(d) in ("src", "lib", "python") and not self._is_pkg(d):
                roots.add(d)
        return roots

    def module_file(self, base: str) -> str | None:
        """The file Python loads for the module at ``base`` (package ``__init__`` before module)."""
        for cand in (f"{base}/__init__.py", f"{base}.py", f"{base}/__init__.pyi", f"{base}.pyi"):
            if cand in self.fs.all:
                return cand
        return None

    def _lookup(self, base: str, names: list[str]) -> tuple[str | None, bool]:
        """(file, exists) for the module at ``base``; a name that is a submodule wins."""
        hit = self.module_file(base)
        if hit is None and base not in self.py_dirs:
            return None, False
        prefix = f"{base}/" if base else ""
        for name in names:
            sub = self.module_file(prefix + name) if name != "*" else None
            if sub is not None:
                return sub, True
        return hit, True

    def _candidate_roots(self, top: str, importer: str) -> list[str]:
        """Roots holding ``top``: regular packages/modules first (the importer's own root, then the
        nearest), namespace portions last — the order in which Python's path finder would win."""
        roots = list(self.top.get(top, ()))
        own = self.base_dir(_parent(importer))
        if own not in roots and top in self.children.get(own, ()):
            roots.append(own)
        regular = [r for r in roots if self.module_file(f"{r}/{top}" if r else top) is not None]
        ranked = sorted(regular, key=lambda r: (r != own, -shared_prefix(importer, r), r))
        return ranked + sorted((r for r in roots if r not in regular), key=lambda r: -shared_prefix(importer, r))

    def _in_root(self, root: str, module: str, names: list[str]) -> tuple[str | None, bool]:
        parts = module.split(".")
        base = "/".join(([root] if root else []) + parts)
        hit, exists = self._lookup(base, names)
        while not exists and len(parts) > 1:  # `import a.b.c` where c is not a module: nearest existing
            parts.pop()
            base = "/".join(([root] if root else []) + parts)
            hit, exists = self._lookup(base, [])
        return hit, exists

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """Relative imports from the importer's package; absolute ones through the source roots."""
        if rec.level:
            here = _parent(importer)
            # in a regular package, climbing to the source root is "beyond top-level package"
            top = self.base_dir(here) if self._is_pkg(here) else None
            base: str | None = here
            for _ in range(rec.level - 1):
                base = _parent(base) if base else None
            if base is None or base == top:
                return None, None
            target = "/".join(p for p in [base, *rec.module.split(".")] if p) if rec.module else base
            return self._lookup(target, rec.names)[0], None
        if not rec.module:
            return None, None
        top = rec.module.split(".")[0]
        for root in self._candidate_roots(top, importer):
            hit, exists = self._in_root(root, rec.module, rec.names)
            if exists:
                return hit, None
        return None, top


def _npm_name(spec: str) -> str:
    """The npm package a bare specifier belongs to (``@scope/name/x`` → ``@scope/name``)."""
    spec = spec.removeprefix("node:")
    parts = spec.split("/")
    return "/".join(parts[:2]) if spec.startswith("@") and len(parts) > 1 else parts[0]


def _export_target(exports: object, subpath: str) -> str | None:
    """The file a package.json ``exports`` field maps ``subpath`` (``.`` or ``./x``) to."""
    if isinstance(exports, str):
        return exports if subpath == "." else None
    if not isinstance(exports, dict):
        return None
    if not any(k.startswith(".") for k in exports):  # conditions only: {"import": …, "default": …}
        exports = {".": exports}
    target = exports.get(subpath)
    for _ in range(4):  # nested conditions: {"import": {"types": …, "default": …}}
        if not isinstance(target, dict):
            break
        target = next((target[k] for k in ("source", "types", "import", "default", "require", "node")
                       if k in target), None)
    return target if isinstance(target, str) else None


class _TsConfig:
    """``compilerOptions.baseUrl`` and ``paths`` of one tsconfig/jsconfig, as repository paths."""

    def __init__(self, base_url: str | None, paths: list[tuple[str, list[str]]]) -> None:
        self.base_url = base_url
        self.paths = paths  # (pattern, [target patterns resolved against baseUrl or the config dir])

    def candidates(self, spec: str) -> list[str]:
        """Repository paths ``spec`` may map to, most specific ``paths`` pattern first."""
        out: list[str] = []
        for pattern, targets in self.paths:
            head, star, tail = pattern.partition("*")
            if star and spec.startswith(head) and spec.endswith(tail) and len(spec) >= len(head + tail):
                middle = spec[len(head):len(spec) - len(tail)]
                out.extend(t.replace("*", middle, 1) for t in targets)
            elif not star and spec == pattern:
                out.extend(targets)
        if self.base_url is not None:
            joined = _join(self.base_url, spec)
            if joined is not None:
                out.append(joined)
        return out


class _Js:
    """JS/TS: relative paths with extension and index probing, tsconfig paths, workspace packages."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.configs: dict[str, _TsConfig] = {}
        for name in ("tsconfig.json", "jsconfig.json"):
            for path in sorted(set(fs.named(name)) | {name}):
                if _parent(path) not in self.configs:
                    cfg = self._load_config(path, 0)
                    if cfg is not None:
                        self.configs[_parent(path)] = cfg
        self.packages: dict[str, str] = {}  # npm name → package dir (workspace packages)
        for path in fs.named("package.json"):
            data = self._json(path)
            if isinstance(data, dict) and isinstance(data.get("name"), str):
                self.packages.setdefault(data["name"], _parent(path))
        self._nearest: dict[str, _TsConfig | None] = {}
        self._entries: dict[str, str | None] = {}

    def _json(self, path: str) -> object:
        text = self.fs.config_text(path)
        if text is None:
            return None
        try:
            return parse_jsonc(text)
        except ValueError:
            return None

    def _load_config(self, path: str, depth: int) -> _TsConfig | None:
        data = self._json(path)
        if not isinstance(data, dict):
            return None
        inherited = None
        ext = data.get("extends")
        if isinstance(ext, str) and ext.startswith(".") and depth < 4:
            target = _join(_parent(path), ext if ext.endswith(".json") else ext + ".json")
            inherited = self._load_config(target, depth + 1) if target is not None else None
        opts = data.get("compilerOptions")
        opts = opts if isinstance(opts, dict) else {}
        here = _parent(path)
        base = _join(here, opts["baseUrl"]) if isinstance(opts.get("baseUrl"), str) else None
        base_url = base if base is not None else (inherited.base_url if inherited else None)
        raw = opts.get("paths")
        if not isinstance(raw, dict):
            return _TsConfig(base_url, inherited.paths if inherited else [])
        anchor = base_url if base_url is not None else here
        paths = [(k, [t for t in (_join(anchor, v) for v in vs if isinstance(v, str)) if t is not None])
                 for k, vs in raw.items() if isinstance(vs, list)]
        paths.sort(key=lambda kv: -len(kv[0].partition("*")[0]))
        return _TsConfig(base_url, paths)

    def config_for(self, importer: str) -> _TsConfig | None:
        """The nearest tsconfig/jsconfig above the importer (cached per directory)."""
        d = _parent(importer)
        if d not in self._nearest:
            self._nearest[d] = next((self.configs[a] for a in [d, *_ancestors(d)] if a in self.configs), None)
        return self._nearest[d]

    def probe(self, base: str) -> str | None:
        """The file ``base`` names: itself, with an extension, its TS source, or its index file."""
        files = self.fs.all
        if base in files:
            return base
        for ext in _JS_EXTS:
            if base + ext in files:
                return base + ext
        stem, ext = posixpath.splitext(base)
        for alt in _JS_EMITTED.get(ext, ()):
            if stem + alt in files:
                return stem + alt
        if base in self.fs.dirs:
            return self._package_entry(base) or next(
                (f"{base}/index{e}" for e in _JS_EXTS if f"{base}/index{e}" in files), None)
        return None

    def _package_entry(self, d: str) -> str | None:
        """The entry file of the package whose package.json sits in ``d`` (cached per directory)."""
        if f"{d}/package.json" not in self.fs.all:
            return None
        if d not in self._entries:
            self._entries[d] = None  # guards against a package whose main points back at itself
            self._entries[d] = self._find_entry(d)
        return self._entries[d]

    def _find_entry(self, d: str) -> str | None:
        data = self._json(f"{d}/package.json")
        if not isinstance(data, dict):
            return None
        for key in ("source", "exports", "types", "typings", "module", "main"):
            entry = _export_target(data.get(key), ".") if key == "exports" else data.get(key)
            if isinstance(entry, str):
                target = _join(d, entry)
                if target is not None and target != d:
                    hit = self.probe(target)
                    if hit is not None:
                        return hit
        for guess in ("src/index", "index"):
            hit = next((f"{d}/{guess}{e}" for e in _JS_EXTS if f"{d}/{guess}{e}" in self.fs.all), None)
            if hit is not None:
                return hit
        return None

    def _exported(self, pkg: str, rest: str) -> str | None:
        """A workspace package's subpath export (``@scope/pkg/x`` → its ``exports["./x"]``)."""
        data = self._json(f"{pkg}/package.json" if pkg else "package.json")
        target = _export_target(data.get("exports"), "./" + rest) if isinstance(data, dict) else None
        joined = _join(pkg, target) if target is not None else None
        return self.probe(joined) if joined is not None else None

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """Relative specifiers from the importer's directory; bare ones via tsconfig then workspaces."""
        spec = rec.module.split("?")[0]
        if spec.startswith((".", "/")):
            base = _join(_parent(importer), spec) if spec.startswith(".") else _join("", spec.lstrip("/"))
            return (self.probe(base) if base is not None else None), None
        cfg = self.config_for(importer)
        for cand in cfg.candidates(spec) if cfg is not None else []:
            hit = self.probe(cand)
            if hit is not None:
                return hit, None
        name = _npm_name(spec)
        if name in self.packages:
            rest = spec[len(name):].lstrip("/")
            pkg = self.packages[name]
            exported = self._exported(pkg, rest) if rest else None
            if exported is not None:
                return exported, None
            hit = self.probe(f"{pkg}/{rest}" if rest else pkg) if pkg else self.probe(rest or "index")
            if hit is not None:
                return hit, None
        return None, name


_GO_MODULE = re.compile(r"^[ \t]*module\s+\"?([^\s\"]+)", re.MULTILINE)
_GO_REPLACE = re.compile(r"^[ \t]*(?:replace\s+)?([^\s()]+)(?:\s+v\S+)?\s+=>\s+(\.{1,2}/\S*)", re.MULTILINE)
_GO_REQUIRE = re.compile(r"^[ \t]*(?:require\s+)?([a-zA-Z0-9][^\s()]*\.[^\s()]*)\s+v[0-9][^\s]*", re.MULTILINE)


class _Go:
    """Go: import paths under a go.mod ``module`` map to that module's package directories."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.modules: list[tuple[str, str]] = []  # (module path, directory), longest path first
        self.requires: set[str] = set()
        for path in sorted(set(fs.named("go.mod")) | {"go.mod"}):
            text = fs.config_text(path)
            if text is None:
                continue
            found = _GO_MODULE.search(text)
            if found:
                self.modules.append((found.group(1), _parent(path)))
            self.requires.update(m.group(1) for m in _GO_REQUIRE.finditer(text))
            for rep in _GO_REPLACE.finditer(text):  # `replace a/b => ./local/b`: a module in this repo
                local = _join(_parent(path), rep.group(2))
                if local is not None:
                    self.modules.append((rep.group(1), local))
        self.modules.sort(key=lambda m: -len(m[0]))

    def package_dir(self, imp: str) -> str | None:
        """The repository directory of import path ``imp``, when a local module owns it."""
        for mod, d in self.modules:
            if imp == mod or imp.startswith(mod + "/"):
                return _join(d, imp[len(mod):].lstrip("/") or ".")
        return None

    def package_files(self, d: str) -> list[str]:
        """The package's non-test Go files, sorted."""
        return [f for f in self.fs.by_dir.get(d, ()) if f.endswith(".go") and not f.endswith("_test.go")]

    def external(self, imp: str) -> str:
        """The module an external import path belongs to (a ``require`` entry when go.mod has one)."""
        owners = [r for r in self.requires if imp == r or imp.startswith(r + "/")]
        if owners:
            return max(owners, key=len)
        parts = imp.split("/")
        if "." not in parts[0]:
            return imp  # standard library: the package path itself (fmt, net/http)
        if imp.startswith(_GO_HOSTS_3):
            return "/".join(parts[:3])
        return "/".join(parts[:3]) if len(parts) >= 3 else imp

    def resolve_all(self, rec: ImportRecord) -> list[str]:
        """Every non-test file of the imported package."""
        d = self.package_dir(rec.module)
        return self.package_files(d) if d is not None else []

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The package's first file by sort order (see :meth:`resolve_all` for the rest)."""
        del importer
        d = self.package_dir(rec.module)
        if d is not None:
            files = self.package_files(d)
            return (files[0] if files else None), None
        return None, self.external(rec.module)


def _dotted_suffixes(segments: list[str]) -> Iterable[str]:
    """``[a, b, C]`` → ``a.b.C``, ``b.C``, ``C``."""
    for i in range(len(segments)):
        yield ".".join(segments[i:])


#: A Gradle test source set (src/test, src/jvmTest, src/androidTest, src/testFixtures …).
_JVM_TEST_SET = re.compile(r"(?:^|/)src/(?:test\w*|\w+Test)/")
#: JVM source files: Java, Kotlin and Scala import each other's classes by the same package rules.
_JVM_SOURCES = (".java", ".kt", ".scala")
#: A JVM build's source-root folder (src/main/java, src/test/scala, src/jvmMain/kotlin): the
#: package path starts after it, so ``java.util`` never matches a project's src/main/java/util/.
_JVM_ROOTS = frozenset({"java", "kotlin", "scala"})


def package_segments(d: str) -> list[str]:
    """The folders of ``d`` that spell its package: after its last JVM source root, if any."""
    segs = d.split("/") if d else []
    for i in range(len(segs) - 1, 0, -1):  # scala-2.13+, scala-3: a version's own source root
        if segs[i].split("-")[0] in _JVM_ROOTS and "src" in segs[max(0, i - 2):i]:
            return segs[i + 1:]
    return segs


def _jvm_stem(path: str) -> str:
    return posixpath.splitext(posixpath.basename(path))[0]


class _Java:
    """Java and Kotlin: ``com.acme.Foo`` → any ``…/com/acme/Foo.java`` or ``Foo.kt``; packages →
    their directories."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.classes: dict[str, list[str]] = {}
        self.packages: dict[str, list[str]] = {}
        for d, members in fs.by_dir.items():
            sources = [f for f in members if f.endswith(_JVM_SOURCES)]
            if not sources:
                continue
            segs = package_segments(d)
            for key in _dotted_suffixes(segs):
                self.packages.setdefault(key, []).append(d)
            for f in sources:
                for key in _dotted_suffixes([*segs, _jvm_stem(f)]):
                    self.classes.setdefault(key, []).append(f)

    def _package_files(self, importer: str, package: str) -> list[str]:
        d = _closest(importer, self.packages.get(package, ()))
        return [f for f in self.fs.by_dir.get(d, ()) if f.endswith(_JVM_SOURCES)] if d is not None else []

    def resolve_all(self, importer: str, rec: ImportRecord) -> list[str]:
        """Every class file of a wildcard-imported package; else the single resolved file."""
        if rec.kind == "wildcard":
            return self._package_files(importer, rec.module)
        hit = self.resolve(importer, rec)[0]
        return [hit] if hit else []

    def _class_file(self, importer: str, module: str) -> str | None:
        """The file of the class ``module`` names (a nested class → its outer class's file)."""
        parts = module.split(".")
        while len(parts) > 1:
            hit = _closest(importer, self.classes.get(".".join(parts), ()))
            if hit is not None:
                return hit
            parts.pop()
        return None

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The class file (nested classes → their outer class), or the package's first file."""
        if rec.kind == "wildcard":
            files = self._package_files(importer, rec.module)
            if files:
                return files[0], None
        hit = self._class_file(importer, rec.module)
        if hit is not None:
            return hit, None
        package = [p for p in rec.module.split(".") if p[:1].islower() or p[:1] == "_"]
        return None, ".".join(package) or rec.module


class _Kotlin(_Java):
    """Kotlin and Scala: Java's rules, and an import of a name no file is named after (a top-level
    function or property, or a class in a file named otherwise) brings in its package: every
    file of the package's directories, as a Go import does. The file defining the name is among
    them; which one it is, the file list cannot tell. A package is every directory whose path
    ends in it: multiplatform and multi-module builds spread one package over several source
    sets (okhttp's ``okhttp3.internal`` lives in commonJvmAndroid, jvmMain and a testing module),
    the importer's nearest first."""

    def _package_files(self, importer: str, package: str) -> list[str]:
        dirs = sorted(self.packages.get(package, ()), key=lambda c: (-shared_prefix(importer, c), c.count("/"), c))
        if not _JVM_TEST_SET.search(importer):  # main code never sees a test source set
            dirs = [d for d in dirs if not _JVM_TEST_SET.search(d + "/")]
        return [f for d in dirs for f in self.fs.by_dir.get(d, ()) if f.endswith(_JVM_SOURCES)]

    def _member_package(self, importer: str, module: str) -> list[str]:
        parts = module.split(".")[:-1]
        while parts:
            files = self._package_files(importer, ".".join(parts))
            if files or not parts[-1][:1].isupper():  # a.b.Outer.member: the package is a.b
                return files
            parts.pop()
        return []

    def resolve_all(self, importer: str, rec: ImportRecord) -> list[str]:
        """Java's files, else the package of an imported member."""
        if rec.kind == "wildcard":
            return self._package_files(importer, rec.module)
        hit = self._class_file(importer, rec.module)
        return [hit] if hit is not None else self._member_package(importer, rec.module)

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """Java's resolution, then the member's package; the external package is the module
        less its imported name (``kotlinx.coroutines.launch`` → ``kotlinx.coroutines``)."""
        hit, external = super().resolve(importer, rec)
        if hit is not None or rec.kind == "wildcard":
            return hit, external
        files = self._member_package(importer, rec.module)
        if files:
            return files[0], None
        head = rec.module.split(".")[:-1] or rec.module.split(".")
        package = [p for p in head if p[:1].islower() or p[:1] == "_"]
        return None, ".".join(package) or rec.module


class _CSharp:
    """C#: best effort, namespace ``A.B.C`` → a directory whose path (dots split) ends in it."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.dirs: dict[str, list[str]] = {}
        self.classes: dict[str, list[str]] = {}
        self.segments: set[str] = set()
        for d, members in fs.by_dir.items():
            cs = [f for f in members if f.endswith(".cs")]
            if not cs:
                continue
            segs = [s for part in (d.split("/") if d else []) for s in part.split(".")]
            self.segments.update(segs)
            for key in _dotted_suffixes(segs):
                self.dirs.setdefault(key, []).append(d)
            for f in cs:
                for key in _dotted_suffixes([*segs, posixpath.basename(f)[:-3]]):
                    self.classes.setdefault(key, []).append(f)

    def _namespace_dir(self, importer: str, ns: str) -> str | None:
        parts = ns.split(".")
        if parts[0] not in self.segments and ns not in self.dirs:
            return None
        while len(parts) >= 1:
            hit = _closest(importer, self.dirs.get(".".join(parts), ()))
            if hit is not None:
                return hit
            parts = parts[1:] if len(parts) > 1 else []
        return None

    def resolve_all(self, importer: str, rec: ImportRecord) -> list[str]:
        """Every file of the namespace's directory (or the one class file)."""
        hit = _closest(importer, self.classes.get(rec.module, ()))
        if hit is not None:
            return [hit]
        d = self._namespace_dir(importer, rec.module)
        return [f for f in self.fs.by_dir.get(d, ()) if f.endswith(".cs")] if d is not None else []

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """A class file for ``using static``/aliases, else the namespace directory's first file."""
        files = self.resolve_all(importer, rec)
        return (files[0], None) if files else (None, rec.module.split(".")[0])


#: A SwiftPM target declaration in Package.swift: its kind and name; its ``path:`` argument, when
#: given, follows before the next target (at most this far: a target's arguments, not a file).
_SWIFT_TARGET = re.compile(r"\.(target|executableTarget|testTarget|macro|plugin)\s*\(\s*name:\s*\"([^\"]+)\"")
_SWIFT_PATH = re.compile(r"\bpath:\s*\"([^\"]+)\"")
_SWIFT_TARGET_SPAN = 4000


def swift_targets(text: str) -> list[tuple[str, str, str | None]]:
    """(kind, name, path or None) of each target a Package.swift declares."""
    found = list(_SWIFT_TARGET.finditer(text))
    out = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        path = _SWIFT_PATH.search(text, m.end(), min(end, m.end() + _SWIFT_TARGET_SPAN))
        out.append((m.group(1), m.group(2), path.group(1) if path else None))
    return out


class _Swift:
    """Swift: ``import Module`` brings in a whole module, the Swift files under its directory: a
    SwiftPM target's (``Sources/<name>``, ``Tests/<name>`` or its ``path:``), else a directory
    named after the module (an Xcode or CocoaPods layout)."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.modules: dict[str, list[str]] = {}  # module name → its directories
        for manifest in sorted(set(fs.named("Package.swift")) | {"Package.swift"}):
            text = fs.config_text(manifest)
            base = _parent(manifest)
            for kind, name, path in swift_targets(text or ""):
                default = f"{'Tests' if kind == 'testTarget' else 'Sources'}/{name}"
                d = _join(base, path or default)
                if d is not None and d in fs.dirs:
                    self.modules.setdefault(name, []).append(d)
        self._files: dict[str, list[str]] = {}
        self.named_dirs: dict[str, list[str]] = {}
        for d in fs.dirs:
            self.named_dirs.setdefault(posixpath.basename(d), []).append(d)

    def _under(self, d: str) -> list[str]:
        if d not in self._files:
            prefix = d + "/" if d else ""
            self._files[d] = sorted(f for f in self.fs.all if f.startswith(prefix) and f.endswith(".swift")
                                    and posixpath.basename(f) != "Package.swift")
        return self._files[d]

    def _module_dirs(self, importer: str, module: str) -> list[str]:
        dirs = self.modules.get(module)
        if dirs is None:
            dirs = [d for d in self.named_dirs.get(module, ()) if self._under(d)]
        return sorted(dirs, key=lambda c: (-shared_prefix(importer, c), c.count("/"), c))[:1]

    def resolve_all(self, importer: str, rec: ImportRecord) -> list[str]:
        """Every Swift file of the imported module, its ``<Module>.swift`` first."""
        module = rec.module.split(".")[0]
        files = [f for d in self._module_dirs(importer, module) for f in self._under(d)]
        main = [f for f in files if posixpath.basename(f) == f"{module}.swift"]
        return main + [f for f in files if f not in main]

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The module's first file; a module with no directory here is external."""
        files = self.resolve_all(importer, rec)
        return (files[0], None) if files else (None, rec.module.split(".")[0])


def composer_autoload(data: object, base: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(namespace prefix, directory) pairs of a composer.json's PSR-4 and PSR-0 autoload maps
    (``autoload`` and ``autoload-dev``), and its ``files`` entries, as repository paths under
    ``base`` (the composer.json's directory). PSR-0 directories hold the namespace's own folders,
    so its pair maps to the directory plus the prefix's path."""
    pairs: list[tuple[str, str]] = []
    files: list[str] = []
    if not isinstance(data, dict):
        return pairs, files
    for section in ("autoload", "autoload-dev"):
        auto = data.get(section)
        if not isinstance(auto, dict):
            continue
        for style in ("psr-4", "psr-0"):
            mapping = auto.get(style)
            for prefix, dirs in (mapping.items() if isinstance(mapping, dict) else ()):
                for d in [dirs] if isinstance(dirs, str) else dirs if isinstance(dirs, list) else []:
                    if not isinstance(d, str) or not isinstance(prefix, str):
                        continue
                    if style == "psr-0":
                        d = posixpath.join(d, prefix.strip("\\").replace("\\", "/"))
                    target = _join(base, d.strip("/") or ".")
                    if target is not None:
                        pairs.append((prefix.strip("\\"), target))
        entries = auto.get("files")
        for f in entries if isinstance(entries, list) else []:
            target = _join(base, f) if isinstance(f, str) else None
            if target is not None:
                files.append(target)
    return pairs, files


class _Php:
    """PHP: a ``use``d class through composer.json's PSR-4/PSR-0 maps (every composer.json of the
    repository), else the file whose path ends in the class's namespace path; ``use function``
    through the autoloaded ``files``; ``require``/``include`` relative to the file, then the root."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.prefixes: list[tuple[str, str]] = []
        self.autoload_files: list[str] = []
        for manifest in sorted(set(fs.named("composer.json")) | {"composer.json"}):
            text = fs.config_text(manifest)
            try:
                data = json.loads(text) if text else None
            except (ValueError, RecursionError):
                continue
            pairs, files = composer_autoload(data, _parent(manifest))
            self.prefixes.extend(pairs)
            self.autoload_files.extend(f for f in files if f in fs.all)
        self.prefixes.sort(key=lambda p: -len(p[0]))  # the longest namespace prefix first
        self.by_suffix: dict[str, list[str]] = {}
        for f in fs.all:
            if f.endswith(".php"):
                segs = f[:-4].split("/")
                for i in range(len(segs)):
                    self.by_suffix.setdefault("\\".join(segs[i:]), []).append(f)

    def _psr(self, name: str) -> tuple[str | None, bool]:
        """(the class file, whether a prefix of the name is one of the repository's namespaces)."""
        internal = False
        for prefix, d in self.prefixes:
            if prefix and not (name == prefix or name.startswith(prefix + "\\")):
                continue
            internal = internal or bool(prefix)
            rest = name[len(prefix):].strip("\\").replace("\\", "/")
            cand = _join(d, rest + ".php") if rest else None
            if cand is not None and cand in self.fs.all:
                return cand, True
        return None, internal

    def _by_path(self, importer: str, name: str) -> str | None:
        """The file whose path ends in the most of the name's segments (at least the namespace's
        last one and the class), when no autoload map names it."""
        segs = name.split("\\")
        for i in range(len(segs) - 1):  # a global class (one segment) is PHP's own
            hit = _closest(importer, self.by_suffix.get("\\".join(segs[i:]), ()))
            if hit is not None:
                return hit
        return None

    def _function_file(self, importer: str, namespace: str) -> str | None:
        """The autoloaded ``files`` entry most likely to define a function of ``namespace``."""
        ns_dir = next((d for p, d in self.prefixes if p and (namespace == p or namespace.startswith(p + "\\"))), None)
        if ns_dir is None:
            return None
        inside = [f for f in self.autoload_files if f.startswith(ns_dir + "/")]
        return _closest(importer, inside or self.autoload_files)

    def _include(self, importer: str, spec: str) -> str | None:
        for base in (_parent(importer), ""):
            cand = _join(base, spec)
            if cand is not None and cand in self.fs.all:
                return cand
        return None

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The class, function or included file; else the vendor namespace (``Psr\\Log``)."""
        if rec.kind.startswith(("require", "include")):
            return self._include(importer, rec.module), None
        name = rec.module.strip("\\")
        if rec.kind in ("use_function", "use_const"):
            namespace = name.rpartition("\\")[0]
            hit = self._function_file(importer, namespace)
            internal = self._psr(namespace)[1] if namespace else False
        else:
            hit, internal = self._psr(name)
            if hit is None and not internal:
                hit = self._by_path(importer, name)
        if hit is not None or internal:
            return hit, None
        return None, "\\".join(name.split("\\")[:2])


class _Shell:
    """Shell: ``source``/``.`` of a literal path from the script's directory, then the root (a
    script run from the checkout); a path after an expansion (``"$ROOT/lib/x.sh"``) by its tail,
    the file whose path ends in it nearest the script; bats' ``load`` from the test's directory."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs

    def _tail(self, importer: str, spec: str) -> str | None:
        name = posixpath.basename(spec)
        return _closest(importer, [f for f in self.fs.named(name) if f == spec or f.endswith("/" + spec)])

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The sourced file; an unresolved source names nothing outside (the shell has no packages)."""
        if rec.kind == "source_tail":
            return self._tail(importer, rec.module), None
        for base in (_parent(importer), ""):
            cand = _join(base, rec.module)
            if cand is not None and cand in self.fs.all:
                return cand, None
        return None, None


#: Folders commonly on a Lua project's ``package.path`` besides its root (neovim plugins' lua/,
#: rocks' src/ and lib/), tried in this order before any other folder.
_LUA_ROOTS = ("", "lua", "src", "lib")


class _Lua:
    """Lua: ``require "a.b"`` → ``a/b.lua`` or ``a/b/init.lua`` under the root, lua/, src/ or
    lib/, else under any folder (a rockspec maps modules to files; its usual map is this one)."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs

    def _candidates(self, module: str) -> tuple[str, str]:
        base = module.replace(".", "/")
        return f"{base}.lua", f"{base}/init.lua"

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The module's file; else the rock (first segment) it belongs to."""
        for root in _LUA_ROOTS:
            for rel in self._candidates(rec.module):
                cand = _join(root, rel)
                if cand is not None and cand in self.fs.all:
                    return cand, None
        for rel in self._candidates(rec.module):
            hits = [f for f in self.fs.named(posixpath.basename(rel)) if f.endswith("/" + rel)]
            if hits:
                return _closest(importer, hits), None
        return None, rec.module.split(".")[0]


def elixir_underscore(alias: str) -> str:
    """Elixir's ``Macro.underscore``: ``ShopWeb.UserController`` → ``shop_web/user_controller``."""
    parts = []
    for seg in alias.split("."):
        seg = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", seg)
        parts.append(re.sub(r"([a-z\d])([A-Z])", r"\1_\2", seg).lower())
    return "/".join(parts)


class _Elixir:
    """Elixir: a module by the file its name spells (``Shop.Cart`` → ``…/shop/cart.ex`` under
    lib/, test/support/ or an umbrella app's lib/); a module nested in another's file → that file."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.by_path: dict[str, list[str]] = {}  # underscored path suffix → files
        for f in fs.all:
            if f.endswith((".ex", ".exs")) and not f.endswith("_test.exs"):
                segs = f.rsplit(".", 1)[0].split("/")
                for i in range(len(segs)):
                    self.by_path.setdefault("/".join(segs[i:]), []).append(f)

    def _spelled(self, importer: str, parts: list[str]) -> str | None:
        """The file whose path ends in the module's segments, each pair of them joined by ``/``
        or, as a folder may name two (``Phx.New.Project`` in phx_new/project.ex), by ``_``, or
        by ``.`` as Mix task files are named (``Mix.Tasks.Phx.Gen`` in mix/tasks/phx.gen.ex)."""
        for joins in itertools.product("/_.", repeat=min(len(parts) - 1, _ELIXIR_MAX_JOINS)):
            path = parts[0] + "".join(j + p for j, p in zip(joins, parts[1:])) + "/".join([""] + parts[
                1 + _ELIXIR_MAX_JOINS:])
            found = self.by_path.get(path, ())
            hit = _closest(importer, [f for f in found if "/lib/" in f"/{f}" or "/support/" in f] or found)
            if hit is not None:
                return hit
        return None

    def _scattered(self, importer: str, parts: list[str]) -> str | None:
        """A file named after the last segment whose folders hold the others in order
        (``Phoenix.ConnTest`` in lib/phoenix/test/conn_test.ex)."""
        found = []
        for f in self.by_path.get(parts[-1], ()):
            folders = iter(_parent(f).split("/"))
            if all(p in folders for p in parts[:-1]):
                found.append(f)
        return _closest(importer, found)

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The defining file; else the module's first segment (``Ecto``, ``Logger``) as external.
        test/support/ files are named by the module's last segment (``Shop.Fixtures`` →
        test/support/fixtures.ex); a module nested in another's file resolves to that file."""
        parts = elixir_underscore(rec.module).split("/")
        hit = self._spelled(importer, parts)
        if hit is not None and len(parts) == 1 and posixpath.basename(_parent(hit)) not in _ELIXIR_TOP_FOLDERS:
            hit = None  # `require Logger`: one segment names only a top-level module file
        if hit is None:
            support = [f for f in self.by_path.get(parts[-1], ()) if posixpath.basename(_parent(f)) == "support"]
            hit = _closest(importer, support) if support else (
                self._scattered(importer, parts) if len(parts) > 1 else None)
        while hit is None and len(parts) > 1:
            parts.pop()
            hit = self._spelled(importer, parts)
            if hit is not None and len(parts) == 1 and posixpath.basename(_parent(hit)) not in _ELIXIR_TOP_FOLDERS:
                hit = None  # one segment: only a top-level module file
        return (hit, None) if hit is not None else (None, rec.module.split(".")[0])


#: Segment pairs of an Elixir module name tried joined by ``/``, ``_`` or ``.`` (3^n spellings:
#: 81 lookups at most, for names of five segments or more).
_ELIXIR_MAX_JOINS = 4
#: Folders whose files may define a one-segment module (``Shop`` in lib/shop.ex, a test's
#: ``MixHelper`` in test/mix_helper.exs): elsewhere a one-segment name is Elixir's or a library's.
_ELIXIR_TOP_FOLDERS = ("lib", "support", "test")


_PUBSPEC_NAME = re.compile(r"(?m)^name:\s*['\"]?([\w]+)")


class _Dart:
    """Dart: ``package:name/x.dart`` → ``lib/x.dart`` of the package whose pubspec.yaml says
    ``name: name``; other URIs relative to the file; ``dart:`` libraries are the SDK's."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.packages: dict[str, str] = {}  # package name → its folder
        for manifest in sorted(set(fs.named("pubspec.yaml")) | {"pubspec.yaml"}):
            m = _PUBSPEC_NAME.search(fs.config_text(manifest) or "")
            if m:
                self.packages.setdefault(m.group(1), _parent(manifest))

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The library file; else the package (``http``) or SDK library (``dart:async``)."""
        uri = rec.module
        if uri.startswith("dart:"):
            return None, uri
        if uri.startswith("package:"):
            name, _, rest = uri[len("package:"):].partition("/")
            if name not in self.packages:
                return None, name
            cand = _join(_join(self.packages[name], "lib") or "lib", rest)
            return (cand if cand in self.fs.all else None), None
        cand = _join(_parent(importer), uri)
        return (cand if cand is not None and cand in self.fs.all else None), None


#: ``hs-source-dirs: src, lib`` (.cabal) and ``source-dirs: src`` / ``- src`` (package.yaml).
_HS_SOURCE_DIRS = re.compile(r"(?im)^\s*(?:hs-)?source-dirs:[ \t]*([^\n]*)((?:\n[ \t]+-[ \t]*\S+)*)")
_HS_EXTS = (".hs", ".lhs", ".hsc")


class _Haskell:
    """Haskell: ``import A.B.C`` → ``A/B/C.hs`` under a source folder of the package (its .cabal
    ``hs-source-dirs`` or package.yaml ``source-dirs``, beside the manifest), else any file whose
    path ends in A/B/C.hs; other modules are external (named whole: the package is not known)."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.roots: list[str] = []
        manifests = [f for f in fs.all if f.endswith(".cabal") or posixpath.basename(f) == "package.yaml"]
        for manifest in sorted(manifests):
            base = _parent(manifest)
            for inline, listed in _HS_SOURCE_DIRS.findall(fs.config_text(manifest) or ""):
                for d in re.split(r"[,\s]+", inline.strip("[] ")) + re.findall(r"-[ \t]*(\S+)", listed):
                    root = _join(base, d.strip("'\"[]")) if d.strip("'\"[]") else None
                    if root is not None and root not in self.roots:
                        self.roots.append(root)

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The module's file; an unresolved module is external under its own name."""
        rel = rec.module.replace(".", "/")
        for root in sorted(self.roots, key=lambda r: -shared_prefix(importer, r)):
            for ext in _HS_EXTS:
                cand = _join(root, rel + ext)
                if cand is not None and cand in self.fs.all:
                    return cand, None
        for ext in _HS_EXTS:
            name = posixpath.basename(rel) + ext
            hits = [f for f in self.fs.named(name) if f == rel + ext or f.endswith("/" + rel + ext)]
            if hits:
                return _closest(importer, hits), None
        return None, rec.module


#: A dune stanza naming a library: ``(library (name shop_util) …)`` (also ``(public_name …)``).
_DUNE_LIBRARY = re.compile(r"\(library\b[^()]*(?:\([^()]*\)[^()]*)*?\(name\s+([\w.-]+)\)", re.DOTALL)


class _OCaml:
    """OCaml: a module is a file (``Foo`` → foo.ml): first the importer's own folder (its
    library), then a wrapped dune library's module (``Lib.Mod`` → the library's folder's mod.ml,
    ``Lib`` → its lib.ml), then any folder (an unwrapped library); the rest is external."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.libraries: dict[str, str] = {}  # library name → its folder
        for dune in sorted(fs.named("dune")):
            for name in _DUNE_LIBRARY.findall(fs.config_text(dune) or ""):
                self.libraries.setdefault(name.lower(), _parent(dune))

    def _module_file(self, d: str, module: str) -> str | None:
        for name in (module[:1].lower() + module[1:], module):
            for ext in (".ml", ".mli"):
                cand = _join(d, name + ext)
                if cand is not None and cand in self.fs.all:
                    return cand
        return None

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The module's file; else the top module (``Stdlib``, ``Core``) as external."""
        parts = rec.module.split(".")
        hit = self._module_file(_parent(importer), parts[0])  # the importer's own library first
        lib = self.libraries.get(parts[0].lower())
        if hit is None and lib is not None:
            hit = (self._module_file(lib, parts[1]) if len(parts) > 1 else None) or self._module_file(lib, parts[0])
        if hit is None:
            name = parts[0][:1].lower() + parts[0][1:]
            hit = _closest(importer, self.fs.named(name + ".ml") or self.fs.named(name + ".mli"))
        if hit is not None:
            return hit, None
        return None, None if lib is not None else parts[0]  # `open Shop`: a library with no one file


#: ``b.addModule("name", .{ .root_source_file = b.path("src/x.zig") })`` (or ``.{ .path = "…" }``).
_ZIG_MODULE = re.compile(r"addModule\(\s*\"([\w.-]+)\"[^;]{0,400}?root_source_file\s*=\s*"
                         r"(?:b\.path\(|\.\{\s*\.(?:path|src_path)\s*=\s*)\s*\"([^\"]+)\"")
#: Modules every Zig program has: the standard library and the compiler's.
_ZIG_BUILTIN = frozenset({"std", "builtin", "root"})


class _Zig:
    """Zig: ``@import("x.zig")`` relative to the file; a module name through build.zig's
    ``addModule`` (its root source file); ``std``, ``builtin``, ``root`` and others are external."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.modules: dict[str, str] = {}
        for build in sorted(set(fs.named("build.zig")) | {"build.zig"}):
            for name, path in _ZIG_MODULE.findall(fs.config_text(build) or ""):
                target = _join(_parent(build), path)
                if target is not None and target in fs.all:
                    self.modules.setdefault(name, target)

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The imported file; else the module's name as external."""
        if rec.module.endswith(".zig") or rec.module.endswith(".zon"):
            cand = _join(_parent(importer), rec.module)
            return (cand if cand is not None and cand in self.fs.all else None), None
        if rec.module in self.modules:
            return self.modules[rec.module], None
        return None, rec.module


_JULIA_NAME = re.compile(r"(?m)^name\s*=\s*\"([\w.]+)\"")


class _Julia:
    """Julia: ``include("x.jl")`` from the file; ``using Pkg`` of a package the repository holds
    (a Project.toml's ``name``) → its src/Pkg.jl; a relative ``using .Sub`` → src/Sub.jl or a
    Sub.jl beside the file when there is one (else it lives inside an included file: internal);
    other packages are external."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.packages: dict[str, str] = {}
        for manifest in sorted(set(fs.named("Project.toml")) | {"Project.toml"}):
            m = _JULIA_NAME.search(fs.config_text(manifest) or "")
            entry = _join(_parent(manifest), f"src/{m.group(1)}.jl") if m else None
            if m and entry is not None and entry in fs.all:
                self.packages.setdefault(m.group(1), entry)

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The included or used file; a relative module not in its own file is internal."""
        if rec.kind == "include":
            cand = _join(_parent(importer), rec.module)
            return (cand if cand is not None and cand in self.fs.all else None), None
        top = rec.module.split(".")[0]
        if rec.level:
            cand = _join(_parent(importer), top + ".jl")
            return (cand if cand is not None and cand in self.fs.all else None), None
        if top in self.packages:
            return self.packages[top], None
        return None, top


#: Folders on a Perl distribution's @INC while it is built and tested (``prove -l`` adds lib/).
_PERL_INC = ("lib", "", "t/lib", "blib/lib")


class _Perl:
    """Perl: ``A::B`` → ``lib/A/B.pm`` (or the root, t/lib/), else any file whose path ends in
    A/B.pm (a monorepo's dists); ``require "x.pl"`` from the file, then the root and lib/."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The module's file; else the module itself (its CPAN distribution is not known)."""
        if rec.kind == "require_file":
            for base in (_parent(importer), "", "lib"):
                cand = _join(base, rec.module)
                if cand is not None and cand in self.fs.all:
                    return cand, None
            return None, None
        rel = rec.module.replace("::", "/") + ".pm"
        for inc in _PERL_INC:
            cand = _join(inc, rel)
            if cand is not None and cand in self.fs.all:
                return cand, None
        hits = [f for f in self.fs.named(posixpath.basename(rel)) if f.endswith("/" + rel)]
        return (_closest(importer, hits), None) if hits else (None, rec.module)


_CARGO_NAME = re.compile(r"^[ \t]*\[(package|lib)\][^\[]*?^[ \t]*name\s*=\s*\"([^\"]+)\"", re.MULTILINE | re.DOTALL)


class _Rust:
    """Rust: ``mod x;`` → x.rs / x/mod.rs; ``crate::``/``self::``/``super::`` and workspace crates."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.crates: dict[str, str] = {}  # crate name (underscored) → its crate root directory
        for path in sorted(set(fs.named("Cargo.toml")) | {"Cargo.toml"}):
            text = fs.config_text(path)
            d = _parent(path)
            root = self._root_file(_join(d, "src") or "src")
            if text is None or root is None:
                continue
            for found in _CARGO_NAME.finditer(text):
                self.crates.setdefault(found.group(2).replace("-", "_"), _parent(root))

    def _root_file(self, d: str) -> str | None:
        return next((f"{d}/{n}" for n in ("lib.rs", "main.rs") if f"{d}/{n}" in self.fs.all), None)

    def mod_dir(self, path: str) -> str:
        """Where the submodules of the module in ``path`` live."""
        d, name = _parent(path), posixpath.basename(path)
        if name in ("lib.rs", "main.rs", "mod.rs") or posixpath.basename(d) in _RUST_TARGET_DIRS:
            return d
        return f"{d}/{name[:-3]}" if d else name[:-3]

    def crate_dir(self, importer: str) -> str:
        """The directory of the importer's crate root (``src`` for lib.rs, ``tests`` for a test …)."""
        for a in _ancestors(importer):
            if self._root_file(a) is not None or posixpath.basename(a) in _RUST_TARGET_DIRS:
                return a
        return _parent(importer)

    def module_file(self, d: str) -> str | None:
        """The file defining the module whose submodules live in ``d``."""
        for cand in (f"{d}.rs", f"{d}/mod.rs", f"{d}/lib.rs", f"{d}/main.rs"):
            if cand in self.fs.all:
                return cand
        return None

    def _walk(self, d: str, start: str | None, segments: list[str]) -> str | None:
        """Descend ``segments`` from module directory ``d``; the deepest module file found."""
        best = start
        for seg in segments:
            nxt = f"{d}/{seg}" if d else seg
            hit = self.module_file(nxt) if seg not in ("*", "self") else None
            if hit is None or hit.endswith(("/lib.rs", "/main.rs")):
                break
            best, d = hit, nxt
        return best

    def _base(self, importer: str, segs: list[str]) -> tuple[str | None, list[str]]:
        """Module directory the path starts from, and the segments left to walk."""
        if segs[0] == "crate":
            return self.crate_dir(importer), segs[1:]
        if segs[0] in ("self", "super"):
            d = self.mod_dir(importer)
            while segs and segs[0] in ("self", "super"):
                d = _parent(d) if segs[0] == "super" else d
                segs = segs[1:]
            return d, segs
        if segs[0] in self.crates:
            return self.crates[segs[0]], segs[1:]
        local = self.mod_dir(importer)
        if self.module_file(f"{local}/{segs[0]}" if local else segs[0]) is not None:
            return local, segs
        return None, segs

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The deepest module file the path reaches; crates outside the repository are external."""
        if rec.kind == "mod":
            here = self.mod_dir(importer)
            target = "/".join(p for p in [here, *rec.module.split("::")] if p)
            hit = next((c for c in (f"{target}.rs", f"{target}/mod.rs") if c in self.fs.all), None)
            return hit, None
        segs = [s for s in rec.module.split("::") if s]
        names = [n for n in rec.names[:1] if n != "*"]
        if not segs:
            return None, None
        d, rest = self._base(importer, segs)
        if d is None:
            return None, segs[0]
        return self._walk(d, self.module_file(d), rest + names), None


class _C:
    """C/C++: quoted includes relative to the file, then include dirs, then a unique path suffix."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs

    def _include_roots(self, importer: str) -> Iterable[str]:
        """Include roots nearest the importer first: each ancestor's include/, src/, inc/, itself."""
        for a in _ancestors(importer):
            for name in _C_INCLUDE_DIRS:
                d = f"{a}/{name}" if a else name
                if d in self.fs.dirs:
                    yield d
            yield a

    def _by_suffix(self, importer: str, spec: str) -> str | None:
        name = posixpath.basename(spec)
        cands = [f for f in self.fs.named(name) if f == spec or f.endswith("/" + spec)]
        return _closest(importer, cands)

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """Local first (``"x.h"``); system includes (``<x>``) only through include directories."""
        spec = rec.module
        if rec.kind == "include_local":
            here = _join(_parent(importer), spec)
            if here is not None and here in self.fs.all:
                return here, None
        for d in self._include_roots(importer):
            cand = _join(d, spec)
            if cand is not None and cand in self.fs.all:
                return cand, None
        if rec.kind == "include_local" or "/" in spec:
            hit = self._by_suffix(importer, spec)
            if hit is not None:
                return hit, None
        return None, spec.split("/")[0]


class _Ruby:
    """Ruby: ``require_relative`` from the file; ``require`` against lib/ (and spec/, test/) dirs."""

    def __init__(self, fs: _Files) -> None:
        self.fs = fs
        self.load: dict[str, list[str]] = {}
        for f in fs.all:
            if not f.endswith(".rb"):
                continue
            segs = f[:-3].split("/")
            for i in range(len(segs) - 1, -1, -1):
                if segs[i] in _RUBY_LOAD_DIRS:
                    self.load.setdefault("/".join(segs[i + 1:]), []).append(f)
                    break
            self.load.setdefault(f[:-3], []).append(f)

    def resolve(self, importer: str, rec: ImportRecord) -> Result:
        """The required file; unresolved ``require`` names its gem (first path segment)."""
        spec = rec.module[:-3] if rec.module.endswith(".rb") else rec.module
        if rec.kind == "require_relative" or spec.startswith("."):
            target = _join(_parent(importer), spec)
            hit = target + ".rb" if target is not None and target + ".rb" in self.fs.all else None
            return hit, None
        return _closest(importer, self.load.get(spec, ())), None if spec in self.load else spec.split("/")[0]


class ImportResolver:
    """Maps :class:`ImportRecord` rows to repository files, one language table at a time.

    ``files`` is every indexed repository-relative POSIX path; ``read_text`` returns the text of a
    small config file (go.mod, tsconfig.json, jsconfig.json, package.json, Cargo.toml) or None.
    Each language's lookup tables are built on the first import of that language, then reused.
    """

    def __init__(self, files: Collection[str], read_text: Callable[[str], str | None]) -> None:
        self._fs = _Files(files, read_text)

    @cached_property
    def _python(self) -> _Python:
        return _Python(self._fs)

    @cached_property
    def _js(self) -> _Js:
        return _Js(self._fs)

    @cached_property
    def _go(self) -> _Go:
        return _Go(self._fs)

    @cached_property
    def _java(self) -> _Java:
        return _Java(self._fs)

    @cached_property
    def _kotlin(self) -> _Kotlin:
        return _Kotlin(self._fs)

    @cached_property
    def _swift(self) -> _Swift:
        return _Swift(self._fs)

    @cached_property
    def _php(self) -> _Php:
        return _Php(self._fs)

    @cached_property
    def _shell(self) -> _Shell:
        return _Shell(self._fs)

    @cached_property
    def _lua(self) -> _Lua:
        return _Lua(self._fs)

    @cached_property
    def _elixir(self) -> _Elixir:
        return _Elixir(self._fs)

    @cached_property
    def _dart(self) -> _Dart:
        return _Dart(self._fs)

    @cached_property
    def _haskell(self) -> _Haskell:
        return _Haskell(self._fs)

    @cached_property
    def _ocaml(self) -> _OCaml:
        return _OCaml(self._fs)

    @cached_property
    def _zig(self) -> _Zig:
        return _Zig(self._fs)

    @cached_property
    def _julia(self) -> _Julia:
        return _Julia(self._fs)

    @cached_property
    def _perl(self) -> _Perl:
        return _Perl(self._fs)

    @cached_property
    def _rust(self) -> _Rust:
        return _Rust(self._fs)

    @cached_property
    def _c(self) -> _C:
        return _C(self._fs)

    @cached_property
    def _ruby(self) -> _Ruby:
        return _Ruby(self._fs)

    @cached_property
    def _csharp(self) -> _CSharp:
        return _CSharp(self._fs)

    def _lookup(self, importer: str, lang: str, rec: ImportRecord) -> Result:
        if lang == "python":
            return self._python.resolve(importer, rec)
        if lang in _JS_LANGS:
            return self._js.resolve(importer, rec)
        if lang in ("c", "cpp", "objc"):
            if rec.kind == "module_import":  # @import UIKit: a framework
                return None, rec.module.split(".")[0]
            found = self._c.resolve(importer, rec)
            if lang == "objc" and found[0] is None and "/" in rec.module:
                return self._framework_header(rec.module) or found
            return found
        table: dict[str, Callable[[str, ImportRecord], Result]] = {
            "go": lambda i, r: self._go.resolve(i, r),
            "java": lambda i, r: self._java.resolve(i, r),
            "kotlin": lambda i, r: self._kotlin.resolve(i, r),
            "scala": lambda i, r: self._kotlin.resolve(i, r),  # the same rules (package objects: members)
            "swift": lambda i, r: self._swift.resolve(i, r),
            "php": lambda i, r: self._php.resolve(i, r),
            "bash": lambda i, r: self._shell.resolve(i, r),
            "lua": lambda i, r: self._lua.resolve(i, r),
            "elixir": lambda i, r: self._elixir.resolve(i, r),
            "dart": lambda i, r: self._dart.resolve(i, r),
            "haskell": lambda i, r: self._haskell.resolve(i, r),
            "ocaml": lambda i, r: self._ocaml.resolve(i, r),
            "ocaml_interface": lambda i, r: self._ocaml.resolve(i, r),
            "zig": lambda i, r: self._zig.resolve(i, r),
            "julia": lambda i, r: self._julia.resolve(i, r),
            "perl": lambda i, r: self._perl.resolve(i, r),
            "rust": lambda i, r: self._rust.resolve(i, r),
            "ruby": lambda i, r: self._ruby.resolve(i, r),
            "csharp": lambda i, r: self._csharp.resolve(i, r),
        }
        fn = table.get(lang)
        return fn(importer, rec) if fn is not None else (None, None)

    def _framework_header(self, spec: str) -> Result | None:
        """``<Lib/X.h>`` of a framework the repository builds: its headers need not sit in a Lib/
        folder (AFNetworking's UIKit+AFNetworking/), so the one header of that name, if one."""
        same = self._fs.named(posixpath.basename(spec))
        return (same[0], None) if len(same) == 1 else None

    def resolve(self, importer: str, lang: str, rec: ImportRecord) -> ImportRecord:
        """A copy of ``rec`` with ``resolved`` (a repository path) or ``external`` (a package) set.

        ``importer`` is the repository path of the file holding the import, ``lang`` its language.
        For imports of a multi-file package (Go, Java wildcard, Kotlin member, Swift module, C# namespace) ``resolved`` is the
        package's first file by sort order; :meth:`resolve_all` lists all of them.
        """
        resolved, external = self.target(importer, lang, rec)
        return rec.model_copy(update={"path": rec.path or importer, "resolved": resolved,
                                      "external": external})

    def target(self, importer: str, lang: str, rec: ImportRecord) -> Result:
        """:meth:`resolve` as a pair (resolved, external), one of them None, without copying the
        record (the index resolves every import of a repository: ~12k on the stdlib)."""
        try:
            resolved, external = self._lookup(importer, lang, rec)
        except (ValueError, IndexError, KeyError):  # a malformed record never stops an index run
            resolved, external = None, None
        if resolved == importer and lang != "python":
            resolved = None
        return resolved, None if resolved else external

    def resolve_all(self, importer: str, lang: str, rec: ImportRecord) -> list[str]:
        """Every repository file the import brings in: a Go package's non-test files, a Java
        wildcard package's classes, a C# namespace directory's files; else ``[resolved]`` or []."""
        if lang == "go":
            return self._go.resolve_all(rec)
        if lang == "java":
            return self._java.resolve_all(importer, rec)
        if lang in ("kotlin", "scala"):
            return self._kotlin.resolve_all(importer, rec)
        if lang == "swift":
            return self._swift.resolve_all(importer, rec)
        if lang == "csharp":
            return self._csharp.resolve_all(importer, rec)
        hit = self.target(importer, lang, rec)[0]
        return [hit] if hit else []
