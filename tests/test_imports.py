"""Raw import extraction per language: module, names, level, kind and line of each statement."""

from __future__ import annotations

import pytest

from repointel.extract.imports import extract_imports
from repointel.parse.languages import parse


def _rows(lang: str, src: str) -> list[tuple[str, list[str], int, str, int]]:
    data = src.encode()
    return [(r.module, r.names, r.level, r.kind, r.line) for r in extract_imports(lang, parse(lang, data), data)]


def test_python_forms() -> None:
    src = (
        "import a.b as c, d\n"
        "from . import x\n"
        "from ..pkg.mod import y as z, w\n"
        "from m import *\n"
        "from __future__ import annotations\n"
        "from .a import (b,\n    c)\n"
        "def f():\n    import lazy.mod\n"
        "s = 'import not_an_import'\n"
        "# import commented\n"
        "reimport = 1\n"
    )
    assert _rows("python", src) == [
        ("a.b", [], 0, "import", 1),
        ("d", [], 0, "import", 1),
        ("", ["x"], 1, "from", 2),
        ("pkg.mod", ["y", "w"], 2, "from", 3),
        ("m", ["*"], 0, "from", 4),
        ("__future__", ["annotations"], 0, "from", 5),
        ("a", ["b", "c"], 1, "from", 6),
        ("lazy.mod", [], 0, "import", 9),
    ]


@pytest.mark.parametrize("lang", ["javascript", "typescript", "tsx"])
def test_js_forms(lang: str) -> None:
    src = (
        "import d, {a as b} from 'x';\n"
        "import * as ns from './y';\n"
        "import './side';\n"
        "const r = require('z');\n"
        "export {q} from '@s/p';\n"
        "export * from './all';\n"
        "export const local = 1;\n"
        "async function f() { await import('dyn'); return import.meta.url; }\n"
        "obj.require('not_a_module');\n"
    )
    rows = _rows(lang, src)
    assert rows == [
        ("x", ["default", "a"], 0, "import", 1),
        ("./y", ["*"], 0, "import", 2),
        ("./side", [], 0, "import", 3),
        ("z", [], 0, "require", 4),
        ("@s/p", ["q"], 0, "export", 5),
        ("./all", ["*"], 0, "export", 6),
        ("dyn", [], 0, "dynamic", 8),
    ]


def test_typescript_only_forms() -> None:
    src = "import type {T} from './t';\nimport x = require('old');\nexport * as n from './n';\n"
    assert _rows("typescript", src) == [
        ("./t", ["T"], 0, "import", 1), ("old", ["default"], 0, "require", 2), ("./n", ["*"], 0, "export", 3),
    ]


def test_go_specs() -> None:
    src = 'package p\nimport "fmt"\nimport (\n  f "a/b"\n  _ "c/d"\n)\n'
    assert _rows("go", src) == [("fmt", [], 0, "import", 2), ("a/b", ["f"], 0, "import", 4),
                                ("c/d", ["_"], 0, "import", 5)]


def test_java_imports() -> None:
    src = "package a.b;\nimport a.b.C;\nimport static a.b.C.m;\nimport a.b.*;\nimport static a.D.*;\n"
    assert _rows("java", src) == [("a.b.C", [], 0, "import", 2), ("a.b.C", ["m"], 0, "static", 3),
                                  ("a.b", ["*"], 0, "wildcard", 4), ("a.D", ["*"], 0, "static", 5)]


def test_rust_use_mod_extern() -> None:
    src = (
        "mod x;\nmod y { }\nuse crate::a::b;\nuse super::c::{d, e::f};\n"
        "use std::io::{self, Read as R};\nuse a::*;\nextern crate foo;\npub use self::g::h as i;\n"
        "mod outer { mod inner; }\nfn f() { use crate::q::r; }\nlet user = 1;\n"
    )
    assert _rows("rust", src) == [
        ("x", [], 0, "mod", 1),
        ("crate::a", ["b"], 0, "use", 3),
        ("super::c", ["d"], 0, "use", 4),
        ("super::c::e", ["f"], 0, "use", 4),
        ("std", ["io"], 0, "use", 5),
        ("std::io", ["Read"], 0, "use", 5),
        ("a", ["*"], 0, "use", 6),
        ("foo", [], 0, "extern_crate", 7),
        ("self::g", ["h"], 0, "use", 8),
        ("outer::inner", [], 0, "mod", 9),
        ("crate::q", ["r"], 0, "use", 10),
    ]


@pytest.mark.parametrize("lang", ["c", "cpp"])
def test_c_includes(lang: str) -> None:
    src = '#include "x.h"\n#include <stdio.h>\n#ifdef A\n#  include "nested/y.h"\n#endif\n// #include "no.h"\n'
    assert _rows(lang, src) == [("x.h", [], 0, "include_local", 1), ("stdio.h", [], 0, "include_system", 2),
                                ("nested/y.h", [], 0, "include_local", 4)]


def test_ruby_requires() -> None:
    src = ("require 'json'\nrequire_relative '../lib/x'\nrequire \"a/b\"\nload 'z.rb'\n"
           "foo.require 'not_me'\nrequire some_variable\n")
    assert _rows("ruby", src) == [("json", [], 0, "require", 1), ("../lib/x", [], 0, "require_relative", 2),
                                  ("a/b", [], 0, "require", 3), ("z.rb", [], 0, "load", 4)]


def test_kotlin_imports() -> None:
    src = ("package a.b\n\nimport x.y.Z\nimport x.y.*\nimport x.y.fn as alias\n"
           "class K { fun m() { val import = 1 } }\n")
    assert _rows("kotlin", src) == [("x.y.Z", [], 0, "import", 3), ("x.y", ["*"], 0, "wildcard", 4),
                                    ("x.y.fn", ["alias"], 0, "import", 5)]


def test_swift_imports() -> None:
    src = "import Foundation\n@testable import Shop\nimport struct Swift.Int\nlet importer = 1\n"
    assert _rows("swift", src) == [("Foundation", [], 0, "import", 1), ("Shop", [], 0, "import", 2),
                                   ("Swift.Int", [], 0, "import", 3)]


def test_php_uses_and_includes() -> None:
    src = ("<?php\nnamespace A;\nuse B\\C;\nuse B\\{D, E as F};\nuse function B\\f;\nuse const B\\K;\n"
           "require_once __DIR__ . '/x.php';\ninclude 'y.php';\nrequire $computed;\n"
           "class G { use T; }\n$h = function () use ($v) {};\n")
    assert _rows("php", src) == [("B\\C", [], 0, "use", 3), ("B\\D", [], 0, "use", 4), ("B\\E", ["F"], 0, "use", 4),
                                 ("B\\f", [], 0, "use_function", 5), ("B\\K", [], 0, "use_const", 6),
                                 ("./x.php", [], 0, "require_once", 7), ("y.php", [], 0, "include", 8)]


def test_shell_sources() -> None:
    src = ('source lib/a.sh\n. "./b.sh"\nsource "$ROOT/lib/c.sh"\n. "$(dirname "$0")/d.sh"\nload helper\n'
           'source "$computed"\necho a. b\nf() { source lib/e.sh; }\n')
    assert _rows("bash", src) == [("lib/a.sh", [], 0, "source", 1), ("./b.sh", [], 0, "source", 2),
                                  ("lib/c.sh", [], 0, "source_tail", 3), ("d.sh", [], 0, "source_tail", 4),
                                  ("helper.bash", [], 0, "load", 5), ("lib/e.sh", [], 0, "source", 8)]


def test_scala_imports() -> None:
    src = ("package a\nimport x.y.Z\nimport x.y._\nimport x.y.*\nimport x.y.{A, B => C, D => _, _}\n"
           "import p.Q, r.S\n")
    assert _rows("scala", src) == [("x.y.Z", [], 0, "import", 2), ("x.y", ["*"], 0, "wildcard", 3),
                                   ("x.y", ["*"], 0, "wildcard", 4), ("x.y.A", [], 0, "import", 5),
                                   ("x.y.B", ["C"], 0, "import", 5), ("x.y", ["*"], 0, "wildcard", 5),
                                   ("p.Q", [], 0, "import", 6), ("r.S", [], 0, "import", 6)]


def test_lua_requires() -> None:
    src = ('local a = require("x.y")\nlocal b = require "z"\nlocal c = require[[w]]\n'
           'local d = require("p" .. name)\nlocal e = obj.require("q")\n')
    assert _rows("lua", src) == [("x.y", [], 0, "require", 1), ("z", [], 0, "require", 2), ("w", [], 0, "require", 3)]


def test_elixir_directives() -> None:
    src = ("defmodule A do\n  alias B.C\n  alias B.{D, E}\n  alias B.F, as: G\n  import H, only: [x: 1]\n"
           "  require Logger\n  use GenServer\n  def user(x), do: x\nend\n")
    assert _rows("elixir", src) == [("B.C", [], 0, "alias", 2), ("B.D", [], 0, "alias", 3), ("B.E", [], 0, "alias", 3),
                                    ("B.F", ["G"], 0, "alias", 4), ("H", [], 0, "import", 5),
                                    ("Logger", [], 0, "require", 6), ("GenServer", [], 0, "use", 7)]


def test_dart_directives() -> None:
    src = ("import 'dart:async';\nimport 'package:a/b.dart' as b;\nimport '../c.dart' show d, e;\n"
           "export 'src/f.dart';\npart 'g.dart';\n")
    assert _rows("dart", src) == [("dart:async", [], 0, "import", 1), ("package:a/b.dart", ["b"], 0, "import", 2),
                                  ("../c.dart", ["d", "e"], 0, "import", 3), ("src/f.dart", [], 0, "export", 4),
                                  ("g.dart", [], 0, "part", 5)]


def test_haskell_imports() -> None:
    src = ("module M where\nimport Data.List (sortOn, nub)\nimport qualified Data.Map as Map\n"
           "import Shop.Util hiding (debug)\nimport Shop.Item (Item (..))\n")
    assert _rows("haskell", src) == [("Data.List", ["sortOn", "nub"], 0, "import", 2),
                                     ("Data.Map", ["Map"], 0, "qualified", 3), ("Shop.Util", [], 0, "import", 4),
                                     ("Shop.Item", ["Item"], 0, "import", 5)]


def test_ocaml_opens_and_qualified_uses() -> None:
    src = ("open Core\ninclude Base.Util\nmodule M = Map.Make (String)\nlet f x = List.map g x\n"
           "let h = M.empty\nlet k = Shop.Cart.total Shop.Cart.empty\nlet l = List.length\n")
    assert _rows("ocaml", src) == [("Core", [], 0, "open", 1), ("Base.Util", [], 0, "include", 2),
                                   ("Map.Make", [], 0, "use", 3), ("String", [], 0, "use", 3),
                                   ("List", [], 0, "use", 4), ("Shop.Cart", [], 0, "use", 6)]


def test_zig_imports() -> None:
    src = 'const std = @import("std");\nconst C = @import("c.zig").C;\nconst e = @embedFile("x.txt");\n'
    assert _rows("zig", src) == [("std", [], 0, "import", 1), ("c.zig", [], 0, "import", 2)]


def test_julia_usings_and_includes() -> None:
    src = ('using A, B.C\nusing D: x, y\nimport .Sub\ninclude("f.jl")\ninclude(joinpath(dir, "g.jl"))\n'
           'include("$(name).jl")\n')
    assert _rows("julia", src) == [("A", [], 0, "using", 1), ("B.C", [], 0, "using", 1), ("D", ["x", "y"], 0, "using", 2),
                                   ("Sub", [], 1, "import", 3), ("f.jl", [], 0, "include", 4)]


def test_perl_uses_and_requires() -> None:
    src = ('package A;\nuse strict;\nuse 5.010;\nuse B::C qw(x);\nuse parent -norequire, "D";\nuse base qw(E::F G);\n'
           'require H::I;\nrequire "j.pl";\nrequire $computed;\n')
    assert _rows("perl", src) == [("B::C", [], 0, "use", 4), ("D", [], 0, "parent", 5), ("E::F", [], 0, "parent", 6),
                                  ("G", [], 0, "parent", 6), ("H::I", [], 0, "require", 7),
                                  ("j.pl", [], 0, "require_file", 8)]


def test_objc_imports() -> None:
    src = '#import <UIKit/UIKit.h>\n#import "A.h"\n#include "b.h"\n@import Foundation;\n@interface C : NSObject\n@end\n'
    assert _rows("objc", src) == [("UIKit/UIKit.h", [], 0, "include_system", 1), ("A.h", [], 0, "include_local", 2),
                                  ("b.h", [], 0, "include_local", 3), ("Foundation", [], 0, "module_import", 4)]


def test_csharp_usings() -> None:
    src = ("using System.IO;\nusing static A.B;\nusing X = A.C;\nglobal using D.E;\n"
           "namespace N { using Inner.Ns; class K { void M() { using var f = Open(); } } }\n")
    assert _rows("csharp", src) == [("System.IO", [], 0, "using", 1), ("A.B", [], 0, "using_static", 2),
                                    ("A.C", ["X"], 0, "using_alias", 3), ("D.E", [], 0, "using", 4),
                                    ("Inner.Ns", [], 0, "using", 5)]


def test_unknown_language_and_broken_source() -> None:
    assert extract_imports("cobol", parse("python", b"import x\n"), b"import x\n") == []
    data = b"from . import (\nimport ok\n"
    rows = extract_imports("python", parse("python", data), data)  # never raises on syntax errors
    assert all(r.line >= 1 for r in rows)
