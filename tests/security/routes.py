"""Walk every URL pattern of the project and build a URL that reaches each one."""

import itertools
import re
from dataclasses import dataclass

from django.apps import apps
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")
SAMPLE_VALUES = ["1", "sample", "00000000-0000-4000-8000-000000000001"]


@dataclass(frozen=True)
class Walked:
    key: str  # "namespace:name", or "path:<pattern>" when unnamed
    pattern: str
    url: str | None  # None: shadowed by an earlier pattern, no request reaches its view
    callback: object

    def __str__(self):
        return self.key


def walk(resolver=None, prefix: str = "", namespace: str = ""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
                url = _reverse(key, pattern)
            else:
                key = f"{namespace}:path:{pattern}" if namespace else f"path:{pattern}"
                url = _unnamed_url(pattern)
            if url is not None and _resolves_elsewhere(url, entry):
                url = None
            yield Walked(key, pattern, url, entry.callback)


def all_routes() -> list[Walked]:
    seen: dict[str, Walked] = {}
    for route in walk():
        seen.setdefault(route.key, route)
    return list(seen.values())


def _reverse(name: str, pattern: str) -> str | None:
    params = [a or b for a, b in PARAM.findall(pattern)]
    if not params:
        try:
            return reverse(name)
        except NoReverseMatch:
            return None
    candidates = SAMPLE_VALUES + [config.label for config in apps.get_app_configs()]
    for values in itertools.product(candidates, repeat=len(params)):
        try:
            return reverse(name, kwargs=dict(zip(params, values, strict=True)))
        except NoReverseMatch:
            continue
    return None


def _unnamed_url(pattern: str) -> str:
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "sample.txt", pattern).lstrip("^").rstrip("$")
    return "/" + path


def _resolves_elsewhere(url: str, entry: URLPattern) -> bool:
    try:
        match = resolve(url)
    except Resolver404:
        return True
    return match.func is not entry.callback
