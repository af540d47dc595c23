"""Compile locale/*/LC_MESSAGES/*.po to .mo with Babel (a dependency already), so neither
`make run` nor `make test` needs GNU gettext on the machine. A catalogue that does not
compile (a broken placeholder, a bad plural form) stops the build with its file and line.

.mo files are build output: not committed (.gitignore), rebuilt when their .po is newer.
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def compile_catalogue(po_path: Path, *, force: bool = False) -> list[str]:
    mo_path = po_path.with_suffix(".mo")
    locale = po_path.parent.parent.name
    with po_path.open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    problems = [
        f"{po_path.relative_to(ROOT)}:{message.lineno}: {error}"
        for message, errors in catalogue.check()
        for error in errors
    ]
    if problems:
        return problems
    if force or not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
        with mo_path.open("wb") as handle:
            # Fuzzy entries are left out, as msgfmt does: a guess is never shown to anyone.
            write_mo(handle, catalogue, use_fuzzy=False)
    return []


def main() -> int:
    problems = []
    catalogues = sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po"))
    for po_path in catalogues:
        problems += compile_catalogue(po_path, force="--force" in sys.argv)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"compilemessages: {len(catalogues)} catalogues up to date")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
