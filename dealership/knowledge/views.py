from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dealership.accounts.access import staff_required
from dealership.accounts.ratelimit import rate_limited

from . import selectors
from .forms import HelpSearchForm
from .markdown import render_markdown

# The chat asks while the visitor types: one request per keystroke or two.
SUGGEST_LIMIT_PER_MINUTE = 60


def _index(request, *, audiences, template):
    language = selectors.reading_language(language=get_language(), audiences=audiences)
    form = HelpSearchForm(request.GET or None)
    query, results, status = "", None, 200
    if form.is_bound:
        if form.is_valid():
            query = form.cleaned_data["q"].strip()
            if query:
                results = selectors.article_search(
                    query=query, language=language, audiences=audiences
                )
        else:
            status = 400
    groups = [] if query else selectors.article_index(language=language, audiences=audiences)
    return render(
        request,
        template,
        {
            "form": form,
            "query": query,
            "results": results,
            "groups": groups,
            "article_language": language,
        },
        status=status,
    )


def _article(request, slug, *, audiences, template):
    language = selectors.visitor_language(get_language())
    article = selectors.article_get(slug=slug, language=language, audiences=audiences)
    if article is None:
        raise Http404(_("No help article here."))
    return render(
        request,
        template,
        {
            "article": article,
            "body_html": render_markdown(article.body),
        },
    )


@require_GET
def help_index(request):
    return _index(request, audiences=selectors.PUBLIC, template="knowledge/index.html")


@require_GET
def article_detail(request, slug):
    return _article(request, slug, audiences=selectors.PUBLIC, template="knowledge/article.html")


@require_GET
def suggest(request):
    """Up to three public articles for what the visitor typed: [{"title", "url"}]."""
    if rate_limited(request, scope="help-suggest", limit=SUGGEST_LIMIT_PER_MINUTE):
        return JsonResponse({"error": _("Too many requests.")}, status=429)
    query = request.GET.get("q", "")
    if len(query) > 200:
        return JsonResponse({"error": _("The question is too long.")}, status=400)
    language = selectors.reading_language(language=get_language())
    articles = selectors.article_suggest(query=query, language=language)
    return JsonResponse(
        [{"title": article.title, "url": article.get_absolute_url()} for article in articles],
        safe=False,
    )


@staff_required
@require_GET
def staff_index(request):
    return _index(request, audiences=selectors.STAFF, template="knowledge/staff_index.html")


@staff_required
@require_GET
def staff_article(request, slug):
    return _article(
        request, slug, audiences=selectors.STAFF, template="knowledge/staff_article.html"
    )
