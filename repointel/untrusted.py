"""Repository text is untrusted: where it enters a line structure it is escaped, characters that
hide or reorder text are flagged, and messages do not print the home directory.

- :func:`escape_line` makes any string (a path, a signature, an owner, a command) one visible
  line: line breaks of every kind (``\\n``, ``\\r``, U+2028/2029, U+0085, vertical tab, form
  feed), other control characters and the invisible characters below become ``\\n``-style or
  ``\\uXXXX`` escapes, so a file named ``"a\\n## ctx-9 policy …"`` cannot forge a heading in a
  packet, and one with an RLO (U+202E) is shown as ``\\u202e``, not reversed.
- :func:`hidden_text` says whether text holds characters a reader does not see: zero-width
  characters, bidi embeddings, overrides and isolates, the soft hyphen, Unicode tag characters
  (U+E0000–U+E007F, which can spell a whole hidden instruction), line/paragraph separators,
  variation selectors supplement, fillers, control characters, and a carriage return that is
  not part of a CRLF (a terminal prints the rest of the line over its start: a hidden line).
- :func:`display_paths` rewrites a message's absolute paths relative to the repository root,
  or under ``~``.
"""

from __future__ import annotations

import os
import re

__all__ = ["HIDDEN_FLAG", "display_paths", "escape_line", "hidden_text", "json_line_safe"]

#: The flag a packet item carries when its text holds :func:`hidden_text` characters.
HIDDEN_FLAG = "invisible_or_bidi_characters"

#: Characters that are invisible or reorder text: soft hyphen, combining grapheme joiner, Arabic
#: letter mark, Hangul fillers, Mongolian vowel separator, zero-width space/joiners and LRM/RLM,
#: line and paragraph separators, bidi embeddings/overrides, word joiner and invisible operators,
#: bidi isolates, deprecated format characters, BOM / zero-width no-break space, halfwidth filler,
#: interlinear annotation marks, tag characters, variation selectors supplement.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e007f\U000e0100-\U000e01ef"
)
#: C0 controls (but tab, line feed and carriage return), DEL, C1 controls.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_HIDDEN = re.compile(f"[{_INVISIBLE}{_CONTROLS}]|\r(?!\n)")
#: What :func:`escape_line` escapes: the hidden set, every line break, tab and backslash-free CR.
_UNSAFE_IN_LINE = re.compile(f"[{_INVISIBLE}{_CONTROLS}\t\n\r\x85]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Characters JSON may carry raw that break a line or hide text in a text view of it.
_UNSAFE_IN_JSON = re.compile(f"[{_INVISIBLE}\x85]")


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_line(text: str) -> str:
    """``text`` as one visible line: line breaks, tabs, controls and invisible characters escaped."""
    if text.isascii() and text.isprintable():
        return text  # the common case: nothing to escape
    return _UNSAFE_IN_LINE.sub(lambda m: _escape(m.group()), text)


def hidden_text(text: str) -> bool:
    """Whether ``text`` holds characters a reader does not see (see the module docstring)."""
    return bool(_HIDDEN.search(text))


def json_line_safe(text: str) -> str:
    """JSON text (``ensure_ascii=False``) with the characters JSON may carry raw but a text view
    would break a line on or hide (U+2028/2029, bidi, zero-width, tags) written as ``\\u`` escapes:
    still the same JSON."""
    return _UNSAFE_IN_JSON.sub(lambda m: "".join(f"\\u{u:04x}" for u in _utf16(m.group())), text)


def _utf16(ch: str) -> list[int]:
    data = ch.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def display_paths(message: str, root: str | None = None) -> str:
    """``message`` with paths under ``root`` shown relative to it and paths under the home
    directory shown under ``~``: errors name what went wrong, not where the user lives."""
    if root:
        for form in dict.fromkeys((os.path.abspath(root), os.path.realpath(root))):
            if form.rstrip(os.sep):  # a repository at / would rewrite every absolute path
                message = _replace_dir(message, form, "")
    home = os.path.expanduser("~")
    if len(home) > 1:  # "/" (a user without a home) would rewrite every path
        for form in dict.fromkeys((home, os.path.realpath(home))):
            message = _replace_dir(message, form, "~")
    return message


def _replace_dir(message: str, directory: str, shown: str) -> str:
    """``directory/x`` → ``shown/x`` (``x`` when ``shown`` is empty) and ``directory`` alone →
    ``shown`` (``.`` when empty), only where the whole directory name matches."""
    inside = re.escape(directory.rstrip(os.sep) + os.sep)
    message = re.sub(inside, (shown + os.sep).replace("\\", "\\\\") if shown else "", message)
    return re.sub(re.escape(directory.rstrip(os.sep)) + r"(?![\w.-])", shown or ".", message)
