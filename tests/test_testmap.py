"""Test-to-source links on the golden fixtures, test-path conventions and focused test commands."""

from __future__ import annotations

import pytest

from repointel import models
from repointel.extract.testmap import (
    IMPORT_DIRECT,
    IMPORT_UBIQUITOUS,
    NAMING_SAME_DIR,
    focused_command,
    focused_test_command,
    is_test_function,
    is_test_path,
    is_test_support,
    link_tests,
    named_test_cases,
    narrow_to_tests,
    source_candidates,
)
from repointel.models import ImportRecord
from tests.test_deps import fixture_files, resolve_fixture


def _links(name: str) -> list[models.TestLink]:
    _, resolved = resolve_fixture(name)
    imports = {path: [rec for _, rec in recs] for path, recs in resolved.items()}
    return link_tests(fixture_files(name), imports, None, None, focused_test_command)


#: (test, source, reason) links each fixture must produce.
EXPECTED_LINKS: dict[str, list[tuple[str, str, str]]] = {  # noqa: E501
    "python": [
        ("tests/test_core.py", "src/acme/core.py", "import"),
        ("tests/sub/test_deep.py", "src/acme/sub/deep.py", "import"),
        ("tests/test_extra.py", "src/nsp/plugins/extra.py", "import"),
        ("tests/test_util.py", "src/acme/util.py", "naming"),       # no import, name only
    ],
    "js": [
        ("src/util/format.test.ts", "src/util/format.ts", "naming"),  # colocated
        ("tests/math.spec.js", "src/lib/math.ts", "naming"),          # mirrored tree, and required
    ],
    "go": [
        ("internal/cart/cart_test.go", "internal/cart/cart.go", "naming"),
        ("internal/cart/cart_test.go", "internal/cart/item.go", "naming"),  # same package, weaker
        ("internal/price/price_external_test.go", "internal/price/price.go", "import"),
    ],
    "java": [
        ("src/test/java/com/acme/model/UserTest.java", "src/main/java/com/acme/model/User.java", "naming"),
        ("src/test/java/com/acme/util/StringsTest.java", "src/main/java/com/acme/util/Strings.java", "naming"),
    ],
    "kotlin": [
        ("app/src/test/kotlin/com/acme/model/UserTest.kt", "app/src/main/kotlin/com/acme/model/User.kt", "naming"),
        ("app/src/test/kotlin/com/acme/util/PricesTest.kt", "app/src/main/kotlin/com/acme/util/Prices.kt", "naming"),
    ],
    "swift": [("Tests/ShopTests/CartTests.swift", "Sources/Shop/Cart.swift", "import")],  # and by name
    "php": [("tests/CartTest.php", "src/Cart.php", "naming")],  # and imported
    "shell": [("test/cart.bats", "lib/shop/cart.sh", "import")],
    "scala": [("core/src/test/scala/acme/shop/CartSuite.scala", "core/src/main/scala/acme/shop/Cart.scala",
               "naming")],
    "lua": [("spec/shop/cart_spec.lua", "src/shop/cart/init.lua", "import")],
    "elixir": [("test/shop/cart_test.exs", "lib/shop/cart.ex", "naming")],  # and aliased
    "dart": [("test/cart_test.dart", "lib/src/cart.dart", "naming")],
    "haskell": [("test/Shop/CartSpec.hs", "src/Shop/Cart.hs", "naming")],  # and imported
    "ocaml": [("test/test_cart.ml", "src/cart.ml", "naming")],  # and used
    "zig": [("test/cart_test.zig", "src/cart.zig", "naming")],  # and imported
    "julia": [("test/cart.jl", "src/cart.jl", "naming")],  # and using the package
    "perl": [("t/01-cart.t", "lib/Shop/Cart.pm", "import")],  # and by name
    "objc": [("Tests/ShopTests/SHPCartTests.m", "Shop/SHPCart.m", "naming")],
    "rust": [("tests/shapes.rs", "src/shapes/circle.rs", "import"), ("tests/shapes.rs", "src/shapes/mod.rs", "naming")],
    "c": [("tests/test_api.c", "src/api.c", "naming"), ("tests/test_api.c", "include/mylib/api.h", "import")],
    "ruby": [("spec/shop/cart_spec.rb", "lib/shop/cart.rb", "naming")],
    "csharp": [("tests/Acme.Core.Tests/Services/UserServiceTests.cs", "src/Acme.Core/Services/UserService.cs",
                "import")],
    "monorepo": [
        ("services/api/tests/test_handlers.py", "services/api/src/api_svc/handlers.py", "import"),
        ("packages/shared/src/index.test.ts", "packages/shared/src/index.ts", "naming"),
        ("tools/pkg/fmtx/fmtx_test.go", "tools/pkg/fmtx/fmtx.go", "naming"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_LINKS))
def test_golden_links(name: str) -> None:
    got = {(t.test_path, t.source_path): t for t in _links(name)}
    for test, source, reason in EXPECTED_LINKS[name]:
        assert (test, source) in got, (test, source, sorted(got))
        assert got[(test, source)].reason == reason
        assert 0.0 < got[(test, source)].confidence <= 1.0
        assert got[(test, source)].command


@pytest.mark.parametrize("name", sorted(EXPECTED_LINKS))
def test_links_are_unique_and_point_from_tests_to_sources(name: str) -> None:
    links = _links(name)
    pairs = [(t.test_path, t.source_path) for t in links]
    assert len(pairs) == len(set(pairs))
    assert all(is_test_path(t.test_path) and not is_test_path(t.source_path) for t in links)


def test_python_test_package_init_is_not_linked_by_name() -> None:
    assert not [t for t in _links("python") if t.test_path.endswith("__init__.py")]


def test_agreeing_reasons_raise_confidence() -> None:
    files = ["src/foo.py", "tests/test_foo.py", "tests/test_bar.py", "src/bar.py"]
    imports = {"tests/test_foo.py": [ImportRecord(module="foo", resolved="src/foo.py")],
               "tests/test_bar.py": [ImportRecord(module="foo", resolved="src/foo.py")]}
    links = {(t.test_path, t.source_path): t for t in link_tests(files, imports)}
    both, only_import = links[("tests/test_foo.py", "src/foo.py")], links[("tests/test_bar.py", "src/foo.py")]
    assert only_import.reason == "import" and only_import.confidence == IMPORT_DIRECT
    assert both.confidence > max(only_import.confidence, links[("tests/test_bar.py", "src/bar.py")].confidence)


def test_ubiquitous_imports_are_weaker() -> None:
    tests = [f"tests/test_t{i}.py" for i in range(40)]
    imports = {t: [ImportRecord(module="util", resolved="src/util.py"),
                   ImportRecord(module=f"m{i}", resolved=f"src/m{i}.py")] for i, t in enumerate(tests)}
    files = tests + ["src/util.py"] + [f"src/m{i}.py" for i in range(40)]
    links = {(t.test_path, t.source_path): t.confidence for t in link_tests(files, imports)}
    assert links[("tests/test_t3.py", "src/util.py")] == IMPORT_UBIQUITOUS
    assert links[("tests/test_t3.py", "src/m3.py")] == IMPORT_DIRECT


def test_helper_in_test_package_links_one_hop() -> None:
    files = ["lib/json/decoder.py", "tests/test_json/__init__.py", "tests/test_json/test_decode.py"]
    imports = {"tests/test_json/__init__.py": [ImportRecord(module="json.decoder", resolved="lib/json/decoder.py")],
               "tests/test_json/test_decode.py": [
                   ImportRecord(module="tests.test_json", resolved="tests/test_json/__init__.py")]}
    links = {(t.test_path, t.source_path): t.reason for t in link_tests(files, imports)}
    assert links[("tests/test_json/test_decode.py", "lib/json/decoder.py")] == "import"


def test_reference_links_need_distinctive_names() -> None:
    files = ["src/parser.py", "src/common.py", "src/other.py", "tests/test_things.py"]
    refs = {"tests/test_things.py": {"parse_config": 3, "Tokenizer": 1, "run": 9, "ok": 2}}
    defs = {"parse_config": ["src/parser.py"], "Tokenizer": ["src/parser.py"],
            "run": ["src/parser.py", "src/common.py", "src/other.py", "a.py", "b.py", "c.py"]}
    links = link_tests(files, {}, refs, defs)
    assert [(t.source_path, t.reason) for t in links] == [("src/parser.py", "reference")]
    assert 0.2 < links[0].confidence < 0.6


def test_go_same_package_is_weaker_than_the_named_file() -> None:
    links = {t.source_path: t.confidence for t in _links("go") if t.test_path == "internal/cart/cart_test.go"}
    assert links["internal/cart/cart.go"] == NAMING_SAME_DIR > links["internal/cart/item.go"]


@pytest.mark.parametrize(("path", "expected"), [
    ("tests/test_foo.py", True), ("pkg/test_foo.py", True), ("pkg/foo_test.py", True),
    ("pkg/conftest.py", True), ("src/foo.py", False), ("src/testing_utils.py", False),
    ("src/foo.test.ts", True), ("src/foo.spec.js", True), ("src/foo.spec.tsx", True), ("src/latest.ts", False),
    ("__tests__/foo.js", True), ("pkg/foo_test.go", True), ("pkg/foo.go", False),
    ("src/test/java/a/FooTest.java", True), ("src/main/java/a/FooTests.java", True),
    ("src/main/java/a/Contest.java", False), ("spec/models/user_spec.rb", True), ("lib/user.rb", False),
    ("Foo.Tests/BarTests.cs", True), ("src/Bar.cs", False), ("tests/integration.rs", True),
    ("src/lib.rs", False), ("src/attestation.py", False), ("src/it/UserIT.java", True), ("vm/JIT.java", False),
    ("src/test/kotlin/a/FooTest.kt", True), ("src/main/kotlin/a/Foo.kt", False),
    ("Tests/ShopTests/Helpers.swift", True), ("App/CartTests.swift", True), ("Sources/Shop/Cart.swift", False),
    ("Sources/Shop/Latest.swift", False), ("tests/Unit/CartTest.php", True), ("src/Latest.php", False),
    ("test/cart.bats", True), ("tests/cart_test.sh", True), ("lib/cart.sh", False),
    ("core/src/test/scala/a/CartSpec.scala", True), ("src/main/scala/a/Cart.scala", False),
    ("okhttp/src/jvmTest/kotlin/okhttp3/FakeDns.kt", True),  # Gradle's test source sets
    ("spec/01-unit/cart_spec.lua", True), ("kong/cart.lua", False),
    ("test/shop/cart_test.exs", True), ("lib/shop/cart.ex", False),
    ("test/cart_test.dart", True), ("lib/src/cart.dart", False),
    ("test/Shop/CartSpec.hs", True), ("src/Shop/Cart.hs", False), ("test/test_cart.ml", True),
    ("src/cart.ml", False), ("test/cart_test.zig", True), ("src/cart.zig", False), ("t/01-cart.t", True),
    ("lib/Shop/Cart.pm", False),
])
def test_is_test_path(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


@pytest.mark.parametrize(("path", "stems"), [
    ("tests/test_foo.py", ["foo"]), ("pkg/foo_test.py", ["foo"]), ("a/foo.test.ts", ["foo"]),
    ("a/FooTest.java", ["Foo"]), ("a/TestFoo.java", ["Foo"]), ("x_test.go", ["x"]), ("spec/a_spec.rb", ["a"]),
    ("T/FooTests.cs", ["Foo"]), ("tests/shapes.rs", ["shapes"]), ("tests/__init__.py", []),
    ("a/FooTest.kt", ["Foo"]), ("Tests/ShopTests/CartTests.swift", ["Cart"]),
    ("tests/Unit/CartTest.php", ["Cart"]), ("test/cart.bats", ["cart"]), ("tests/cart_test.sh", ["cart"]),
    ("a/CartSpec.scala", ["Cart"]), ("a/CartSuite.scala", ["Cart"]), ("spec/01-unit/cart_spec.lua", ["cart"]),
    ("test/shop/cart_test.exs", ["cart"]), ("spec/03-plugins/16-jwt/02-api_spec.lua", ["api"]),
])
def test_source_candidates(path: str, stems: list[str]) -> None:
    assert source_candidates(path) == stems


@pytest.mark.parametrize(("path", "name", "command"), [
    ("tests/test_a.py", None, "pytest tests/test_a.py"),
    ("tests/test_a.py", "test_x", "pytest tests/test_a.py::test_x"),
    ("internal/cart/cart_test.go", "TestNew", "go test ./internal/cart -run '^TestNew$'"),
    ("cart_test.go", None, "go test ."),
    ("src/a.test.ts", None, "npx jest src/a.test.ts"),
    ("tests/shapes.rs", None, "cargo test --test shapes"),
    ("src/lib.rs", "area", "cargo test area"),
    ("src/test/java/a/FooTest.java", None, "mvn -Dtest=FooTest test"),
    ("src/test/java/a/FooTest.java", "bar", "mvn -Dtest=FooTest#bar test"),
    ("spec/a_spec.rb", None, "bundle exec rspec spec/a_spec.rb"),
    ("src/test/kotlin/a/FooTest.kt", None, "gradle test --tests FooTest"),
    ("src/test/kotlin/a/FooTest.kt", "bar", "gradle test --tests FooTest.bar"),
    ("T/FooTests.cs", "Bar", "dotnet test --filter Name=Bar"),
    ("Tests/ShopTests/CartTests.swift", None, "swift test --filter CartTests"),
    ("tests/CartTest.php", None, "vendor/bin/phpunit tests/CartTest.php"),
    ("test/cart.bats", None, "bats test/cart.bats"),
    ("test/cart.bats", "sums items", "bats test/cart.bats -f '^sums\\ items$'"),
    ("tests/cart_test.sh", None, "bash tests/cart_test.sh"),
    ("spec/cart_spec.lua", None, "busted spec/cart_spec.lua"),
    ("test/shop/cart_test.exs", None, "mix test test/shop/cart_test.exs"),
    ("test/cart_test.dart", None, "dart test test/cart_test.dart"),
    ("test/Shop/CartSpec.hs", None, "cabal test --test-options='--match Shop.Cart'"),
    ("test/test_cart.ml", None, "dune test test"),
    ("test/cart_test.zig", None, "zig test test/cart_test.zig"),
    ("test/cart.jl", None, "julia --project test/cart.jl"),
    ("t/01-cart.t", None, "prove -lv t/01-cart.t"), ("test/blackbox/foo.t", None, None),
    ("Tests/ShopTests/SHPCartTests.m", "testTotal", "xcodebuild test -only-testing:ShopTests/SHPCartTests/testTotal"),
    ("test/cart_test.zig", "adds cents", "zig test test/cart_test.zig --test-filter 'adds cents'"),
    ("test/cart_test.dart", "sums items", "dart test test/cart_test.dart --plain-name 'sums items'"),
    ("test/shop/cart_test.exs", "sums items", "mix test test/shop/cart_test.exs --only 'test:test sums items'"),
    ("spec/cart_spec.lua", "adds (two) items", "busted spec/cart_spec.lua --filter 'adds %(two%) items'"),
    ("src/test/scala/a/CartSpec.scala", None, "sbt 'testOnly *CartSpec'"),
    ("src/test/scala/a/CartSpec.scala", "sums items", "sbt 'testOnly *CartSpec -- -z \"sums items\"'"),
    ("tests/CartTest.php", "testTotal", "vendor/bin/phpunit tests/CartTest.php --filter '/::testTotal( |$)/'"),
    ("Tests/ShopTests/CartTests.swift", "testTotal", "swift test --filter CartTests/testTotal"),
    ("README.md", None, None),
])
def test_focused_test_command(path: str, name: str | None, command: str | None) -> None:
    assert focused_test_command(path, name) == command


@pytest.mark.parametrize(("test_path", "generic", "builds", "expected"), [
    ("src/test/java/acme/CartTest.java", "mvn -Dtest=CartTest test",
     [("maven", "pom.xml", "./mvnw test")], "./mvnw -Dtest=CartTest test"),
    ("svc/src/test/java/acme/CartTest.java", "mvn -Dtest=CartTest test",
     [("maven", "pom.xml", "mvn test"), ("gradle", "svc/build.gradle", "cd svc && ./gradlew test")],
     "cd svc && ./gradlew test --tests CartTest"),  # the nearest build owns the test
    ("core/src/test/scala/a/CartSpec.scala", "sbt 'testOnly *CartSpec'",
     [("sbt", "svc/build.sbt", "cd svc && sbt test"), ("sbt", "build.sbt", "sbt test")], "sbt 'testOnly *CartSpec'"),
    ("pkgs/http/test/client_test.dart", "dart test pkgs/http/test/client_test.dart",
     [("pub", "pkgs/http/pubspec.yaml", "cd pkgs/http && flutter test")],
     "cd pkgs/http && flutter test test/client_test.dart"),
    ("test/Shop/CartSpec.hs", "cabal test --test-options='--match Shop.Cart'",
     [("stack", "stack.yaml", "stack test")], "stack test --ta '--match Shop.Cart'"),
    ("test/cart_test.zig", "zig test test/cart_test.zig --test-filter 'adds cents'",
     [("zig", "build.zig", "zig build test")], "zig build test -Dtest-filter='adds cents'"),
    ("apps/shop/test/cart_test.exs", "mix test apps/shop/test/cart_test.exs",
     [("mix", "mix.exs", "mix test")], "mix test apps/shop/test/cart_test.exs"),
    ("pkg/tests/CartTest.php", "vendor/bin/phpunit pkg/tests/CartTest.php",
     [("composer", "pkg/composer.json", "cd pkg && composer test")], "cd pkg && composer test -- tests/CartTest.php"),
    ("tests/CartTest.php", "vendor/bin/phpunit tests/CartTest.php",
     [("composer", "composer.json", "vendor/bin/phpunit")], "vendor/bin/phpunit tests/CartTest.php"),
    ("pkg/Tests/ShopTests/CartTests.swift", "swift test --filter CartTests",
     [("swiftpm", "pkg/Package.swift", "cd pkg && swift test")], "cd pkg && swift test --filter CartTests"),
    ("app/src/test/kotlin/acme/CartTest.kt", "gradle test --tests CartTest",
     [("gradle", "settings.gradle.kts", "./gradlew test")], "./gradlew test --tests CartTest"),
    ("packages/ui/src/cart.test.ts", "npx jest packages/ui/src/cart.test.ts",
     [("pnpm", "package.json", "pnpm test"), ("npm", "packages/ui/package.json", "cd packages/ui && npm test")],
     "cd packages/ui && npm test -- src/cart.test.ts"),  # the package's own runner, path from its dir
    ("packages/vite/src/a.spec.ts", "npx jest packages/vite/src/a.spec.ts",
     [("pnpm", "package.json", "pnpm run test-unit")],
     "pnpm run test-unit packages/vite/src/a.spec.ts"),  # the unit script a chained `test` runs
    ("web/cart.test.js", "npx jest web/cart.test.js", [("make", "Makefile", "make test")],
     "npx jest web/cart.test.js"),  # no node build: the generic command
    ("tests/modules/blocked.c", "ctest -R blocked",
     [("make", "src/Makefile", "make -C src test"), ("cmake", "deps/lib/CMakeLists.txt", "ctest --test-dir deps/lib/build")],
     None),  # ctest runs only what a CMake build above the test declares
    ("tests/cart_test.cc", "ctest -R cart_test", [("cmake", "CMakeLists.txt", "ctest --test-dir build")],
     "ctest -R cart_test"),
    ("tests/test_cart.py", "pytest tests/test_cart.py", [("pip", "pyproject.toml", "python -m pytest")],
     "pytest tests/test_cart.py"),
])
def test_focused_command_follows_the_build(test_path: str, generic: str, builds: list[tuple[str, str, str]],
                                           expected: str | None) -> None:
    assert focused_command(test_path, generic, builds) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("test/test_helper.rb", True), ("spec/spec_helper.rb", True), ("test/integration_helper.rb", True),
    ("sinatra-contrib/lib/sinatra/test_helpers.rb", True), ("tests/conftest.py", True),
    ("tokio/tests/support/mpsc_stream.rs", True), ("src/__tests__/fixtures/hmr.js", True),
    ("testing/helpers/util.py", True), ("test/fixtures/app/models.py", True),
    ("tests/test_helpers.py", False),  # pytest collects it: a test of helpers.py
    ("pkg/helpers/format_test.go", False), ("tokio/tests/sync_mpsc.rs", False), ("spec/models/user_spec.rb", False),
    ("src/__tests__/fixtures.spec.ts", False), ("spec/helpers.lua", True), ("spec/01-unit/router_spec.lua", False),
    ("test/blackbox-tests/test-cases/ppx.t/test_ppx.ml", True),  # a dune cram test's project
])
def test_is_test_support(path: str, expected: bool) -> None:
    assert is_test_path(path) and is_test_support(path) is expected


def test_helpers_and_fixtures_link_no_source() -> None:
    """A test helper or fixture exercises nothing: only real tests are linked (sinatra's
    test_helper.rb came first among a packet's likely tests, and its focused command ran it)."""
    files = ["lib/sinatra/base.rb", "test/test_helper.rb", "test/base_test.rb", "test/fixtures/app.rb"]
    refs = {"test/test_helper.rb": {"Sinatra": 4, "register_extension": 2},
            "test/base_test.rb": {"Sinatra": 3, "register_extension": 1},
            "test/fixtures/app.rb": {"Sinatra": 1, "register_extension": 1}}
    defs = {"Sinatra": ["lib/sinatra/base.rb"], "register_extension": ["lib/sinatra/base.rb"]}
    links = link_tests(files, {}, refs, defs)
    assert {(t.test_path, t.source_path) for t in links} == {("test/base_test.rb", "lib/sinatra/base.rb")}


@pytest.mark.parametrize(("command", "path", "tests", "want"), [
    ("pytest tests/test_cart.py", "tests/test_cart.py", ["test_zero", "TestCart.test_total"],
     "pytest tests/test_cart.py::test_zero tests/test_cart.py::TestCart::test_total"),
    ("go test ./cart", "cart/cart_test.go", ["TestTotal"], "go test ./cart -run '^TestTotal$'"),
    ("go test .", "cart_test.go", ["TestA", "TestB"], "go test . -run '^(TestA|TestB)$'"),
    ("./mvnw -Dtest=CartTest test", "src/test/java/CartTest.java", ["CartTest.total", "CartTest.zero"],
     "./mvnw -Dtest=CartTest#total+zero test"),
    ("./gradlew test --tests CartTest", "src/test/java/CartTest.java", ["CartTest.total"],
     "./gradlew test --tests CartTest.total"),
    ("./gradlew test --tests CartTest", "src/test/kotlin/CartTest.kt", ["CartTest.total", "CartTest.zero"],
     "./gradlew test --tests CartTest.total --tests CartTest.zero"),
    ("bundle exec ruby -Itest test/cart_test.rb", "test/cart_test.rb", ["CartTest.test_total"],
     "bundle exec ruby -Itest test/cart_test.rb -n '/^test_total$/'"),
    ("dotnet test --filter FullyQualifiedName~CartTests", "test/CartTests.cs", ["CartTests.Total", "CartTests.Zero"],
     "dotnet test --filter 'FullyQualifiedName~CartTests.Total|FullyQualifiedName~CartTests.Zero'"),
    ("pnpm run test-unit src/cart.spec.ts", "src/cart.spec.ts", ["total (zero)", "rounds a.b"],
     "pnpm run test-unit src/cart.spec.ts -t 'total \\(zero\\)|rounds a\\.b'"),
    ("cd web && npm test -- src/cart.test.js", "web/src/cart.test.js", ["total"],
     "cd web && npm test -- src/cart.test.js -t total"),
    ("bundle exec rspec spec/cart_spec.rb", "spec/cart_spec.rb", ["totals zero", "rounds"],
     "bundle exec rspec spec/cart_spec.rb -e 'totals zero' -e rounds"),
    ("pytest tests/test_cart.py", "tests/test_cart.py", [], "pytest tests/test_cart.py"),
    ("vendor/bin/phpunit tests/CartTest.php", "tests/CartTest.php", ["CartTest.testA", "CartTest.testB"],
     "vendor/bin/phpunit tests/CartTest.php --filter '/::(testA|testB)( |$)/'"),
    ("swift test --filter CartTests", "Tests/CartTests.swift", ["CartTests.testA", "CartTests.testB"],
     "swift test --filter 'CartTests/(testA|testB)$'"),
    ("cd pkg && swift test --filter CartTests", "pkg/Tests/CartTests.swift", ["CartTests.testA"],
     "cd pkg && swift test --filter 'CartTests/testA$'"),
    ("cargo test --test sums", "tests/sums.rs", ["adds_one", "nested.adds_two"],
     "cargo test --test sums -- adds_one nested::adds_two --exact"),
])
def test_narrow_to_tests(command: str, path: str, tests: list[str], want: str) -> None:
    assert narrow_to_tests(command, path, tests) == want


@pytest.mark.parametrize(("path", "name", "kind", "signature", "want"), [
    ("tests/test_a.py", "test_zero", "function", "def test_zero()", True),
    ("tests/test_a.py", "helper", "function", "def helper()", False),
    ("a_test.go", "TestZero", "function", "func TestZero(t *testing.T)", True),
    ("a_test.go", "BenchmarkX", "function", "func BenchmarkX(b *testing.B)", False),
    ("src/test/java/ATest.java", "zero", "method", "@Test void zero()", True),
    ("src/test/java/ATest.java", "setUp", "method", "@BeforeEach void setUp()", False),
    ("T/ATests.cs", "Zero", "method", "[Fact] public void Zero()", True),
    ("src/test/kotlin/ATest.kt", "zero", "method", "@Test fun zero()", True),
    ("Tests/T/ATests.swift", "testZero", "method", "func testZero()", True),
    ("tests/ATest.php", "testZero", "method", "public function testZero(): void", True),
    ("tests/ATest.php", "zero", "method", "#[Test] public function zero(): void", True),
    ("tests/ATest.php", "setUp", "method", "protected function setUp(): void", False),
    ("Tests/T/ATests.swift", "zero", "function", "@Test(\"zero\") func zero()", True),
    ("Tests/T/ATests.swift", "makeCart", "method", "func makeCart() -> Cart", False),
    ("src/test/kotlin/ATest.kt", "setUp", "method", "@BeforeEach fun setUp()", False),
    ("test/a_test.rb", "test_zero", "method", "def test_zero", True),
    ("spec/a_spec.rb", "test_zero", "method", "def test_zero", False),
    ("src/a.spec.ts", "zero", "function", "function zero()", False),
    ("tests/test_a.py", "TestA", "class", "class TestA", False),
])
def test_is_test_function(path: str, name: str, kind: str, signature: str, want: bool) -> None:
    assert is_test_function(path, name, kind, signature) is want


@pytest.mark.parametrize(("before", "want"), [
    ("#[test]\n", True), ("#[tokio::test]\n", True), ('#[test]\n#[should_panic(expected = "x")]\n', True),
    ("/// helper\n", False), ("", False),
])
def test_rust_tests_are_known_by_their_attribute(before: str, want: bool) -> None:
    assert is_test_function("tests/sums.rs", "adds", "function", "fn adds()", before) is want


def test_named_test_cases_are_the_named_it_and_test_calls() -> None:
    from repointel.parse import parse

    src = (b"import { describe, it, test } from 'vitest'\n"
           b"describe('cart', () => {\n"
           b"  it('totals zero', () => {\n    expect(total([])).toBe(0)\n  })\n"
           b"  test.only(\"rounds\", async () => {})\n"
           b"  it(`template ${x}`, () => {})\n"
           b"  it.each([1, 2])('each %i', (n) => {})\n"
           b"})\n"
           b"test('top level', () => {})\n")
    cases = named_test_cases(parse("typescript", src), src)
    assert cases == [("totals zero", 3, 5), ("rounds", 6, 6), ("top level", 10, 10)]


def test_rspec_examples_are_named_test_cases() -> None:
    from repointel.parse import parse

    src = (b'RSpec.describe Cart do\n  it "totals zero" do\n    expect(Cart.new.total).to eq(0)\n  end\n'
           b'  it("rounds") { expect(1).to eq 1 }\n  it "says #{x}" do\n  end\n'
           b'  context "empty" do\n    specify "has no items" do\n    end\n  end\nend\n')
    assert named_test_cases(parse("ruby", src), src) == [("totals zero", 2, 4), ("rounds", 5, 5), ("has no items", 9, 10)]


def test_a_jvm_test_using_its_own_packages_name_is_linked() -> None:
    """Same package, no import: one name only that package defines is enough (cats-parse's
    core/jvm tests use core/shared's sources); from another package it is not."""
    files = ["core/shared/src/main/scala/cats/parse/StringCodec.scala",
             "core/jvm/src/test/scala/cats/parse/JvmStringsTests.scala",
             "other/src/test/scala/acme/UsesCodecTest.scala"]
    refs = {"core/jvm/src/test/scala/cats/parse/JvmStringsTests.scala": {"StringCodec": 3},
            "other/src/test/scala/acme/UsesCodecTest.scala": {"StringCodec": 3}}
    defs = {"StringCodec": ["core/shared/src/main/scala/cats/parse/StringCodec.scala"]}
    links = link_tests(files, {}, refs, defs)
    assert [(t.test_path, t.reason) for t in links] == [
        ("core/jvm/src/test/scala/cats/parse/JvmStringsTests.scala", "reference")]


def test_a_shell_test_naming_a_script_is_linked_to_it() -> None:
    files = ["bin/shop", "libexec/shop-add", "test/add.bats", "test/fixtures/add.bats"]
    refs = {"test/add.bats": {"run": 2, "shop": 2, "echo": 1}}
    links = link_tests(files, {}, refs, {"unrelated": ["x.sh"]})
    assert [(t.test_path, t.source_path, t.reason) for t in links] == [("test/add.bats", "bin/shop", "reference")]


def test_a_julia_test_using_its_packages_name_is_linked() -> None:
    """test/ of a Julia package reaches src/ through `using Package`: one name it defines is enough."""
    files = ["src/rows.jl", "test/iteration.jl", "other/test/x.jl"]
    refs = {"test/iteration.jl": {"Rows": 4}, "other/test/x.jl": {"Rows": 4}}
    links = link_tests(files, {}, refs, {"Rows": ["src/rows.jl"]})
    assert [(t.test_path, t.source_path) for t in links] == [("test/iteration.jl", "src/rows.jl")]
