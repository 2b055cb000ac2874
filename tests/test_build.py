"""Build detection over small realistic fixture repositories, plus edge cases in tmp dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from repointel.extract.build import detect_builds, language_stack, project_stack
from repointel.models import BuildInfo

from .conftest import FIXTURES, write_files

BUILD = FIXTURES / "build"


def _files(root: Path) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
                  for d, _, fs in os.walk(root) for f in fs)


def _detect(name: str) -> list[BuildInfo]:
    root = BUILD / name
    return detect_builds(str(root), _files(root))


def _one(builds: list[BuildInfo], tool: str) -> BuildInfo:
    found = [b for b in builds if b.tool == tool]
    assert len(found) == 1, builds
    return found[0]


def test_python_project() -> None:
    builds = _detect("python")
    assert [b.tool for b in builds] == ["python", "docker", "github_actions"]
    py = builds[0]
    assert py.manifest == "pyproject.toml" and py.modules == ["shop"]
    assert py.unit_command == "python -m pytest" and py.full_command == "tox"
    assert py.entry_points == ["shop = shop.cli:main", "shop-admin = shop.admin:run", "src/shop/__main__.py"]
    docker = builds[1]
    assert docker.manifest == "Dockerfile" and docker.full_command == "docker build -f Dockerfile ."
    assert docker.entry_points == ["Dockerfile", 'CMD ["shop", "serve"]']
    ci = builds[2]
    assert ci.manifest == ".github/workflows/ci.yml" and ci.modules == ["lint", "test"]
    assert ci.entry_points == ["ruff check .", "python -m pytest -q"]


def test_node_workspaces() -> None:
    npm = _one(_detect("node"), "npm")
    assert npm.manifest == "package.json"
    assert npm.modules == ["packages/cli", "packages/ui"]
    assert npm.unit_command == "npm test" and npm.full_command == "npm run build && npm test"
    assert npm.module_commands == {"packages/cli": "npm test -w packages/cli", "packages/ui": "npm test -w packages/ui"}
    assert "acme = packages/cli/bin/acme.js" in npm.entry_points
    assert len(_detect("node")) == 1  # members fold into the workspace root


def test_go_module() -> None:
    go = _one(_detect("go"), "go")
    assert go.modules == ["github.com/acme/inventory"]
    assert go.unit_command == "go test ./..." and go.full_command == "go vet ./... && go test ./..."
    assert go.entry_points == ["cmd/server"]


def test_cargo_workspace() -> None:
    builds = _detect("cargo")
    assert len(builds) == 1
    cargo = builds[0]
    assert cargo.manifest == "Cargo.toml" and cargo.modules == ["acme-cli", "acme-core"]
    assert cargo.unit_command == "cargo test --workspace"
    assert cargo.module_commands == {"acme-cli": "cargo test -p acme-cli", "acme-core": "cargo test -p acme-core"}
    assert cargo.entry_points == ["acme-cli = crates/cli/src/main.rs", "admin = crates/cli/src/bin/admin.rs"]


def test_gradle_multi_module() -> None:
    builds = _detect("gradle")
    assert len(builds) == 1
    gradle = builds[0]
    assert gradle.manifest == "settings.gradle.kts" and gradle.modules == ["app", "lib"]
    assert gradle.unit_command == "./gradlew test" and gradle.full_command == "./gradlew build"
    assert gradle.module_commands == {"app": "./gradlew :app:test", "lib": "./gradlew :lib:test"}
    assert gradle.entry_points == ["com.acme.App"]


def test_swiftpm_package() -> None:
    deps = FIXTURES / "deps" / "swift"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    (swift,) = [b for b in detect_builds(str(deps), files) if b.tool == "swiftpm"]
    assert swift.manifest == "Package.swift" and swift.modules == ["Shop", "ShopCLI"]
    assert swift.unit_command == "swift test" and swift.full_command == "swift build && swift test"
    assert swift.entry_points == ["ShopCLI = Sources/ShopCLI"]
    assert swift.module_commands == {"ShopTests": "swift test --filter ShopTests"}


def test_composer_project() -> None:
    deps = FIXTURES / "deps" / "php"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    (php,) = [b for b in detect_builds(str(deps), files) if b.tool == "composer"]
    assert php.manifest == "composer.json" and php.modules == ["Acme\\Shop\\", "Acme\\Shop\\Tests\\"]
    assert php.unit_command == "vendor/bin/phpunit" and php.full_command == "composer validate && vendor/bin/phpunit"
    assert php.entry_points == ["bin/shop"]


def test_sbt_build() -> None:
    deps = FIXTURES / "deps" / "scala"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    (sbt,) = [b for b in detect_builds(str(deps), files) if b.tool == "sbt"]
    assert sbt.manifest == "build.sbt" and sbt.modules == ["root", "core"]
    assert sbt.unit_command == "sbt test" and sbt.full_command == "sbt compile test"
    assert sbt.module_commands == {"root": "sbt root/test", "core": "sbt core/test"}
    assert sbt.entry_points == ["acme.shop.Main"]


def test_luarocks_project() -> None:
    deps = FIXTURES / "deps" / "lua"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    (rock,) = [b for b in detect_builds(str(deps), files) if b.tool == "luarocks"]
    assert rock.manifest == "shop-1.0-1.rockspec" and rock.modules == ["shop"]
    assert rock.unit_command == "busted" and rock.full_command == "luarocks make shop-1.0-1.rockspec && busted"


def test_mix_umbrella(tmp_path: Path) -> None:
    write_files(tmp_path, {"mix.exs": "defmodule U.MixProject do\n  use Mix.Project\n  def project, do: [apps_path: \"apps\"]\nend\n",
                           "apps/shop/mix.exs": "def project, do: [app: :shop]\n",
                           "apps/web/mix.exs": "def project, do: [app: :shop_web, escript: [main_module: ShopWeb.CLI]]\n"})
    files = ["mix.exs", "apps/shop/mix.exs", "apps/web/mix.exs"]
    (mix,) = [b for b in detect_builds(str(tmp_path), files) if b.tool == "mix"]
    assert mix.manifest == "mix.exs" and mix.modules == ["shop", "shop_web"]
    assert mix.unit_command == "mix test" and mix.full_command == "mix compile --warnings-as-errors && mix test"
    assert mix.module_commands == {"shop": "cd apps/shop && mix test", "shop_web": "cd apps/web && mix test"}


def test_pub_package() -> None:
    deps = FIXTURES / "deps" / "dart"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    (pub,) = [b for b in detect_builds(str(deps), files) if b.tool == "pub"]
    assert pub.manifest == "pubspec.yaml" and pub.modules == ["shop"]
    assert pub.unit_command == "dart test" and pub.full_command == "dart analyze && dart test"
    assert pub.entry_points == ["bin/shop.dart"]


def test_cabal_package() -> None:
    deps = FIXTURES / "deps" / "haskell"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    (cabal,) = [b for b in detect_builds(str(deps), files) if b.tool == "cabal"]
    assert cabal.manifest == "shop.cabal" and cabal.modules == ["shop", "shop-test"]
    assert cabal.unit_command == "cabal test all" and cabal.full_command == "cabal build all && cabal test all"
    assert cabal.entry_points == ["shop"] and cabal.module_commands == {"shop-test": "cabal test shop-test"}


def test_dune_project() -> None:
    deps = FIXTURES / "deps" / "ocaml"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    (dune,) = [b for b in detect_builds(str(deps), files) if b.tool == "dune"]
    assert dune.manifest == "dune-project" and dune.modules == ["shop"] and dune.entry_points == ["main"]
    assert dune.unit_command == "dune test" and dune.full_command == "dune build @install && dune test"


def test_zig_build() -> None:
    deps = FIXTURES / "deps" / "zig"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    (zig,) = [b for b in detect_builds(str(deps), files) if b.tool == "zig"]
    assert zig.manifest == "build.zig" and zig.modules == ["shop"] and zig.entry_points == ["shop-cli"]
    assert zig.unit_command == "zig build test" and zig.full_command == "zig build && zig build test"


def test_julia_package() -> None:
    deps = FIXTURES / "deps" / "julia"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    (jl,) = [b for b in detect_builds(str(deps), files) if b.tool == "julia"]
    assert jl.manifest == "Project.toml" and jl.modules == ["Shop"]
    assert jl.unit_command == "julia --project -e 'using Pkg; Pkg.test()'"


def test_perl_distribution() -> None:
    deps = FIXTURES / "deps" / "perl"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    (perl,) = [b for b in detect_builds(str(deps), files) if b.tool == "perl"]
    assert perl.manifest == "Makefile.PL" and perl.modules == ["Shop"]
    assert perl.unit_command == "prove -lr t" and perl.full_command == "perl Makefile.PL && make && make test"
    assert perl.entry_points == ["bin/shop"]


def test_xcode_project_and_podspec() -> None:
    deps = FIXTURES / "deps" / "objc"
    files = sorted(p.relative_to(deps).as_posix() for p in deps.rglob("*") if p.is_file())
    builds = {b.tool: b for b in detect_builds(str(deps), files)}
    assert builds["xcodebuild"].unit_command == "xcodebuild test -project Shop.xcodeproj -scheme Shop"
    assert builds["cocoapods"].modules == ["Shop"] and builds["cocoapods"].full_command == "pod lib lint Shop.podspec"


def test_maven_multi_module() -> None:
    builds = _detect("maven")
    assert len(builds) == 1
    mvn = builds[0]
    assert mvn.manifest == "pom.xml" and mvn.modules == ["core", "web"]
    assert mvn.unit_command == "mvn test" and mvn.full_command == "mvn verify"
    assert mvn.module_commands["web"] == "mvn -pl web -am test"
    assert mvn.entry_points == ["com.acme.WebApp"]


def test_make_and_cmake() -> None:
    builds = _detect("native")
    cmake = _one(builds, "cmake")
    assert cmake.manifest == "CMakeLists.txt" and cmake.modules == ["src", "tests"]
    assert cmake.unit_command == "ctest --test-dir build"
    assert cmake.full_command == "cmake -S . -B build && cmake --build build && ctest --test-dir build"
    assert cmake.entry_points == ["acme-app", "core_test"]
    make = _one(builds, "make")
    assert make.unit_command == "make test" and make.full_command == "make all"
    assert make.entry_points == ["make all", "make test", "make lint", "make clean"]


def test_ruby_bundler_projects() -> None:
    builds = _detect("ruby")
    gem, app = builds
    assert gem.tool == "bundler" and gem.manifest == "Gemfile" and gem.modules == ["shop"]
    assert gem.unit_command == "bundle exec rspec" and gem.full_command == "bundle exec rake"
    assert gem.entry_points == ["exe/shop"]
    assert app.manifest == "admin/Gemfile" and app.unit_command == "cd admin && bin/rails test"
    assert app.entry_points == ["admin/bin/rails", "admin/config.ru"]


def test_dotnet_solution_and_standalone_project() -> None:
    sln, tool = _detect("dotnet")
    assert sln.tool == "dotnet" and sln.manifest == "Shop.sln"
    assert sln.modules == ["Shop.Core", "Shop.Api", "Shop.Core.Tests"]  # the solution's order
    assert sln.unit_command == "dotnet test Shop.sln"
    assert sln.full_command == "dotnet build Shop.sln && dotnet test Shop.sln --no-build"
    assert sln.module_commands == {"Shop.Core.Tests": "dotnet test tests/Shop.Core.Tests/Shop.Core.Tests.csproj"}
    assert sln.entry_points == ["src/Shop.Api/Shop.Api.csproj"]  # a web SDK project runs
    assert tool.manifest == "tools/Migrate/Migrate.csproj" and tool.unit_command is None  # no solution lists it
    assert tool.full_command == "dotnet build tools/Migrate/Migrate.csproj"


def test_pnpm_workspace_reads_only_its_packages_list(tmp_path: Path) -> None:
    """pnpm-workspace.yaml's other lists (hoistPattern, onlyBuiltDependencies) name packages, not dirs."""
    write_files(tmp_path, {
        "package.json": '{"name": "root", "scripts": {"test": "vitest"}}',
        "pnpm-workspace.yaml": "packages:\n- 'packages/*'\n\nhoistPattern:\n  - postcss\n  - 'pug'\n",
        "packages/core/package.json": '{"name": "@acme/core"}',
        "postcss/package.json": '{"name": "not-a-member"}',
        "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
    })
    pnpm = _one(detect_builds(str(tmp_path), _files(tmp_path)), "pnpm")
    assert pnpm.modules == ["packages/core"]


@pytest.mark.parametrize(("scripts", "unit", "full"), [
    ('"test": "pnpm test-unit && pnpm test-serve && pnpm test-build", "test-unit": "vitest run", '
     '"test-serve": "vitest run -c e2e.ts", "test-build": "vitest run -c build.ts", "build": "tsc"',
     "pnpm run test-unit", "pnpm run build && pnpm test"),  # vite: the chain's unit step
    ('"test": "pnpm lint; pnpm run spec", "lint": "eslint .", "spec": "mocha"',
     "pnpm run spec", "pnpm test"),  # no unit step: the one named for specs
    ('"test": "npm run lint && npm run mocha", "lint": "eslint .", "mocha": "mocha"',
     "pnpm run mocha", "pnpm test"),  # nothing named for tests: the last step
    ('"test": "tsc && vitest"', "pnpm test", "pnpm test"),  # one script runs the runner last
    ('"test": "run-s test:*", "test:unit": "jest"', "pnpm test", "pnpm test"),
])
def test_chained_test_script_gives_one_unit_script(tmp_path: Path, scripts: str, unit: str, full: str) -> None:
    """A focused command appends a test path to the unit command: that must reach one runner,
    not the last step of a chain."""
    write_files(tmp_path, {"package.json": f'{{"name": "r", "scripts": {{{scripts}}}}}', "pnpm-lock.yaml": ""})
    pnpm = _one(detect_builds(str(tmp_path), _files(tmp_path)), "pnpm")
    assert (pnpm.unit_command, pnpm.full_command) == (unit, full)


@pytest.mark.parametrize(("name", "stack"), [
    ("python", ["python", "django"]), ("node", ["javascript", "typescript", "react"]), ("go", ["go", "gin"]),
    ("cargo", ["rust", "tokio"]), ("gradle", ["java", "spring_boot"]), ("maven", ["java", "spring_boot"]),
    ("native", ["cpp"]), ("ruby", ["ruby", "rails", "rspec"]), ("dotnet", ["csharp", "aspnetcore", "xunit"]),
])
def test_language_stack(name: str, stack: list[str]) -> None:
    root = BUILD / name
    assert language_stack(_files(root), str(root)) == stack
    assert language_stack(_files(root)) == [s for s in stack if s in ("python", "javascript", "typescript", "go",
                                                                     "rust", "java", "cpp", "ruby", "csharp")]


def test_nested_projects_get_cd_prefixes(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "services/api/go.mod": "module example.com/api\n",
        "services/api/main.go": "package main\n\nfunc main() {}\n",
        "services/api/tools/gen/go.mod": "module example.com/gen\n",
        "services/api/tools/gen/main.go": "package main\n",
        "web/package.json": '{"scripts": {"test": "jest", "ci": "npm run lint && jest"}}',
        "web/pnpm-lock.yaml": "lockfileVersion: 9\n",
        "lib/Makefile": "check:\n\tpytest\n",
        "lib/setup.py": "from setuptools import setup\nsetup(name='lib', entry_points={'console_scripts': ['lib-cli = lib.cli:main']})\n",
        "node_modules/x/package.json": "{}",
        "tools/pyproject.toml": "[tool.black]\nline-length = 100\n",
        "app/pyproject.toml": "[tool.ruff]\nline-length = 100\n",
        "app/setup.py": "from setuptools import setup\nsetup(name='app')\n",
        "app/app/__init__.py": "",
        "app/app/__main__.py": "",
        "lib/lib/__main__.py": "",
    })
    builds = {b.manifest: b for b in detect_builds(str(tmp_path), _files(tmp_path))}
    assert builds["app/setup.py"].entry_points == ["app/app/__main__.py"]
    assert builds["app/setup.py"].modules == ["app"]
    assert builds["lib/setup.py"].entry_points == ["lib-cli = lib.cli:main", "lib/lib/__main__.py"]
    assert sorted(builds) == ["app/setup.py", "lib/Makefile", "lib/setup.py", "services/api/go.mod",
                              "services/api/tools/gen/go.mod", "web/package.json"]
    api = builds["services/api/go.mod"]
    assert api.unit_command == "cd services/api && go test ./..." and api.entry_points == ["services/api"]
    assert builds["services/api/tools/gen/go.mod"].entry_points == ["services/api/tools/gen"]
    web = builds["web/package.json"]
    assert web.tool == "pnpm" and web.unit_command == "cd web && pnpm test" and web.full_command == "cd web && pnpm run ci"
    assert builds["lib/Makefile"].unit_command == "make -C lib check"
    assert builds["lib/setup.py"].unit_command == "cd lib && python -m pytest"


def test_broken_and_minimal_manifests(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "package.json": "{ not json",
        "Cargo.toml": "[package\nname=",
        "pom.xml": "<project><modules><module>a</modules>",
        "settings.gradle": "include 'core', ':api:v1'\n",
        "gradlew": "#!/bin/sh\n",
        ".gitlab-ci.yml": "stages: [test]\nvariables:\n  X: 1\n.template:\n  image: x\nunit-tests:\n  script: make\n",
        "deploy/Dockerfile.prod": "FROM alpine\nENTRYPOINT [\"/app\"]\n",
        "compose.yaml": "services:\n  web:\n    build: .\n  db:\n    image: postgres\n",
    })
    builds = {b.manifest: b for b in detect_builds(str(tmp_path), _files(tmp_path))}
    assert builds["package.json"].unit_command is None
    assert builds["Cargo.toml"].unit_command == "cargo test"
    assert builds["pom.xml"].modules == [] and builds["pom.xml"].unit_command == "mvn test"
    gradle = builds["settings.gradle"]
    assert gradle.modules == ["core", "api:v1"] and gradle.module_commands["api:v1"] == "./gradlew :api:v1:test"
    assert builds[".gitlab-ci.yml"].modules == ["unit-tests"]
    assert builds["deploy/Dockerfile.prod"].full_command == "docker build -f deploy/Dockerfile.prod deploy"
    assert builds["compose.yaml"].modules == ["web", "db"]


def test_empty_repo() -> None:
    assert detect_builds("/nonexistent", []) == []
    assert language_stack([]) == []


def test_toml_fallback_without_tomllib(monkeypatch: pytest.MonkeyPatch) -> None:
    from repointel.extract import build

    monkeypatch.setattr(build, "_toml", None)
    text = ('[project]\nname = "shop"  # the name\ndependencies = ["Django>=5.0", "requests"]\n'
            "[project.scripts]\nshop = 'shop.cli:main'\n[[bin]]\nname = \"a\"\n[[bin]]\nname = \"b\"\n"
            "[tool.black]\nline-length = 100\nfast = true\n")
    data = build.load_toml(text)
    assert data["project"]["name"] == "shop"
    assert data["project"]["dependencies"] == ["Django>=5.0", "requests"]
    assert data["project"]["scripts"] == {"shop": "shop.cli:main"}
    assert data["bin"] == [{"name": "a"}, {"name": "b"}]
    assert data["tool"]["black"] == {"line-length": 100, "fast": True}
    py = _one(_detect("python"), "python")
    assert py.entry_points[0] == "shop = shop.cli:main" and py.full_command == "tox"
    assert _detect("cargo")[0].modules == ["acme-cli", "acme-core"]


@pytest.mark.parametrize(("name", "stack"), [
    ("maven", ["java", "spring_boot", "maven"]), ("gradle", ["java", "spring_boot", "gradle"]),
    ("node", ["javascript", "typescript", "react", "npm"]), ("cargo", ["rust", "tokio", "cargo"]),
])
def test_project_stack_adds_build_tools_not_delivery(name: str, stack: list[str]) -> None:
    root = BUILD / name
    files = _files(root)
    assert project_stack(str(root), files, detect_builds(str(root), files)) == stack


def test_samples_and_templates_do_not_make_the_stack(tmp_path: Path) -> None:
    """vite's playgrounds and create-vite templates are react, vue and svelte apps; vite is not."""
    write_files(tmp_path, {
        "package.json": '{"name": "vite", "devDependencies": {"typescript": "5"}}',
        "src/index.ts": "export const x = 1\n",
        "playground/hmr/package.json": '{"dependencies": {"vue": "3"}}',
        "playground/hmr/App.vue": "<template></template>\n",
        "packages/create/template-react/package.json": '{"dependencies": {"react": "18"}}',
        "packages/create/template-react/main.jsx": "export default 1\n",
    })
    assert language_stack(_files(tmp_path), str(tmp_path)) == ["typescript"]
