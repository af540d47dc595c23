"""Every string a person reads is marked for translation: a test fails when a template's text
or user-visible attribute, or a Python error text, label or message, is a bare literal.

Templates are read with Django's own template Lexer: text inside {% translate %} and
{% blocktranslate %} is marked, variables and tags are not text, and <script>/<style> bodies
and comments are skipped. What remains is parsed as HTML; a text node or a placeholder, title,
aria-label, alt or submit button value with a letter in it is a finding. Python sources are
read as syntax trees: ValidationError("…"), messages.error(request, "…"), verbose_name="…",
label="…", help_text="…" and HttpResponse*("…") error texts must be gettext-wrapped.
"""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
# The Django admin's own look-alike templates use its catalogue and are staff-only.
SKIP_TEMPLATE_DIRS = {"admin"}
# Names and units that are the same in every language.
ALLOWED = {"Showroom", "km", "VIN", "SHA-256", "€", "OK", "PDF", "CSV", "ADF", "SMS", "ID"}
ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
HOLE = "\ue000"  # where a variable or a tag stood
LETTER = re.compile(r"[^\W\d_]")


def _unmarked_text(source: str) -> str:
    """The template with everything marked, dynamic or commented replaced by a hole."""
    out: list[str] = []
    depth = 0  # inside {% blocktranslate %}, {% comment %}, {% verbatim %} or a class block
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.TEXT:
            out.append(HOLE if depth else token.contents)
            continue
        if token.token_type == TokenType.BLOCK:
            bits = token.contents.split() or [""]
            # {% block body_class %}staff{% endblock %} fills a class attribute: not text.
            if bits[0] in ("blocktranslate", "blocktrans", "comment", "verbatim") or (
                bits[0] == "block" and bits[-1].endswith("_class")
            ):
                depth += 1
            elif bits[0] in ("endblocktranslate", "endblocktrans", "endcomment", "endverbatim") or (
                bits[0] == "endblock" and depth and bits[-1].endswith("_class")
            ):
                depth -= 1
        out.append(HOLE)
    return "".join(out)


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self._raw = 0  # inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._raw += 1
        values = dict(attrs)
        for name, value in attrs:
            if name in ATTRIBUTES and _is_text(value):
                self.findings.append(f'<{tag} {name}="{value}">')
        # An <input type="submit">'s value is its caption; a <button>'s value is only posted
        # (its caption is its content, checked as text).
        if (
            tag == "input"
            and (values.get("type") or "").lower() in ("submit", "button", "reset")
            and _is_text(values.get("value"))
        ):
            self.findings.append(f'<{tag} value="{values["value"]}">')

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._raw -= 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._raw = max(0, self._raw - 1)

    def handle_data(self, data):
        if not self._raw and _is_text(data):
            self.findings.append(" ".join(data.split()))


def _is_text(value: str | None) -> bool:
    if not value:
        return False
    words = [w for w in re.split(r"[\s" + HOLE + r"]+", value) if w]
    return any(LETTER.search(w) and w.strip(".,:;()·–—|/") not in ALLOWED for w in words)


def template_findings(source: str, *, html: bool = True) -> list[str]:
    text = _unmarked_text(source)
    if not html:
        return [" ".join(text.split())] if _is_text(text) else []
    finder = _Finder()
    finder.feed(text)
    finder.close()
    return finder.findings


def _template_files():
    for path in sorted(TEMPLATES.rglob("*")):
        relative = path.relative_to(TEMPLATES)
        if path.suffix in (".html", ".txt") and relative.parts[0] not in SKIP_TEMPLATE_DIRS:
            yield path


def test_template_text_is_marked_for_translation():
    findings = {
        str(path.relative_to(ROOT)): found
        for path in _template_files()
        if (found := template_findings(path.read_text(), html=path.suffix == ".html"))
    }

    assert findings == {}


# --- Python --------------------------------------------------------------------------------

KEYWORDS = {"verbose_name", "verbose_name_plural", "label", "help_text", "empty_label"}
MESSAGES = {"debug", "info", "success", "warning", "error", "add_message"}
SKIP_PY_DIRS = {".venv", "tests", "migrations", "bench", "scripts", "node_modules", ".git"}


def _literal(node) -> bool:
    """A bare string a person would read (an f-string or a plain constant with a letter)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(LETTER.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and LETTER.search(str(v.value)) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _literal(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _literal(node.func.value)
    return False


def _name(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def python_findings(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            first = node.args[0] if node.args else None
            if name == "ValidationError" and first is not None and _literal(first):
                found.append(f"{node.lineno}: ValidationError({ast.unparse(first)})")
            if name in ("PermissionDenied", "SuspiciousOperation") and first and _literal(first):
                found.append(f"{node.lineno}: {name}({ast.unparse(first)})")
            if name == "add_error" and len(node.args) > 1 and _literal(node.args[1]):
                found.append(f"{node.lineno}: add_error(…, {ast.unparse(node.args[1])})")
            if name.startswith("HttpResponse") and first is not None and _literal(first):
                found.append(f"{node.lineno}: {name}({ast.unparse(first)})")
            if (
                name in MESSAGES
                and isinstance(node.func, ast.Attribute)
                and _name(node.func.value) == "messages"
            ):
                text = node.args[
                    2 if name == "add_message" else 1 : 3 if name == "add_message" else 2
                ]
                if text and _literal(text[0]):
                    found.append(f"{node.lineno}: messages.{name}(…, {ast.unparse(text[0])})")
            for keyword in node.keywords:
                if keyword.arg in KEYWORDS and _literal(keyword.value):
                    found.append(f"{node.lineno}: {keyword.arg}={ast.unparse(keyword.value)}")
                if keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                    found += [
                        f"{node.lineno}: error_messages {ast.unparse(value)}"
                        for value in keyword.value.values
                        if _literal(value)
                    ]
        elif isinstance(node, ast.Assign) and _literal(node.value):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in (
                    "verbose_name",
                    "verbose_name_plural",
                ):
                    found.append(f"{node.lineno}: {target.id} = {ast.unparse(node.value)}")
    return found


def _python_files():
    for path in sorted(ROOT.rglob("*.py")):
        parts = set(path.relative_to(ROOT).parts[:-1])
        if not parts & SKIP_PY_DIRS:
            yield path


def test_python_texts_are_marked_for_translation():
    findings = {
        str(path.relative_to(ROOT)): found
        for path in _python_files()
        if (found := python_findings(path.read_text()))
    }

    assert findings == {}


# --- the checks themselves -----------------------------------------------------------------


def test_the_template_check_finds_bare_text_and_attributes_and_nothing_marked():
    source = (
        "{% load i18n %}<h1>Book a test drive</h1>"
        '<input placeholder="Your name" class="form-control">'
        '<button type="submit" value="send">{% translate "Send" %}</button>'
        '<input type="submit" value="Send">'
        "<p>{% blocktranslate %}Hello {{ name }}{% endblocktranslate %} · {{ when }}</p>"
        "<script>const x = 'not text';</script><style>p { color: red }</style>"
        "{% comment %}A note for developers{% endcomment %}<span>Showroom</span>"
        '<body class="{% block body_class %}staff{% endblock body_class %}">'
    )

    assert template_findings(source) == [
        "Book a test drive",
        '<input placeholder="Your name">',
        '<input value="Send">',
    ]


def test_the_python_check_finds_bare_literals_and_passes_wrapped_ones():
    source = (
        "from django.utils.translation import gettext as _\n"
        "raise ValidationError('Bad date')\n"
        "raise ValidationError(_('Bad date'))\n"
        "messages.success(request, f'Saved {x}')\n"
        "messages.success(request, _('Saved'))\n"
        "field = forms.CharField(label='Name', help_text=_('Your name'))\n"
        "return HttpResponseBadRequest('Unknown slot')\n"
        "return HttpResponse(status=204)\n"
        "form.add_error('email', 'Taken')\n"
        "forms.DateField(error_messages={'invalid': 'Not a date', 'required': _('Say when')})\n"
    )

    assert python_findings(source) == [
        "2: ValidationError('Bad date')",
        "4: messages.success(…, f'Saved {x}')",
        "6: label='Name'",
        "7: HttpResponseBadRequest('Unknown slot')",
        "9: add_error(…, 'Taken')",
        "10: error_messages 'Not a date'",
    ]
