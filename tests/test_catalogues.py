"""The translation catalogues: one per language the site offers, each compiles, and those
declared complete have no untranslated or fuzzy entry (a guess is never shown)."""

import io
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation import to_locale

ROOT = Path(__file__).resolve().parent.parent
# Languages whose catalogue is finished: a new string without its translation fails here.
COMPLETE = {"de", "fi", "pt", "zh-hans"}
OFFERED = [code for code, _name in settings.LANGUAGES if code != "en"]


def _catalogue(code: str):
    path = ROOT / "locale" / to_locale(code) / "LC_MESSAGES" / "django.po"
    with path.open("rb") as handle:
        return path, read_po(handle, locale=to_locale(code))


@pytest.mark.parametrize("code", OFFERED)
def test_every_offered_language_has_a_catalogue_that_compiles(code):
    path, catalogue = _catalogue(code)

    problems = [f"{m.lineno}: {e}" for m, errors in catalogue.check() for e in errors]
    assert problems == [], f"{path}: {problems}"
    assert len(catalogue) > 1000  # the whole site's strings, not a stub


def test_a_complete_catalogue_has_no_untranslated_or_fuzzy_entry():
    missing = {
        code: [
            m.id
            for m in _catalogue(code)[1]
            if m.id
            and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
        ]
        for code in sorted(COMPLETE)
    }

    assert {code: ids for code, ids in missing.items() if ids} == {}


def test_the_plural_forms_are_the_languages_own():
    assert _catalogue("zh-hans")[1].num_plurals == 1
    assert {_catalogue(code)[1].num_plurals for code in ("de", "pt", "fi")} == {2}


def test_every_string_in_the_sources_is_in_every_catalogue(tmp_path):
    """The catalogues are current: extracting the sources again (Django's makemessages, in a
    copy of the tree so nothing here changes) finds no msgid a catalogue lacks. With the
    complete-catalogue test above, a new string without its translation fails the suite."""
    import shutil
    import subprocess  # nosec B404 - runs manage.py with fixed arguments
    import sys

    if shutil.which("xgettext") is None:
        pytest.fail(
            "GNU gettext (xgettext) is needed to check the catalogues: apt-get install gettext"
        )
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "var", "node_modules", "__pycache__", "*.mo", "tests", "bench"
        ),
    )
    subprocess.run(  # nosec B603
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "de",
            "--keep-pot",
            "-v0",
            "--ignore=var",
            "--ignore=bench",
            "--ignore=tests",
        ],
        cwd=copy,
        check=True,
        env={
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            "DEBUG": "true",
            "SECRET_KEY": "catalogue-check",
            "PYTHONPATH": str(copy),
        },
        timeout=300,
    )
    # A template's header has placeholder plural forms, which Babel cannot read.
    pot = (copy / "locale" / "django.pot").read_bytes()
    pot = pot.replace(b"nplurals=INTEGER; plural=EXPRESSION;", b"nplurals=2; plural=(n != 1);")
    extracted = {
        m.id if isinstance(m.id, str) else m.id[0] for m in read_po(io.BytesIO(pot)) if m.id
    }

    missing = {
        code: sorted(
            extracted
            - {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(code)[1] if m.id}
        )
        for code in OFFERED
    }
    assert {code: ids for code, ids in missing.items() if ids} == {}, (
        "run `manage.py makemessages -l <lang> --no-obsolete` and translate the new entries"
    )
