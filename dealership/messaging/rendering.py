"""Message templates: shipped as files, overridden by managers in admin, rendered once.

A template sees only the context it is given (no request, no context processors). Plain text
parts render without HTML escaping; the optional HTML part escapes as usual.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template import Context, Template, TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.utils.translation import gettext as _

from .models import Channel, MessageTemplate


@dataclass(frozen=True)
class TemplateSource:
    subject: str
    body: str
    body_html: str


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    body_html: str


def _file(path: str) -> str | None:
    try:
        return get_template(path).template.source
    except TemplateDoesNotExist:
        return None


def _file_source(key: str, channel: str, language: str) -> TemplateSource | None:
    prefixes = [f"messages/{key}/{language}/"] if language else []
    prefixes.append(f"messages/{key}/")
    for prefix in prefixes:
        if channel == Channel.SMS:
            body = _file(prefix + "sms.txt")
            if body is not None:
                return TemplateSource(subject="", body=body, body_html="")
        else:
            body = _file(prefix + "body.txt")
            if body is not None:
                return TemplateSource(
                    subject=_file(prefix + "subject.txt") or "",
                    body=body,
                    body_html=_file(prefix + "body.html") or "",
                )
    return None


def template_source(*, key: str, channel: str, language: str = "") -> TemplateSource:
    """The manager's override in this language, then any language, then the shipped files."""
    overrides = {
        t.language: t
        for t in MessageTemplate.objects.filter(
            key=key, channel=channel, language__in={language, ""}
        )
    }
    override = overrides.get(language) or overrides.get("")
    if override is not None:
        return TemplateSource(override.subject, override.body, override.body_html)
    source = _file_source(key, channel, language)
    if source is None:
        raise ValidationError(
            _("There is no %(channel)s template “%(key)s”."),
            code="unknown_template",
            params={"channel": channel, "key": key},
        )
    return source


def _render(source: str, context: dict, *, autoescape: bool, compiled: dict | None = None) -> str:
    if not source:
        return ""
    if compiled is None:
        template = Template(source)
    else:
        # A batch renders one source many times: compile it once.
        template = compiled.get(source)
        if template is None:
            template = compiled[source] = Template(source)
    return template.render(Context(context, autoescape=autoescape))


def render_source(
    source: TemplateSource, context: dict, *, compiled: dict | None = None
) -> RenderedMessage:
    """`compiled`: a dict the caller keeps across calls (one batch) to compile each source once."""
    return RenderedMessage(
        # A subject is one line: template newlines would break the mail header.
        subject=" ".join(
            _render(source.subject, context, autoescape=False, compiled=compiled).split()
        ),
        body=_render(source.body, context, autoescape=False, compiled=compiled).strip() + "\n",
        body_html=_render(source.body_html, context, autoescape=True, compiled=compiled),
    )


def template_sources(
    combos: set[tuple[str, str, str]],
) -> dict[tuple[str, str, str], TemplateSource | ValidationError]:
    """`template_source` for many (key, channel, language) at once, with one query for the
    managers' overrides; a combination without any template maps to its ValidationError."""
    if not combos:
        return {}
    overrides: dict[tuple[str, str, str], MessageTemplate] = {
        (t.key, t.channel, t.language): t
        for t in MessageTemplate.objects.filter(
            key__in={c[0] for c in combos},
            channel__in={c[1] for c in combos},
            language__in={c[2] for c in combos} | {""},
        )
    }
    found: dict[tuple[str, str, str], TemplateSource | ValidationError] = {}
    for key, channel, language in combos:
        override = overrides.get((key, channel, language)) or overrides.get((key, channel, ""))
        if override is not None:
            found[key, channel, language] = TemplateSource(
                override.subject, override.body, override.body_html
            )
            continue
        source = _file_source(key, channel, language)
        found[key, channel, language] = source or ValidationError(
            _("There is no %(channel)s template “%(key)s”."),
            code="unknown_template",
            params={"channel": channel, "key": key},
        )
    return found


def render_message(*, key: str, channel: str, language: str, context: dict) -> RenderedMessage:
    return render_source(template_source(key=key, channel=channel, language=language), context)


def validate_template(template: MessageTemplate) -> None:
    """Compile and render each part with the sample context; a clear error per field."""
    errors = {}
    for field in ("subject", "body", "body_html"):
        source = getattr(template, field) or ""
        try:
            _render(source, template.sample_context or {}, autoescape=field == "body_html")
        except TemplateSyntaxError as exc:
            errors[field] = _("Template error: %(error)s") % {"error": exc}
        except Exception as exc:  # a filter raising on the sample data
            errors[field] = _("The template fails with the sample context: %(error)s") % {
                "error": exc
            }
    if template.channel == Channel.SMS and (template.subject or template.body_html):
        errors.setdefault("subject", _("An SMS has only a body; leave subject and HTML empty."))
    if errors:
        raise ValidationError(errors)
