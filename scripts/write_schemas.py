"""Write the JSON Schemas of the problem and plan files into ``schemas/``.

They are generated from the pydantic models in ``scheduler.formats`` (``schemas.py``);
``tests/scheduler/formats/test_json_files.py`` fails when the committed files differ from
what the code generates. Run after changing a model::

    .venv/bin/python scripts/write_schemas.py          # rewrite schemas/*.schema.json
    .venv/bin/python scripts/write_schemas.py --check  # exit 1 if they are out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduler.formats import schema_files  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args(argv)
    out_dir = ROOT / "schemas"
    stale = []
    for name, text in schema_files().items():
        path = out_dir / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            out_dir.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        print(f"out of date: {', '.join(stale)}; run scripts/write_schemas.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
