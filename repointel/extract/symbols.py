"""The symbol map: definitions (with qualified names, spans, signatures, docs, parents) and
identifier references, from one tree-sitter query per language.

Qualified names join enclosing definitions with '.': ``Outer.Inner.method``; Go methods are
``Receiver.Method``, Rust impl methods ``Type.method``, Swift extension members ``Type.member``,
Lua table functions ``M.total``, Perl subs ``Package::Name.sub`` (the package above them).
Elixir modules and Perl packages are named by their last segment (``Shop.Cart`` → ``Cart``,
qualified name ``Shop.Cart``), and their references counted the same way.

Most languages map node types to kinds (:data:`_DEF_KINDS`); where a node type alone does not
say, a small rule per language does: the words before a name (Kotlin's ``interface``), where a
definition sits (a Kotlin ``val`` only at the top or in an object), the value it binds (Zig's
``const X = struct {…}``), the macro that defines it (Elixir's ``def``/``defmodule``).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import NamedTuple

from tree_sitter import Node, Query, QueryCursor, Tree

from ..models import Definition
from ..parse import get_language

__all__ = ["DefRow", "extract_symbol_rows", "extract_symbols", "references_in"]

class DefRow(NamedTuple):
    """A definition as plain data, in the ``symbols`` table's column order (less the path): what
    indexing workers produce and pickle (~90k on the stdlib, where building models cost 0.4 s)."""

    name: str
    qualname: str
    kind: str
    start_line: int
    end_line: int
    start_byte: int
    end_byte: int
    signature: str = ""
    doc: str = ""
    parent: str | None = None


#: Longest signature kept: a header, not a body.
MAX_SIGNATURE = 200

# node type → kind, per language; the name is the node's `name` field (or first identifier).
_DEF_KINDS: dict[str, dict[str, str]] = {
    "python": {"class_definition": "class", "function_definition": "function"},
    "javascript": {"class_declaration": "class", "function_declaration": "function",
                   "method_definition": "method", "generator_function_declaration": "function"},
    "typescript": {"class_declaration": "class", "function_declaration": "function",
                   "method_definition": "method", "interface_declaration": "interface",
                   "type_alias_declaration": "type", "enum_declaration": "enum",
                   "abstract_class_declaration": "class", "module": "module",
                   "method_signature": "method"},
    "go": {"function_declaration": "function", "method_declaration": "method", "type_spec": "type"},
    "java": {"class_declaration": "class", "interface_declaration": "interface",
             "enum_declaration": "enum", "method_declaration": "method",
             "constructor_declaration": "method", "record_declaration": "class"},
    "rust": {"function_item": "function", "struct_item": "struct", "enum_item": "enum",
             "trait_item": "trait", "mod_item": "module", "type_item": "type",
             "macro_definition": "macro", "function_signature_item": "function"},
    "c": {"function_definition": "function", "struct_specifier": "struct",
          "enum_specifier": "enum", "type_definition": "type"},
    "cpp": {"function_definition": "function", "struct_specifier": "struct",
            "class_specifier": "class", "enum_specifier": "enum", "namespace_definition": "namespace",
            "type_definition": "type"},
    "ruby": {"class": "class", "module": "module", "method": "method", "singleton_method": "method"},
    "csharp": {"class_declaration": "class", "interface_declaration": "interface",
               "struct_declaration": "struct", "enum_declaration": "enum",
               "method_declaration": "method", "constructor_declaration": "method",
               "namespace_declaration": "namespace", "record_declaration": "class"},
    "kotlin": {"class_declaration": "class", "object_declaration": "class", "function_declaration": "function",
               "type_alias": "type", "property_declaration": "variable"},
    "swift": {"class_declaration": "class", "protocol_declaration": "interface", "function_declaration": "function",
              "protocol_function_declaration": "function", "init_declaration": "function",
              "typealias_declaration": "type", "property_declaration": "variable"},
    "php": {"class_declaration": "class", "interface_declaration": "interface", "trait_declaration": "trait",
            "enum_declaration": "enum", "function_definition": "function", "method_declaration": "method",
            "const_element": "constant"},
    "bash": {"function_definition": "function", "variable_assignment": "variable"},
    "scala": {"class_definition": "class", "object_definition": "class", "trait_definition": "trait",
              "enum_definition": "enum", "type_definition": "type", "function_definition": "function",
              "function_declaration": "function", "val_definition": "variable"},
    "lua": {"function_declaration": "function"},
    "elixir": {"call": "function"},  # every form is a call: _ELIXIR_DEFS says which define what
    "dart": {"class_definition": "class", "mixin_declaration": "class", "extension_declaration": "class",
             "enum_declaration": "enum", "type_alias": "type", "function_signature": "function",
             "getter_signature": "function", "setter_signature": "function", "constructor_signature": "function",
             "static_final_declaration": "constant"},
    "haskell": {"data_type": "type", "newtype": "type", "type_synonym": "type", "type_family": "type",
                "class": "interface", "function": "function", "bind": "function"},
    "ocaml": {"let_binding": "variable", "type_binding": "type", "module_binding": "module",
              "module_type_definition": "interface", "class_binding": "class", "value_specification": "function"},
}
_DEF_KINDS["ocaml_interface"] = _DEF_KINDS["ocaml"]
_DEF_KINDS["zig"] = {"function_declaration": "function", "variable_declaration": "variable",
                     "test_declaration": "function"}
_DEF_KINDS["julia"] = {"module_definition": "module", "struct_definition": "struct", "abstract_definition": "type",
                       "function_definition": "function", "macro_definition": "macro", "assignment": "function",
                       "const_statement": "constant"}
_DEF_KINDS["perl"] = {"package_statement": "module", "subroutine_declaration_statement": "function"}
_DEF_KINDS["objc"] = {**_DEF_KINDS["c"], "class_interface": "class", "class_implementation": "class",
                      "protocol_declaration": "interface", "method_declaration": "method",
                      "method_definition": "method"}
#: What a Zig ``const X = …`` defines, by its value.
_ZIG_VALUE_KINDS = {"struct_declaration": "struct", "union_declaration": "struct", "enum_declaration": "enum",
                    "opaque_declaration": "type", "error_set_declaration": "type"}
_DEF_KINDS["tsx"] = _DEF_KINDS["typescript"]
#: Words before a definition's name that make its kind more precise than its node type does
#: (Kotlin's ``interface Foo`` and ``enum class Foo`` are both class declarations); the first
#: word found in this order wins.
_HEAD_KINDS: dict[str, tuple[tuple[bytes, str], ...]] = {
    "kotlin": ((b"interface", "interface"), (b"enum", "enum")),
    "swift": ((b"struct", "struct"), (b"enum", "enum")),  # class and actor: classes
}
#: Node types that define something only directly inside these parents (the file, an object's
#: body): elsewhere Kotlin's ``val`` is a local or a field, not a definition others reference.
_DEF_PARENTS: dict[str, dict[str, frozenset[str]]] = {
    "kotlin": {"property_declaration": frozenset({"source_file", "object_declaration", "companion_object"})},
    "swift": {"property_declaration": frozenset({"source_file"})},
    "bash": {"variable_assignment": frozenset({"program"})},  # a script's settings, not locals
    "scala": {"val_definition": frozenset({"compilation_unit", "object_definition", "package_object"})},
    "dart": {"static_final_declaration": frozenset({"program"})},  # top-level const and final
    "haskell": {t: frozenset({"declarations"}) for t in ("function", "bind")},  # not instance methods, not locals
    "ocaml": {"let_binding": frozenset({"compilation_unit", "structure"})},  # not `let … in`
    "zig": {"variable_declaration": frozenset({"source_file", *_ZIG_VALUE_KINDS})},  # not locals
    "julia": {"assignment": frozenset({"source_file", "module_definition"})},  # `f(x) = …` at the top
}
#: Nodes between a definition and the parent that decides whether it is one (_DEF_PARENTS): a
#: class body, Bash's ``export X=1``, Dart's ``const a = 1, b = 2`` list.
_DEF_HOLDERS = frozenset({"class_body", "declaration_command", "template_body", "static_final_declaration_list",
                          "value_definition"})
#: Bodies that are children without a ``body`` field: the signature stops where they start.
_BODY_TYPES = frozenset({"function_body", "class_body", "enum_class_body", "protocol_body", "do_block",
                         "class_declarations"})
_IDENT_TYPES = ("identifier", "type_identifier", "field_identifier", "property_identifier",
                "constant", "name", "simple_identifier")
#: Node types of _IDENT_TYPES that are not one token in a language: Swift's ``identifier`` is a
#: dotted path (``Swift.Int``) around the ``simple_identifier`` tokens counted already.
_NOT_IDENTS: dict[str, frozenset[str]] = {"swift": frozenset({"identifier"})}
#: Tokens that name things in a language beyond _IDENT_TYPES: Bash calls a function or a script
#: by a ``word`` (a command's name, or an argument: ``run greet``, ``trap cleanup EXIT``) and
#: reads a variable by its ``variable_name``.
_MORE_IDENTS: dict[str, tuple[str, ...]] = {
    "bash": ("word", "variable_name"), "elixir": ("alias",), "haskell": ("variable", "constructor"),
    "perl": ("bareword", "package", "function", "method"),
    "ocaml": ("value_name", "module_name", "type_constructor", "constructor_name", "field_name", "class_name",
              "module_type_name"),
}
_MORE_IDENTS["ocaml_interface"] = _MORE_IDENTS["ocaml"]
#: Languages whose module names are qualified tokens (Elixir's ``Shop.Cart``, Perl's
#: ``Shop::Cart``) → the qualifier: a definition is named, and a reference counted, by the last
#: segment.
_QUALIFIER = {"elixir": ".", "perl": "::"}


@cache
def _ident_types(lang: str) -> frozenset[str]:
    """The node types whose text counts as a reference in ``lang``."""
    return frozenset(t for t in _IDENT_TYPES + _MORE_IDENTS.get(lang, ()) if t not in _NOT_IDENTS.get(lang, ()))
#: Parents whose words start the signature of the definition they wrap.
_DECLARED_BY = frozenset({"const_declaration", "declaration_command"})
#: OCaml's definitions sit in a statement that starts them (``let``, ``type``, ``module``,
#: ``class``): its words start the signature, and the span and the doc comment are its.
_OCAML_DECLARED_BY = frozenset({"value_definition", "type_definition", "module_definition", "class_definition"})
#: Parents that belong to the definition they wrap.
_WRAPPERS = frozenset({"decorated_definition", "type_declaration", "const_declaration", "declaration_command",
                       "method_signature"})  # Dart: `static int make()` holds the function's signature
#: Nodes that define something only with a body: ``struct foo *p`` in a C parameter list,
#: ``class Foo;`` and Rust's ``mod x;`` name a type or module defined elsewhere. Counted as
#: definitions, every C file using ``struct client`` "defined" it, and ``mod std;`` in one file
#: took every Rust reference to ``std``.
_NEEDS_BODY = frozenset({"struct_specifier", "enum_specifier", "class_specifier", "union_specifier",
                         "mod_item"})
#: Definitions that do not scope what they contain: ``typedef struct s {...} s_t`` defines
#: ``s``, not ``s_t.s``.
_NOT_SCOPES = frozenset({"type_definition"})


@cache
def _query(lang: str) -> Query:
    """Definitions (@def) and identifier tokens (@r) in one query: each query costs a walk of the
    whole tree (~30% of a parse), so one walk instead of two or three."""
    language = get_language(lang)
    idents = []
    for t in sorted(_ident_types(lang)):
        try:
            Query(language, f"({t}) @r")
            idents.append(t)
        except Exception:  # noqa: BLE001 - node type absent from this grammar
            continue
    defs = " ".join(f"({t})" for t in _DEF_KINDS[lang])
    return Query(language, f"[{defs}] @def [{' '.join(f'({t})' for t in idents)}] @r")


def _name_of(node: Node, lang: str) -> Node | None:
    name = node.child_by_field_name("name")
    if name is None and lang == "kotlin":
        return _kotlin_name(node)
    if lang == "swift":
        return _swift_name(node, name)
    if lang == "elixir":
        return _elixir_name(node)
    if lang == "dart":
        return _dart_name(node, name)
    if lang in ("ocaml", "ocaml_interface") and name is None:
        return _ocaml_name(node)
    if lang == "zig" and name is None:
        return _zig_name(node)
    if lang == "julia":
        return _julia_name(node, name)
    if lang == "objc" and name is None and node.type in _OBJC_NAMED:
        return next((c for c in node.named_children if c.type == "identifier"), None)
    if lang == "lua" and name is not None and name.type in _LUA_INDEXED:  # M.total, M:describe
        return name.child_by_field_name(_LUA_INDEXED[name.type])
    if name is None and node.type == "const_element":  # PHP: const A = 1, B = 2;
        return next((c for c in node.named_children if c.type == "name"), None)
    if name is None and node.type == "val_definition":  # Scala: `val x = …` (a tuple pattern: none)
        pattern = node.child_by_field_name("pattern")
        return pattern if pattern is not None and pattern.type == "identifier" else None
    if name is None and node.type == "function_definition":  # C/C++: declarator chain
        decl = node.child_by_field_name("declarator")
        while decl is not None and decl.child_by_field_name("declarator") is not None:
            decl = decl.child_by_field_name("declarator")
        name = decl
    if name is None and node.type == "type_definition":
        name = node.child_by_field_name("declarator")
    return name


def _kotlin_name(node: Node) -> Node | None:
    """``typealias Name = …`` names its alias in the ``type`` field; ``val name = …`` in its
    variable declaration (a destructuring ``val (a, b)`` defines no one name)."""
    if node.type == "type_alias":
        return node.child_by_field_name("type")
    var = next((c for c in node.named_children if c.type == "variable_declaration"), None)
    return next((c for c in var.named_children if c.type == "identifier"), None) if var is not None else None


def _swift_name(node: Node, name: Node | None) -> Node | None:
    """``init`` is named by its keyword; a property by the identifier its pattern binds; an
    ``extension`` names no new type (its members belong to the type it extends, see _owner)."""
    if node.type == "init_declaration":
        return next((c for c in node.children if c.type == "init"), None)
    if name is not None and name.type == "pattern":
        return name.child_by_field_name("bound_identifier")
    if node.type == "class_declaration" and _is_swift_extension(node):
        return None
    return name


def _is_swift_extension(node: Node) -> bool:
    return any(c.type == "extension" for c in node.children)


#: Lua functions stored in a table (``function M.total``, ``function M:describe``): the field
#: holding the function's own name.
_LUA_INDEXED = {"dot_index_expression": "field", "method_index_expression": "method"}


#: Elixir's defining macros → the kind of what they define.
_ELIXIR_DEFS = {"defmodule": "module", "defprotocol": "interface", "defimpl": "module", "def": "function",
                "defp": "function", "defmacro": "macro", "defmacrop": "macro", "defdelegate": "function",
                "defguard": "function", "defguardp": "function"}


def _elixir_macro(node: Node) -> str:
    target = node.child_by_field_name("target")
    return (target.text or b"").decode("utf-8", "replace") if target is not None and target.type == "identifier" else ""


def _elixir_name(node: Node) -> Node | None:
    """The module's alias (``defmodule Shop.Cart``) or the function's name (``def add(a)``,
    ``def empty``, ``def f(x) when …``); None for a call that defines nothing."""
    if _elixir_macro(node) not in _ELIXIR_DEFS:
        return None
    args = next((c for c in node.named_children if c.type == "arguments"), None)
    head = args.named_children[0] if args is not None and args.named_children else None
    if head is not None and head.type == "binary_operator":  # a guard: f(x) when …
        head = head.child_by_field_name("left")
    if head is not None and head.type == "call":
        head = head.child_by_field_name("target")
    return head if head is not None and head.type in ("alias", "identifier") else None


def _elixir_doc(node: Node) -> str:
    """The first line of a function's ``@doc`` (just above it) or a module's ``@moduledoc`` (the
    first form of its body)."""
    if _elixir_macro(node) in ("defmodule", "defprotocol"):
        block = next((c for c in node.named_children if c.type == "do_block"), None)
        attr = block.named_children[0] if block is not None and block.named_children else None
        want = "moduledoc"
    else:
        attr, want = node.prev_named_sibling, "doc"
    call = attr.child_by_field_name("operand") if attr is not None and attr.type == "unary_operator" else None
    if call is None or _elixir_macro(call) != want:
        return ""
    text = (call.text or b"").decode("utf-8", "replace")[len(want):].strip().strip("~SsDd").strip('"')
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:MAX_SIGNATURE]


def _dart_name(node: Node, name: Node | None) -> Node | None:
    """A named constructor's own name (``Cart.empty`` → empty; an unnamed one defines no new
    name); a mixin's, type alias's or constant's first identifier."""
    if node.type == "constructor_signature":
        names = [n for n in node.children_by_field_name("name") if n.type == "identifier"]
        return names[1] if len(names) == 2 else None
    if name is None:
        return next((c for c in node.named_children if c.type in ("identifier", "type_identifier")), None)
    return name


def _haskell_clause_of(node: Node, other: Node | None) -> bool:
    """Whether ``other`` is another equation (or the type signature) of the function ``node``."""
    if other is None or other.type not in ("function", "bind", "signature"):
        return False
    a, b = node.child_by_field_name("name"), other.child_by_field_name("name")
    return a is not None and b is not None and a.text == b.text


def _zig_name(node: Node) -> Node | None:
    """A ``const``'s name (not one that only imports: ``const std = @import("std")``); a
    test's name string."""
    if node.type == "test_declaration":
        string = next((c for c in node.named_children if c.type == "string"), None)
        return next((c for c in string.named_children if c.type == "string_content"), None) if string else None
    value = node.named_children[-1] if node.named_children else None
    while value is not None and value.type == "field_expression":  # @import("x.zig").Item
        value = value.child_by_field_name("object")
    if value is not None and value.type == "builtin_function" and (value.text or b"").startswith(b"@import"):
        return None
    return next((c for c in node.named_children if c.type == "identifier"), None)


#: Julia nodes a definition's name sits inside: ``f(x::T) where T``, ``P{T} <: Base``.
_JULIA_HEADS = frozenset({"signature", "type_head", "where_expression", "typed_expression", "call_expression",
                          "parametrized_type_expression", "binary_expression"})


def _julia_name(node: Node, name: Node | None) -> Node | None:
    """The defined name inside a Julia head: a function's (``Base.show(io, x)`` → show), a
    type's, a short-form function's (``f(x) = …``, not ``x = 1``), a constant's."""
    if name is not None:
        return name
    if node.type == "const_statement":
        assign = next((c for c in node.named_children if c.type == "assignment"), None)
        first = assign.named_children[0] if assign is not None and assign.named_children else None
        return first if first is not None and first.type == "identifier" else None
    head = node.named_children[0] if node.named_children else None
    if node.type == "assignment" and (head is None or head.type not in ("call_expression", "where_expression")):
        return None  # `x = 1`: a variable, not a function
    while head is not None and head.type in _JULIA_HEADS:
        head = head.named_children[0] if head.named_children else None
    if head is not None and head.type == "field_expression":
        head = head.named_children[-1] if head.named_children else None
    return head if head is not None and head.type == "identifier" else None


#: Objective-C definitions named by their first identifier (a method by its selector's first
#: part: ``GET:parameters:`` is GET).
_OBJC_NAMED = frozenset({"class_interface", "class_implementation", "protocol_declaration", "method_declaration",
                         "method_definition"})
_OBJC_CONTAINERS = frozenset({"class_interface", "class_implementation", "protocol_declaration"})
_OCAML_NAMES = ("value_name", "module_name", "module_type_name", "class_name")


def _ocaml_name(node: Node) -> Node | None:
    """A ``let``'s bound name (``let () = …`` and patterns bind none); a module's, module
    type's, class's or ``val``'s name (the first such child)."""
    if node.type == "let_binding":
        pattern = node.child_by_field_name("pattern")
        return pattern if pattern is not None and pattern.type == "value_name" else None
    return next((c for c in node.named_children if c.type in _OCAML_NAMES), None)


def _span_start(node: Node, lang: str) -> Node:
    """The node a definition starts with: a Haskell function's type signature above it."""
    if lang == "haskell" and node.type in ("function", "bind"):
        prev = node.prev_named_sibling
        if prev is not None and prev.type == "signature" and _haskell_clause_of(node, prev):
            return prev
    return node


def _span_end(node: Node, lang: str) -> Node:
    """The node a definition ends with: Dart keeps a function's body beside its signature; a
    Haskell function's later equations follow its first."""
    if lang == "haskell" and node.type in ("function", "bind"):
        while _haskell_clause_of(node, node.next_named_sibling) and node.next_named_sibling is not None:
            node = node.next_named_sibling
        return node
    if lang == "dart":
        holder = node.parent if node.parent is not None and node.parent.type == "method_signature" else node
        body = holder.next_named_sibling
        if body is not None and body.type == "function_body":
            return body
    return node


def _julia_doc(node: Node) -> str:
    """The first line of the docstring just above a Julia definition (or a comment's)."""
    prev = node.prev_named_sibling
    if prev is not None and prev.type == "string_literal" and prev.end_point[0] >= node.start_point[0] - 1:
        text = (prev.text or b"").decode("utf-8", "replace").strip('"')
        return next((line.strip() for line in text.splitlines() if line.strip()), "")[:MAX_SIGNATURE]
    return _comment_doc(node)


def _perl_package(node: Node) -> str | None:
    """The package a Perl sub is in: the last ``package X;`` before it at its level."""
    prev = node.prev_named_sibling
    while prev is not None:
        if prev.type == "package_statement" and prev.child_by_field_name("block") is None:
            name = prev.child_by_field_name("name")
            return (name.text or b"").decode("utf-8", "replace") if name is not None else None
        prev = prev.prev_named_sibling
    return None


def _body(node: Node) -> Node | None:
    body = node.child_by_field_name("body")
    if body is None:
        body = next((c for c in node.named_children if c.type in _BODY_TYPES), None)
    return body


def _is_definition(node: Node, lang: str) -> bool:
    """False for a node that defines nothing here: a forward declaration (no body), or a
    definition-looking node in a place where it is a local (see :data:`_DEF_PARENTS`)."""
    if node.type in _NEEDS_BODY and node.child_by_field_name("body") is None:
        return False
    if lang == "haskell" and node.type in ("function", "bind") and _haskell_clause_of(node, node.prev_named_sibling):
        prev = node.prev_named_sibling
        if prev is not None and prev.type != "signature":
            return False  # a later equation of the function defined above
    parents = _DEF_PARENTS.get(lang, {}).get(node.type)
    if parents is None:
        return True
    up = node.parent
    if up is not None and up.type in _DEF_HOLDERS:
        up = up.parent
    return up is not None and up.type in parents


def _kind(node: Node, name: Node, data: bytes, lang: str, kind: str) -> str:
    """``kind`` made precise by the words before the name (:data:`_HEAD_KINDS`) or Elixir's
    defining macro; a variable named in capitals, or declared ``const``, is a constant."""
    if lang == "elixir":
        return _ELIXIR_DEFS[_elixir_macro(node)]
    if lang == "zig" and node.type == "variable_declaration":
        value = node.named_children[-1] if node.named_children else None
        refined = _ZIG_VALUE_KINDS.get(value.type if value is not None else "")
        if refined is not None:
            return refined
        return "constant" if data[node.start_byte:name.start_byte].split()[-1:] == [b"const"] else kind
    if kind == "variable" and node.type == "let_binding":  # `let f x = …`, `let f = fun x -> …`
        body = node.child_by_field_name("body")
        if any(c.type == "parameter" for c in node.named_children) or (
                body is not None and body.type in ("fun_expression", "function_expression")):
            return "function"
    if kind == "variable":
        head = data[node.start_byte:name.start_byte]
        text = data[name.start_byte:name.end_byte]
        return "constant" if text.isupper() or b"const" in head.split() else kind
    words = data[node.start_byte:name.start_byte].split()
    for word, refined in _HEAD_KINDS.get(lang, ()):
        if word in words:
            return refined
    return kind


#: Longest text kept after a braced block in a signature (``typedef struct {…} name_t;``).
MAX_SIGNATURE_TAIL = 60


def _comments_before(node: Node, end: int) -> list[tuple[int, int]]:
    """Byte spans of the comments inside ``node`` that start before ``end`` (only the children
    that reach into the header are walked, never a whole body)."""
    spans: list[tuple[int, int]] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if "comment" in n.type:
            spans.append((n.start_byte, min(n.end_byte, end)))
            continue
        stack.extend(c for c in reversed(n.children) if c.start_byte < end)
    return sorted(spans)


def _without_comments(node: Node, data: bytes, end: int, begin: int | None = None) -> bytes:
    """The bytes of ``node`` (from ``begin``: a declaration that holds it) up to ``end`` less its
    comments (``def invoke(  # type: ignore`` showed the comment and glued the next parameter to it)."""
    out, at = [], node.start_byte if begin is None else begin
    for start, stop in _comments_before(node, end):
        if start >= at:
            out += [data[at:start], b" "]
            at = stop
    return b"".join([*out, data[at:end]])


def _signature(node: Node, data: bytes, lang: str) -> str:
    """The definition's header: up to its body, or, for a definition whose braces have no
    ``body`` field (Go ``type T struct {…}``, C ``typedef struct {…} t;``, TypeScript
    ``type T = {…}``), its text with the braced block shown as ``{ … }``."""
    body = _body(node)
    end = body.start_byte if body is not None and body.start_byte > node.start_byte else node.end_byte
    begin = node.start_byte
    if node.parent is not None and (node.parent.type in _DECLARED_BY or (  # PHP's `public const A = 1`,
            lang.startswith("ocaml") and node.parent.type in _OCAML_DECLARED_BY)):
        begin = node.parent.start_byte                                  # Bash's `export A=1`
    head = _without_comments(node, data, min(end, begin + 4 * MAX_SIGNATURE), begin)
    if node.type == "method_definition" and lang == "objc":  # - (void)x:(int)y { … }: up to its block
        block = next((c for c in node.named_children if c.type == "compound_statement"), None)
        head = data[begin : block.start_byte] if block is not None else head
    if node.type == "variable_assignment" or lang == "julia" or node.type in _OBJC_CONTAINERS:
        # a shell setting, a Julia header, an @interface: its first line
        return " ".join(head.split(b"\n", 1)[0].decode("utf-8", "replace").split())[:MAX_SIGNATURE]
    if lang == "ruby":  # the header is its first line; comments before the body are not part of it
        first = head.split(b"\n", 1)[0]
        if first.count(b"(") == first.count(b")"):
            head = first
    text = " ".join(head.decode("utf-8", "replace").split())
    if len(head) < min(end, node.start_byte + 4 * MAX_SIGNATURE) - node.start_byte:  # a comment left
        text = re.sub(r"\s+(?=[,)\]])|(?<=[(\[])\s+", "", text)  # … the space it stood in
    if body is None and "{" in text:
        tail = data[node.start_byte : node.end_byte].rsplit(b"}", 1)
        after = " ".join(tail[1].decode("utf-8", "replace").split()) if len(tail) == 2 else ""
        text = text[: text.index("{")] + "{ … }" + (" " + after if 0 < len(after) <= MAX_SIGNATURE_TAIL else "")
        return text.replace(" ;", ";")[:MAX_SIGNATURE]
    if lang in ("scala", "ocaml"):  # `def f(x: Int): Int = x + 1`, `let f x = …`: the body follows an `=`
        text = text.rstrip(" =")
    return text.rstrip(" {:")[:MAX_SIGNATURE]


def _python_doc(node: Node) -> str:
    body = node.child_by_field_name("body")
    if body is None or not body.named_children:
        return ""
    first = body.named_children[0]
    if first.type == "expression_statement" and first.named_children and first.named_children[0].type == "string":
        raw = (first.named_children[0].text or b"").decode("utf-8", "replace").strip("\"'rbuRBU \n")
        for line in raw.splitlines():
            if line.strip():
                return line.strip()[:MAX_SIGNATURE]
    return ""


def _comment_doc(node: Node) -> str:
    prev = node.prev_named_sibling
    if prev is not None and ("comment" in prev.type or prev.type == "haddock") and prev.end_point[0] >= node.start_point[0] - 1:
        text = (prev.text or b"").decode("utf-8", "replace")
        for line in text.splitlines():
            line = line.strip().lstrip("/*#!-").strip().lstrip("|").strip()  # Haddock's -- |
            line = line.removesuffix("*/").strip()
            if line.startswith("(*"):  # OCaml's (** doc *)
                line = line.lstrip("(*").removesuffix("*)").strip()
            if line:
                return line[:MAX_SIGNATURE]
    return ""


def _owner(node: Node, data: bytes, lang: str) -> str | None:
    """Go receiver type / Rust impl type / the type a Swift extension extends / the Lua table a
    function is stored in, that a function belongs to."""
    if lang == "go" and node.type == "method_declaration":
        recv = node.child_by_field_name("receiver")
        if recv is not None:
            words = [w.strip("*()") for w in (recv.text or b"").decode("utf-8", "replace").split()]
            return words[-1].split("[")[0] if words else None
    if lang == "swift":
        parent = node.parent
        while parent is not None and parent.type not in ("class_declaration", "source_file"):
            parent = parent.parent
        if parent is not None and parent.type == "class_declaration" and _is_swift_extension(parent):
            typ = parent.child_by_field_name("name")
            return (typ.text or b"").decode("utf-8", "replace").split("<")[0] if typ is not None else None
    if lang == "lua":  # function M.a.b: the table path M.a
        name = node.child_by_field_name("name")
        table = name.child_by_field_name("table") if name is not None and name.type in _LUA_INDEXED else None
        return (table.text or b"").decode("utf-8", "replace").replace(":", ".") if table is not None else None
    if lang == "perl" and node.type == "subroutine_declaration_statement":
        return _perl_package(node)
    if lang == "rust":
        parent = node.parent
        while parent is not None and parent.type not in ("impl_item", "source_file", "trait_item"):
            parent = parent.parent
        if parent is not None and parent.type == "impl_item":
            typ = parent.child_by_field_name("type")
            return (typ.text or b"").decode("utf-8", "replace").split("<")[0] if typ is not None else None
    return None


def _python_assignments(tree: Tree, data: bytes) -> list[DefRow]:
    """Module-level ``NAME = ...``: constants (ALL_CAPS) and aliases such as ``Matrix = Dense``.

    Only the module's own statements can hold them, so they are read directly (no query walk)."""
    out = []
    for stmt in tree.root_node.named_children:
        if stmt.type != "expression_statement" or not stmt.named_children:
            continue
        node = stmt.named_children[0]
        name_node = node.child_by_field_name("left") if node.type == "assignment" else None
        if name_node is None or name_node.type != "identifier":
            continue
        name = (name_node.text or b"").decode("utf-8", "replace")
        kind = "constant" if name.isupper() else "variable"
        eol = data.find(b"\n", node.start_byte, node.end_byte)
        line = data[node.start_byte : eol if eol >= 0 else node.end_byte]
        out.append(DefRow(
            name, name, kind, node.start_point[0] + 1, node.end_point[0] + 1, node.start_byte,
            node.end_byte, " ".join(line.decode("utf-8", "replace").split())[:MAX_SIGNATURE],
        ))
    return out


def extract_symbols(lang: str, tree: Tree, data: bytes) -> tuple[list[Definition], dict[str, int]]:
    """Definitions in the file (path left ""), and identifier references: name -> count."""
    rows, refs = extract_symbol_rows(lang, tree, data)
    return [Definition(**row._asdict()) for row in rows], refs


def extract_symbol_rows(lang: str, tree: Tree, data: bytes) -> tuple[list[DefRow], dict[str, int]]:
    """:func:`extract_symbols` as plain rows, sorted by start byte (outer definitions first)."""
    kinds = _DEF_KINDS.get(lang)
    if kinds is None:
        return [], {}
    captured = QueryCursor(_query(lang)).captures(tree.root_node)
    nodes = captured.get("def", [])
    nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))
    defs: list[DefRow] = []
    stack: list[tuple[int, str, str]] = []  # (end_byte, qualname, kind) of open definitions
    def_names: set[tuple[int, int, str]] = set()  # (start, end, node type) of definition names
    for node in nodes:
        if not _is_definition(node, lang):
            continue
        name_node = _name_of(node, lang)
        if name_node is None:
            continue
        shown = (name_node.text or b"").decode("utf-8", "replace")
        if not shown or "\n" in shown:
            continue
        name = shown.rsplit(_QUALIFIER.get(lang, " "), 1)[-1]  # defmodule Shop.Cart, package Shop::Cart: Cart
        def_names.add((name_node.start_byte, name_node.end_byte, name_node.type))
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        parent = stack[-1][1] if stack else None
        parent_kind = stack[-1][2] if stack else None
        owner = _owner(node, data, lang)
        if owner and not parent:
            parent, parent_kind = owner, "type"
        kind = _kind(node, name_node, data, lang, kinds[node.type])
        if kind == "function" and parent_kind not in (None, "module", "namespace"):
            kind = "method"
        start = _span_start(node, lang)
        if node.parent is not None and (node.parent.type in _WRAPPERS or (
                lang.startswith("ocaml") and node.parent.type in _OCAML_DECLARED_BY)):
            start = node.parent  # decorators, Go's `type` keyword: the definition starts there
        qual = f"{parent}.{shown}" if parent else shown
        end = _span_end(node, lang)
        defs.append(DefRow(
            name, qual, kind, start.start_point[0] + 1, end.end_point[0] + 1, start.start_byte,
            end.end_byte, _signature(start if start.type == "signature" else node, data, lang),
            _python_doc(node) if lang == "python" else _elixir_doc(node) if lang == "elixir"
            else _julia_doc(start) if lang == "julia" else _comment_doc(start),
            parent,
        ))
        if node.type not in _NOT_SCOPES:
            stack.append((end.end_byte, qual, kind))
    if lang == "python":
        assigns = _python_assignments(tree, data)
        def_names.update((d.start_byte, d.start_byte + len(d.name.encode()), "identifier") for d in assigns)
        defs = sorted(defs + assigns, key=lambda d: (d.start_byte, -d.end_byte))
    return defs, _count_refs(captured.get("r", []), data, def_names, _ident_types(lang), _QUALIFIER.get(lang))


def references_in(lang: str, tree: Tree, data: bytes, start_byte: int, end_byte: int) -> dict[str, int]:
    """Identifier references inside ``data[start_byte:end_byte]`` (one definition's span): name ->
    count, less the tokens that name a definition inside the span (the definition's own name,
    its methods and nested functions), as :func:`extract_symbol_rows` counts them per file."""
    if lang not in _DEF_KINDS:
        return {}
    cursor = QueryCursor(_query(lang))
    cursor.set_byte_range(start_byte, end_byte)
    captured = cursor.captures(tree.root_node)
    inside = [n for n in captured.get("r", []) if n.start_byte >= start_byte and n.end_byte <= end_byte]
    def_names: set[tuple[int, int, str]] = set()
    for node in captured.get("def", []):
        name_node = _name_of(node, lang) if node.start_byte >= start_byte and node.end_byte <= end_byte else None
        if name_node is not None:
            def_names.add((name_node.start_byte, name_node.end_byte, name_node.type))
    return _count_refs(inside, data, def_names, _ident_types(lang), _QUALIFIER.get(lang))


def _count_refs(idents: list[Node], data: bytes, def_names: set[tuple[int, int, str]],
                ident_types: frozenset[str], qualifier: str | None = None) -> dict[str, int]:
    """Identifier tokens by text, less the tokens that name a definition: counted in one C-level
    pass (a Python loop over ~1.5M nodes on the stdlib costs twice as much)."""
    counts = Counter(data[n.start_byte : n.end_byte] for n in idents)
    for lo, hi, typ in def_names:
        if typ in ident_types:
            key = data[lo:hi]
            counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]
    if qualifier is not None:
        merged: Counter[bytes] = Counter()
        sep = qualifier.encode()
        for k, v in counts.items():
            merged[k.rsplit(sep, 1)[-1]] += v
        counts = merged
    return {k.decode("utf-8", "replace"): v for k, v in counts.items()}
