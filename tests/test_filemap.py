"""File-map flags by path: vendored, generated and test files."""

from __future__ import annotations

from pathlib import Path

import pytest

from repointel.extract.filemap import examine, is_generated_path, is_test_path, is_vendored_path


@pytest.mark.parametrize(("path", "vendored"), [
    ("vendor/github.com/pkg/errors/errors.go", True), ("web/node_modules/react/index.js", True),
    ("src/third_party/zlib/inflate.c", True), ("third-party/json/json.hpp", True),
    ("deps/lua/src/lua.h", True),  # redis, Node.js: dependencies' sources at the top level
    ("src/deps/resolver.py", False), ("lib/dependency.py", False), ("src/server.c", False),
])
def test_vendored_paths(path: str, vendored: bool) -> None:
    assert is_vendored_path(path) is vendored


@pytest.mark.parametrize(("path", "generated"), [
    ("api/v1/user_pb2.py", True), ("dist/app.min.js", True), ("build/lib/pkg/mod.py", True),
    ("src/builder.py", False),
])
def test_generated_paths(path: str, generated: bool) -> None:
    assert is_generated_path(path) is generated


@pytest.mark.parametrize(("path", "test"), [
    ("tests/test_cart.py", True), ("pkg/cart_test.go", True), ("src/cart.spec.ts", True),
    ("src/cart.py", False),
])
def test_test_paths(path: str, test: bool) -> None:
    assert is_test_path(path) is test


@pytest.mark.parametrize(("name", "head", "language"), [
    ("bin/tool", b"#!/usr/bin/env bash\nf() { :; }\n", "bash"), ("bin/tool", b"#!/bin/sh\nf() { :; }\n", "bash"),
    ("bin/tool", b"#!/usr/bin/env python3\nprint(1)\n", None), ("LICENSE", b"MIT License\n", None),
    ("tool.sh", b"f() { :; }\n", "bash"),
    ("Shop/SHPCart.h", b"#import <Foundation/Foundation.h>\n@interface SHPCart : NSObject\n@end\n", "objc"),
    ("src/buf.h", b"#include <stddef.h>\nstruct buf { size_t len; };\n", "c"),
])
def test_scripts_without_an_extension_get_their_shebangs_language(tmp_path: Path, name: str, head: bytes,
                                                                   language: str | None) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head)
    facts, parsed = examine(str(tmp_path), name, name.encode(), len(head), 0)
    assert facts["language"] == language
    assert bool(parsed and parsed.get("definitions")) is (language is not None)
