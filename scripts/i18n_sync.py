"""Keep the four catalogues current without hand-editing .po files.

    python scripts/i18n_sync.py                      # extract, report what is untranslated
    python scripts/i18n_sync.py --todo FILE.json     # ...and write those entries to fill in
    python scripts/i18n_sync.py --apply FILE.json    # extract, then apply the filled-in file

The JSON file is a list of entries, each with ``msgid`` (and ``plural``/``context`` when the
string has them) and one key per language (``de``, ``fi``, ``pt``, ``zh_Hans``); a plural
entry's translation is a list of forms (two for de/fi/pt, one for zh_Hans). Applying never
overwrites a translation already in a catalogue unless the entry is fuzzy (msgmerge's guess),
and it clears the fuzzy flag of every entry it fills. Exit status 1 while anything is left.
"""

import argparse
import json
import re
import subprocess  # nosec B404 - runs manage.py with fixed arguments
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("de", "fi", "pt", "zh_Hans")
IGNORE = (".venv", "bench", "tests", "var", "node_modules")


def extract() -> None:
    command = [sys.executable, "manage.py", "makemessages", "--no-obsolete", "-v0"]
    for code in LANGUAGES:
        command += ["-l", code]
    command += [f"--ignore={name}" for name in IGNORE]
    subprocess.run(command, cwd=ROOT, check=True)  # nosec B603
    # makemessages writes Germanic plural headers for Chinese; it has one form.
    zh = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    text = zh.read_text(encoding="utf-8")
    text = re.sub(r'^msgstr\[1\] ""\n', "", text, flags=re.MULTILINE)
    zh.write_text(text, encoding="utf-8")


def _path(code: str) -> Path:
    return ROOT / "locale" / code / "LC_MESSAGES" / "django.po"


def _load(code: str):
    with _path(code).open("rb") as handle:
        return read_po(handle, locale=code)


def _save(code: str, catalogue) -> None:
    with _path(code).open("wb") as handle:
        write_po(handle, catalogue, width=79, include_previous=False)


def _done(message) -> bool:
    if message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def _key(msgid: str, context: str | None) -> tuple[str, str | None]:
    return (msgid, context or None)


def apply(entries: list[dict]) -> int:
    filled = 0
    for code in LANGUAGES:
        catalogue = _load(code)
        for entry in entries:
            translation = entry.get(code)
            if not translation:
                continue
            message = catalogue.get(entry["msgid"], context=entry.get("context"))
            if message is None or _done(message):
                continue
            if isinstance(message.id, tuple):
                forms = translation if isinstance(translation, list) else [translation]
                message.string = tuple(forms[: catalogue.num_plurals])
            else:
                message.string = translation if isinstance(translation, str) else translation[0]
            message.flags.discard("fuzzy")
            message.previous_id = []
            filled += 1
        _save(code, catalogue)
    return filled


def todo() -> list[dict]:
    wanted: dict[tuple, dict] = {}
    for code in LANGUAGES:
        for message in _load(code):
            if not message.id or _done(message):
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            entry = wanted.setdefault(_key(msgid, message.context), {"msgid": msgid})
            if isinstance(message.id, tuple):
                entry["plural"] = message.id[1]
            if message.context:
                entry["context"] = message.context
            locations = sorted({path for path, _line in message.locations})[:2]
            entry["where"] = locations
            entry[code] = ["", ""] if isinstance(message.id, tuple) else ""
    return list(wanted.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apply", type=Path, action="append", default=[])
    parser.add_argument("--todo", type=Path)
    parser.add_argument("--no-extract", action="store_true")
    args = parser.parse_args()
    if not args.no_extract:
        extract()
    entries = [e for path in args.apply for e in json.loads(path.read_text(encoding="utf-8"))]
    # Always written back through Babel, so the files keep one layout whoever ran this.
    print(f"{apply(entries)} translations applied")
    left = todo()
    if args.todo:
        args.todo.write_text(json.dumps(left, ensure_ascii=False, indent=1) + "\n")
        print(f"{args.todo}: {len(left)} entries to translate")
    for entry in left:
        print(f"untranslated: {entry['msgid'][:70]!r} ({', '.join(entry['where'])})")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
