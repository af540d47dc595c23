"""Marketplace feeds served from storage by their secret token (built by a job, never here)."""

from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from .syndication import CONTENT_TYPES, feed_for_token


@require_safe
def feed_download(request, token, ext):
    """The feed's last built file. A wrong token (or extension, or a feed not built yet):
    404, the same answer whichever it is."""
    feed = feed_for_token(token=token, ext=ext)
    if feed is None:
        raise Http404
    try:
        handle = feed.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=CONTENT_TYPES[ext])
    response["Cache-Control"] = "private, max-age=60"
    response["X-Robots-Tag"] = "noindex"
    if feed.last_built_at:
        response["Last-Modified"] = feed.last_built_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response
