"""Regenerate docs/packet-schema.json from the pydantic model :class:`repointel.models.ContextPacket`.

Usage::

    python docs/gen_schemas.py          # rewrite the schema file
    python docs/gen_schemas.py --check  # exit 1 when the file is out of date (CI / tests)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from repointel.models import ContextPacket

HERE = Path(__file__).resolve().parent
TARGETS = {HERE / "packet-schema.json": ContextPacket}


def render(model: type[ContextPacket]) -> str:
    """The JSON schema of ``model`` as the file should hold it."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              **model.model_json_schema()}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write (or with ``--check``, verify) every generated schema file."""
    check = "--check" in argv
    stale = []
    for path, model in TARGETS.items():
        text = render(model)
        if path.exists() and path.read_text() == text:
            continue
        if check:
            stale.append(path.name)
        else:
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python docs/gen_schemas.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
