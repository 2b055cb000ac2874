"""Import resolution against golden fixture repositories under ``fixtures/deps/``.

Every fixture is a small real repository of one language family (plus a polyglot monorepo).
``EXPECTED`` lists each (importer, module) edge and what it must resolve to: a repository path,
or ``ext:<package>`` for an external import, or None for neither.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from repointel import Repo
from repointel.extract.deps import ImportResolver, parse_jsonc
from repointel.extract.imports import extract_imports
from repointel.models import ImportRecord
from repointel.parse.languages import language_for_file, parse

DEPS = Path(__file__).resolve().parents[1] / "fixtures" / "deps"


def fixture_files(name: str) -> list[str]:
    """Every file of fixture ``name`` as a repository-relative POSIX path."""
    root = DEPS / name
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def resolve_fixture(name: str) -> tuple[ImportResolver, dict[str, list[tuple[str, ImportRecord]]]]:
    """Extract and resolve every import of fixture ``name``: importer → [(language, resolved record)]."""
    root = DEPS / name

    def read_text(rel: str) -> str | None:
        try:
            return (root / rel).read_text(encoding="utf-8")
        except OSError:
            return None

    files = fixture_files(name)
    resolver = ImportResolver(files, read_text)
    out: dict[str, list[tuple[str, ImportRecord]]] = {}
    for rel in files:
        data = (root / rel).read_bytes()
        lang = language_for_file(rel, data[:8192])
        if lang is None:
            continue
        for rec in extract_imports(lang, parse(lang, data), data):
            out.setdefault(rel, []).append((lang, resolver.resolve(rel, lang, rec)))
    return resolver, out


def _outcome(rec: ImportRecord) -> str | None:
    return rec.resolved if rec.resolved else (f"ext:{rec.external}" if rec.external else None)


EXPECTED: dict[str, list[tuple[str, str, str | None]]] = {
    "python": [
        ("src/acme/__init__.py", "core", "src/acme/core.py"),               # from .core import run
        ("src/acme/core.py", "", "src/acme/util.py"),                        # from . import util (submodule)
        ("src/acme/core.py", "util", "src/acme/util.py"),
        ("src/acme/core.py", "acme.sub", "src/acme/sub/deep.py"),            # src layout, submodule name
        ("src/acme/core.py", "os", "ext:os"),                                # stdlib is external
        ("src/acme/sub/deep.py", "core", "src/acme/core.py"),               # from ..core import run
        ("src/nsp/plugins/extra.py", "nsp.plugins.more", "src/nsp/plugins/more.py"),  # namespace package
        ("scripts/tool.py", "helpers_local", "scripts/helpers_local.py"),   # script directory on sys.path
        ("scripts/tool.py", "acme.core", "src/acme/core.py"),
        ("scripts/tool.py", "requests.adapters", "ext:requests"),
        ("tests/test_core.py", "acme.core", "src/acme/core.py"),
        ("tests/test_extra.py", "nsp.plugins", "src/nsp/plugins/extra.py"),
        ("tests/sub/test_deep.py", "acme.sub.deep", "src/acme/sub/deep.py"),
    ],
    "js": [
        ("src/index.ts", "./lib", "src/lib/index.ts"),                       # directory index file
        ("src/index.ts", "@app/util/format", "src/util/format.ts"),          # tsconfig paths wildcard
        ("src/index.ts", "@lib", "src/lib/index.ts"),                        # tsconfig paths exact
        ("src/index.ts", "./types", "src/types.d.ts"),                       # .d.ts
        ("src/index.ts", "./lib/math", "src/lib/math.ts"),                   # export * from
        ("src/index.ts", "react", "ext:react"),
        ("src/index.ts", "@scope/pkg/sub/path", "ext:@scope/pkg"),           # scoped npm name
        ("src/legacy.js", "./lib/math", "src/lib/math.ts"),                  # require
        ("src/legacy.js", "./util/format.js", "src/util/format.ts"),         # ESM .js → .ts source
        ("src/legacy.js", "node:fs", "ext:fs"),
        ("src/components/Button.tsx", "../util/format", "src/util/format.ts"),
        ("src/components/Button.tsx", "src/components/Base", "src/components/Base.jsx"),  # baseUrl
        ("src/components/Button.tsx", "components/Base", "ext:components"),
        ("tests/math.spec.js", "../src/lib/math", "src/lib/math.ts"),
    ],
    "go": [
        ("main.go", "example.com/shop/internal/cart", "internal/cart/cart.go"),
        ("main.go", "fmt", "ext:fmt"),
        ("main.go", "net/http", "ext:net/http"),
        ("main.go", "golang.org/x/text/language", "ext:golang.org/x/text"),  # go.mod require entry
        ("internal/cart/cart.go", "example.com/shop/internal/price", "internal/price/price.go"),
        ("internal/cart/cart_test.go", "github.com/stretchr/testify/assert", "ext:github.com/stretchr/testify"),
        ("internal/price/price_external_test.go", "example.com/shop/internal/price", "internal/price/price.go"),
    ],
    "java": [
        ("src/main/java/com/acme/app/App.java", "com.acme.model.User", "src/main/java/com/acme/model/User.java"),
        ("src/main/java/com/acme/app/App.java", "com.acme.model.User.Role",
         "src/main/java/com/acme/model/User.java"),                          # nested class → outer file
        ("src/main/java/com/acme/app/App.java", "com.acme.util", "src/main/java/com/acme/util/Numbers.java"),
        ("src/main/java/com/acme/app/App.java", "com.acme.util.Strings",
         "src/main/java/com/acme/util/Strings.java"),                        # import static
        ("src/main/java/com/acme/app/App.java", "java.util.List", "ext:java.util"),
        ("src/test/java/com/acme/model/UserTest.java", "org.junit.jupiter.api.Test", "ext:org.junit.jupiter.api"),
    ],
    "kotlin": [
        ("app/src/main/kotlin/com/acme/app/App.kt", "com.acme.model.User", "app/src/main/kotlin/com/acme/model/User.kt"),
        ("app/src/main/kotlin/com/acme/app/App.kt", "com.acme.model.User.Role",
         "app/src/main/kotlin/com/acme/model/User.kt"),                     # nested class → outer file
        ("app/src/main/kotlin/com/acme/app/App.kt", "com.acme.util",
         "app/src/main/kotlin/com/acme/util/Prices.kt"),                    # wildcard → the package
        ("app/src/main/kotlin/com/acme/app/App.kt", "com.acme.util.formatPrice",
         "app/src/main/kotlin/com/acme/util/Prices.kt"),                    # top-level function → its package
        ("app/src/main/kotlin/com/acme/app/App.kt", "com.acme.legacy.LegacyCodec",
         "app/src/main/java/com/acme/legacy/LegacyCodec.java"),            # a Java class
        ("app/src/main/kotlin/com/acme/app/App.kt", "java.time.Instant", "ext:java.time"),
        ("app/src/main/kotlin/com/acme/app/App.kt", "kotlinx.coroutines.launch", "ext:kotlinx.coroutines"),
        ("app/src/test/kotlin/com/acme/util/PricesTest.kt", "org.junit.jupiter.api.Test", "ext:org.junit.jupiter.api"),
    ],
    "swift": [
        ("Sources/ShopCLI/main.swift", "Shop", "Sources/Shop/Cart.swift"),      # SwiftPM target → its files
        ("Sources/ShopCLI/main.swift", "ArgumentParser", "ext:ArgumentParser"),
        ("Sources/Shop/Cart.swift", "Foundation", "ext:Foundation"),
        ("Tests/ShopTests/CartTests.swift", "Shop", "Sources/Shop/Cart.swift"),  # @testable import
        ("Tests/ShopTests/CartTests.swift", "XCTest", "ext:XCTest"),
        ("Package.swift", "PackageDescription", "ext:PackageDescription"),
    ],
    "php": [
        ("src/Cart.php", "Acme\\Shop\\Model\\Item", "src/Model/Item.php"),          # composer PSR-4
        ("src/Cart.php", "Legacy\\Util\\Strings", "lib/Legacy/Util/Strings.php"),      # no map: by its path
        ("src/Cart.php", "Psr\\Log\\LoggerInterface", "ext:Psr\\Log"),
        ("src/Cart.php", "Acme\\Shop\\format_price", "src/functions.php"),           # autoloaded files
        ("src/Cart.php", "./legacy/compat.php", "src/legacy/compat.php"),           # __DIR__ . '/…'
        ("tests/CartTest.php", "Acme\\Shop\\Cart", "src/Cart.php"),
        ("tests/CartTest.php", "PHPUnit\\Framework\\TestCase", "ext:PHPUnit\\Framework"),
    ],
    "shell": [
        ("bin/shop", "lib/shop/cart.sh", "lib/shop/cart.sh"),                  # after "$SHOP_ROOT/
        ("lib/shop/cart.sh", "lib/shop/util.sh", "lib/shop/util.sh"),
        ("test/cart.bats", "test_helper.bash", "test/test_helper.bash"),      # bats load
        ("test/cart.bats", "lib/shop/cart.sh", "lib/shop/cart.sh"),           # from the checkout's root
    ],
    "scala": [
        ("core/src/main/scala/acme/shop/Cart.scala", "acme.shop.model.Item",
         "core/src/main/scala/acme/shop/model/Item.scala"),
        ("core/src/main/scala/acme/shop/Cart.scala", "acme.shop.util.formatPrice",
         "core/src/main/scala/acme/shop/util/Clock.scala"),                  # a package object's member: the package
        ("core/src/main/scala/acme/shop/Cart.scala", "acme.shop.util.Clock",
         "core/src/main/scala/acme/shop/util/Clock.scala"),
        ("core/src/main/scala/acme/shop/Cart.scala", "cats.effect.IO", "ext:cats.effect"),
        ("core/src/main/scala/acme/shop/Cart.scala", "scala.collection.mutable", "ext:scala.collection"),
        ("core/src/main/scala/acme/shop/Main.scala", "model",
         "core/src/main/scala/acme/shop/model/Item.scala"),                  # relative to the package
        ("core/src/test/scala/acme/shop/CartSuite.scala", "acme.shop.model.Drinks",
         "core/src/main/scala/acme/shop/model/Item.scala"),                  # one of several in a file
    ],
    "lua": [
        ("src/shop/init.lua", "shop.cart", "src/shop/cart/init.lua"),          # a/b/init.lua under src/
        ("src/shop/cart/init.lua", "shop.price", "src/shop/price.lua"),
        ("src/shop/cart/init.lua", "cjson", "ext:cjson"),
        ("spec/shop/cart_spec.lua", "shop.cart", "src/shop/cart/init.lua"),
    ],
    "elixir": [
        ("lib/shop.ex", "Shop.Cart", "lib/shop/cart.ex"),
        ("lib/shop/cart.ex", "Shop.Item", "lib/shop/item.ex"),                 # alias Shop.{Item, Price}
        ("lib/shop/cart.ex", "Shop.Price", "lib/shop/price.ex"),
        ("lib/shop/cart.ex", "Logger", "ext:Logger"),
        ("lib/shop_web/cart_json.ex", "Shop.Cart.Line", "lib/shop/cart.ex"),    # nested in cart.ex
        ("lib/shop_web/cart_json.ex", "Shop.Price", "lib/shop/price.ex"),
        ("test/shop/cart_test.exs", "Shop.Fixtures", "test/support/fixtures.ex"),
        ("test/shop/cart_test.exs", "ExUnit.Case", "ext:ExUnit"),
        ("mix.exs", "Mix.Project", "ext:Mix"),
    ],
    "dart": [
        ("lib/shop.dart", "src/cart.dart", "lib/src/cart.dart"),                 # export, relative
        ("lib/src/cart.dart", "package:shop/src/item.dart", "lib/src/item.dart"),  # pubspec name → lib/
        ("lib/src/cart.dart", "package:http/http.dart", "ext:http"),
        ("lib/src/cart.dart", "dart:math", "ext:dart:math"),
        ("lib/src/cart.dart", "cart_json.dart", "lib/src/cart_json.dart"),        # part
        ("test/cart_test.dart", "package:shop/shop.dart", "lib/shop.dart"),
        ("test/cart_test.dart", "package:test/test.dart", "ext:test"),
    ],
    "haskell": [
        ("src/Shop/Cart.hs", "Shop.Item", "src/Shop/Item.hs"),                   # hs-source-dirs: src
        ("src/Shop/Cart.hs", "Data.Map.Strict", "ext:Data.Map.Strict"),
        ("app/Main.hs", "Shop.Cart", "src/Shop/Cart.hs"),
        ("test/Shop/CartSpec.hs", "Shop.Cart", "src/Shop/Cart.hs"),
        ("test/Shop/CartSpec.hs", "Test.Hspec", "ext:Test.Hspec"),
    ],
    "ocaml": [
        ("src/cart.ml", "Item", "src/item.ml"),                                  # same library folder
        ("src/cart.ml", "List", "ext:List"),
        ("src/cart.ml", "Yojson.Safe", "ext:Yojson"),
        ("src/cart.mli", "Item", "src/item.ml"),
        ("bin/main.ml", "Shop.Cart", "src/cart.ml"),                             # a wrapped dune library
        ("bin/main.ml", "Shop.Item", "src/item.ml"),
        ("test/test_cart.ml", "Shop", None),                                     # the library, no shop.ml
        ("test/test_cart.ml", "Cart", "src/cart.ml"),                            # after `open Shop`
    ],
    "zig": [
        ("src/shop.zig", "cart.zig", "src/cart.zig"),                             # a path: from the file
        ("src/cart.zig", "util/format.zig", "src/util/format.zig"),
        ("src/cart.zig", "std", "ext:std"),
        ("src/main.zig", "shop", "src/shop.zig"),                                # build.zig's addModule
        ("test/cart_test.zig", "../src/cart.zig", "src/cart.zig"),
    ],
    "julia": [
        ("src/Shop.jl", "cart.jl", "src/cart.jl"),                                # include
        ("src/Shop.jl", "util/format.jl", "src/util/format.jl"),
        ("src/Shop.jl", "JSON", "ext:JSON"),
        ("src/Shop.jl", "Format", None),                                         # using .Format: included
        ("test/runtests.jl", "Shop", "src/Shop.jl"),                             # Project.toml name
        ("test/runtests.jl", "cart.jl", "test/cart.jl"),
        ("test/cart.jl", "Shop", "src/Shop.jl"),
    ],
    "perl": [
        ("lib/Shop.pm", "Shop::Cart", "lib/Shop/Cart.pm"),                       # lib/ on @INC
        ("lib/Shop/Cart.pm", "Shop::Base", "lib/Shop/Base.pm"),                 # use parent
        ("lib/Shop/Cart.pm", "List::Util", "ext:List::Util"),
        ("lib/Shop/Cart.pm", "Shop/legacy.pl", "lib/Shop/legacy.pl"),           # require "…" through lib/
        ("t/01-cart.t", "Shop::Cart", "lib/Shop/Cart.pm"),
        ("t/01-cart.t", "Test::More", "ext:Test::More"),
    ],
    "objc": [
        ("Shop/SHPCart.h", "SHPItem.h", "Shop/SHPItem.h"),                       # an Objective-C header
        ("Shop/SHPCart.h", "Foundation/Foundation.h", "ext:Foundation"),
        ("Shop/SHPCart.m", "SHPCart.h", "Shop/SHPCart.h"),
        ("Shop/SHPCart.m", "QuartzCore", "ext:QuartzCore"),                      # @import
        ("Tests/ShopTests/SHPCartTests.m", "Shop/SHPCart.h", "Shop/SHPCart.h"),  # framework-style <Shop/…>
        ("Tests/ShopTests/SHPCartTests.m", "XCTest/XCTest.h", "ext:XCTest"),
    ],
    "rust": [
        ("src/lib.rs", "shapes", "src/shapes/mod.rs"),                       # mod x; → x/mod.rs
        ("src/lib.rs", "util", "src/util.rs"),                               # mod x; → x.rs
        ("src/lib.rs", "crate::shapes::circle", "src/shapes/circle.rs"),
        ("src/lib.rs", "serde", "ext:serde"),
        ("src/util.rs", "math", "src/util/math.rs"),                         # non-mod.rs parent
        ("src/shapes/circle.rs", "super::square", "src/shapes/square.rs"),
        ("src/shapes/circle.rs", "crate::util::math", "src/util/math.rs"),
        ("src/shapes/circle.rs", "std::f64::consts", "ext:std"),
        ("src/shapes/square.rs", "super::super::util::math", "src/util/math.rs"),
        ("tests/shapes.rs", "common", "tests/common/mod.rs"),
        ("tests/shapes.rs", "geo_kit::shapes::circle", "src/shapes/circle.rs"),  # own crate by name
    ],
    "c": [
        ("src/api.c", "mylib/api.h", "include/mylib/api.h"),                 # include dir
        ("src/api.c", "internal.h", "src/internal.h"),                       # relative to the file
        ("src/api.c", "stdio.h", "ext:stdio.h"),
        ("src/wrapper.cpp", "mylib/api.h", "include/mylib/api.h"),           # <> through include dir
        ("src/wrapper.cpp", "vector", "ext:vector"),
        ("tests/test_api.c", "mylib/api.h", "include/mylib/api.h"),
    ],
    "ruby": [
        ("lib/shop.rb", "json", "ext:json"),
        ("lib/shop.rb", "shop/cart", "lib/shop/cart.rb"),                    # require against lib/
        ("lib/shop.rb", "shop/price", "lib/shop/price.rb"),                  # require_relative
        ("lib/shop/cart.rb", "price", "lib/shop/price.rb"),
        ("spec/shop/cart_spec.rb", "spec_helper", "spec/spec_helper.rb"),
        ("spec/shop/cart_spec.rb", "shop/cart", "lib/shop/cart.rb"),
    ],
    "csharp": [
        ("src/Acme.Core/Services/UserService.cs", "Acme.Core.Models", "src/Acme.Core/Models/User.cs"),
        ("src/Acme.Core/Services/UserService.cs", "System", "ext:System"),
        ("tests/Acme.Core.Tests/Services/UserServiceTests.cs", "Acme.Core.Services",
         "src/Acme.Core/Services/UserService.cs"),
        ("tests/Acme.Core.Tests/Services/UserServiceTests.cs", "Xunit", "ext:Xunit"),
    ],
    "monorepo": [
        ("services/api/src/api_svc/handlers.py", "api_svc.models", "services/api/src/api_svc/models.py"),
        ("services/api/tests/test_handlers.py", "api_svc.handlers", "services/api/src/api_svc/handlers.py"),
        ("packages/web/src/app.ts", "@mono/shared", "packages/shared/src/index.ts"),  # workspace package
        ("packages/web/src/app.ts", "@mono/shared/math", "packages/shared/src/math.ts"),  # exports subpath
        ("packages/web/src/app.ts", "~/pages/home", "packages/web/src/pages/home.ts"),  # nested tsconfig
        ("tools/cmd/tool/main.go", "example.com/mono/tools/pkg/fmtx", "tools/pkg/fmtx/fmtx.go"),  # nested go.mod
        ("crates/cli/src/main.rs", "mono_core::thing", "crates/core/src/thing.rs"),  # workspace crate
        ("crates/core/src/lib.rs", "thing", "crates/core/src/thing.rs"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_edges(name: str) -> None:
    _, resolved = resolve_fixture(name)
    got = {(imp, rec.module): _outcome(rec) for imp, recs in resolved.items() for _, rec in recs}
    problems = [(imp, mod, want, got.get((imp, mod), "<no such import>"))
                for imp, mod, want in EXPECTED[name] if got.get((imp, mod), "<no such import>") != want]
    assert problems == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_resolved_paths_exist_and_external_excludes_resolved(name: str) -> None:
    files = set(fixture_files(name))
    _, resolved = resolve_fixture(name)
    for importer, recs in resolved.items():
        for _, rec in recs:
            assert rec.path == importer
            assert rec.resolved is None or rec.resolved in files
            assert not (rec.resolved and rec.external)


def test_resolve_all_lists_every_file_of_a_package() -> None:
    resolver, resolved = resolve_fixture("go")
    rec = next(r for _, r in resolved["main.go"] if r.module.endswith("/cart"))
    assert resolver.resolve_all("main.go", "go", rec) == ["internal/cart/cart.go", "internal/cart/item.go"]
    resolver, resolved = resolve_fixture("java")
    app = "src/main/java/com/acme/app/App.java"
    wildcard = next(r for _, r in resolved[app] if r.kind == "wildcard")
    assert resolver.resolve_all(app, "java", wildcard) == [
        "src/main/java/com/acme/util/Numbers.java", "src/main/java/com/acme/util/Strings.java"]
    py_rec = next(r for _, r in resolve_fixture("python")[1]["tests/test_core.py"])
    assert ImportResolver(fixture_files("python"), lambda _: None).resolve_all(
        "tests/test_core.py", "python", py_rec) == ["src/acme/core.py"]


def test_kotlin_member_import_brings_in_its_package() -> None:
    """A top-level function lives in a file named otherwise: the import reaches every file of
    its package (the defining one among them); a class import reaches its own file only."""
    resolver, resolved = resolve_fixture("kotlin")
    app = "app/src/main/kotlin/com/acme/app/App.kt"
    by_module = {rec.module: rec for _, rec in resolved[app]}
    util = "app/src/main/kotlin/com/acme/util/"
    assert resolver.resolve_all(app, "kotlin", by_module["com.acme.util.formatPrice"]) == [
        util + "Prices.kt", util + "Strings.kt"]
    assert resolver.resolve_all(app, "kotlin", by_module["com.acme.model.User"]) == [
        "app/src/main/kotlin/com/acme/model/User.kt"]
    assert by_module["com.acme.util.formatPrice"].names == ["price"]  # import … as price


def test_swift_import_brings_in_the_whole_module() -> None:
    resolver, resolved = resolve_fixture("swift")
    main = "Sources/ShopCLI/main.swift"
    rec = next(rec for _, rec in resolved[main] if rec.module == "Shop")
    assert resolver.resolve_all(main, "swift", rec) == ["Sources/Shop/Cart.swift", "Sources/Shop/Models/Item.swift"]


def test_swift_module_without_a_manifest_is_its_directory() -> None:
    """An Xcode or CocoaPods layout: the module is the directory named after it."""
    files = ["Networking/Client.swift", "Networking/Request.swift", "App/AppDelegate.swift"]
    resolver = ImportResolver(files, lambda _: None)
    rec = ImportRecord(module="Networking")
    assert resolver.resolve_all("App/AppDelegate.swift", "swift", rec) == files[:2]
    assert resolver.resolve("App/AppDelegate.swift", "swift", ImportRecord(module="UIKit")).external == "UIKit"


def test_objc_framework_import_finds_the_one_header_of_its_name() -> None:
    """``<AFNetworking/UIButton+AFNetworking.h>``: the framework's headers live in UIKit+AFNetworking/."""
    files = ["UIKit+AFNetworking/UIButton+AFNetworking.h", "Framework/AFNetworking.h", "C/a.h", "D/a.h"]
    resolver = ImportResolver(files, lambda _: None)
    framework = ImportRecord(module="AFNetworking/UIButton+AFNetworking.h", kind="include_system")
    assert resolver.resolve("Framework/AFNetworking.h", "objc", framework).resolved == files[0]
    ambiguous = ImportRecord(module="Lib/a.h", kind="include_system")
    assert resolver.resolve("Framework/AFNetworking.h", "objc", ambiguous).external == "Lib"
    assert resolver.resolve("Framework/AFNetworking.h", "c", framework).resolved is None  # C keeps its rules


def test_relative_import_beyond_top_level_is_unresolved() -> None:
    _, resolved = resolve_fixture("python")
    rec = next(r for _, r in resolved["src/acme/sub/deep.py"] if "nothing_above_top" in r.names)
    assert (rec.resolved, rec.external) == (None, None)


def test_python_package_beats_module_and_submodule_beats_package() -> None:
    files = ["pkg/__init__.py", "pkg.py", "pkg/sub.py", "app.py"]
    r = ImportResolver(files, lambda _: None)
    assert r.resolve("app.py", "python", ImportRecord(module="pkg")).resolved == "pkg/__init__.py"
    sub = ImportRecord(module="pkg", names=["nothing", "sub"], kind="from")
    assert r.resolve("app.py", "python", sub).resolved == "pkg/sub.py"
    attr = ImportRecord(module="pkg", names=["value"], kind="from")
    assert r.resolve("app.py", "python", attr).resolved == "pkg/__init__.py"


def test_namespace_package_without_file_is_internal_not_external() -> None:
    r = ImportResolver(["ns/a/mod.py", "app.py"], lambda _: None)
    rec = r.resolve("app.py", "python", ImportRecord(module="ns.a"))
    assert (rec.resolved, rec.external) == (None, None)


def test_unknown_language_and_malformed_records_are_harmless() -> None:
    r = ImportResolver(["a.py"], lambda _: None)
    assert r.resolve("a.py", "cobol", ImportRecord(module="x")).resolved is None
    assert r.resolve("a.py", "python", ImportRecord(module="", level=9)).resolved is None
    assert r.resolve("a.rs", "rust", ImportRecord(module="", kind="use")).resolved is None


def test_parse_jsonc_handles_comments_in_strings_and_trailing_commas() -> None:
    text = '{"a": "http://x//y", /* c */ "b": [1, 2,], // end\n}'
    assert parse_jsonc(text) == {"a": "http://x//y", "b": [1, 2]}


def test_resolver_build_is_fast_on_many_files() -> None:
    import time

    files = [f"pkg{i}/mod{j}.py" for i in range(200) for j in range(50)] + [
        f"pkg{i}/__init__.py" for i in range(200)]
    start = time.perf_counter()
    r = ImportResolver(files, lambda _: None)
    recs = [ImportRecord(module=f"pkg{i % 200}.mod{i % 50}") for i in range(2000)]
    assert all(r.resolve("pkg0/mod0.py", "python", rec).resolved for rec in recs)
    assert time.perf_counter() - start < 2.0


def test_go_replace_directive_maps_a_module_to_a_local_directory() -> None:
    gomod = "module example.com/app\n\nreplace example.com/lib v1.2.0 => ../lib\n"
    files = ["app/go.mod", "app/main.go", "lib/util/util.go"]
    r = ImportResolver(files, lambda p: gomod if p == "app/go.mod" else None)
    rec = r.resolve("app/main.go", "go", ImportRecord(module="example.com/lib/util"))
    assert rec.resolved == "lib/util/util.go"


def test_index_links_every_file_of_an_imported_package(tmp_path: Path) -> None:
    """A Go import of a package reaches each of its files: importers, import edges and impact."""
    root = tmp_path / "go"
    shutil.copytree(DEPS / "go", root)
    with Repo.open(root) as repo:
        repo.index(workers=1)
        for f in ("internal/cart/cart.go", "internal/cart/item.go"):
            assert "main.go" in {r.path for r in repo.deps(f).importers}, f
        edges = {tuple(r) for r in repo.query("SELECT src, dst FROM file_edges WHERE kind = 'import'")["rows"]}
        assert {("main.go", "internal/cart/cart.go"), ("main.go", "internal/cart/item.go")} <= edges
        assert [r.resolved for r in repo.deps("main.go").imports if r.module.endswith("/cart")] == [
            "internal/cart/cart.go", "internal/cart/item.go"]


def test_module_names_used_as_qualifiers_carry_no_reference_edge(tmp_path: Path) -> None:
    """``std::sync::Arc`` names the module sync, not the one file with an inline ``mod sync``;
    a Ruby module is a mixin (``include Pricing``) and keeps its edge."""
    from .conftest import make_git_repo

    root = make_git_repo(tmp_path / "r", {
        "src/loom.rs": "pub(crate) mod sync {\n    pub(crate) use std::sync::Mutex;\n}\n",
        "src/pool.rs": "use std::sync::Arc;\nuse std::sync::Mutex;\npub fn pool() -> Arc<Mutex<u8>> {\n"
                       "    let a = std::sync::Arc::new(Mutex::new(0));\n    a\n}\n",
        "lib/pricing.rb": "module Pricing\n  def total\n    0\n  end\nend\n",
        "lib/cart.rb": "class Cart\n  include Pricing\n  include Pricing\nend\n",
    })
    with Repo.open(root) as repo:
        repo.index(workers=1)
        edges = {tuple(r) for r in repo.query("SELECT src, dst FROM file_edges WHERE kind = 'reference'")["rows"]}
    assert ("src/pool.rs", "src/loom.rs") not in edges
    assert ("lib/cart.rb", "lib/pricing.rb") in edges


@pytest.mark.parametrize(("folder", "package"), [
    ("core/src/main/java/com/acme", ["com", "acme"]), ("okhttp/src/jvmMain/kotlin/okhttp3", ["okhttp3"]),
    ("tests/shared/src/test/scala-2.13+/cats/effect", ["cats", "effect"]),  # a Scala version's own root
    ("lib/java/util", ["lib", "java", "util"]),  # no src/ before it: not a source root
])
def test_jvm_package_segments_start_after_the_source_root(folder: str, package: list[str]) -> None:
    from repointel.extract.deps import package_segments

    assert package_segments(folder) == package
