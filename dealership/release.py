"""The release this process runs, for cache keys: a fragment rendered by one release's
templates and code is never served by another (during a rolling deploy both run side by side
on one cache).

``SHOWROOM_RELEASE`` in the environment wins; else the git commit of the checkout, read from
``.git`` at start (no ``git`` binary needed); else the package's version. Settings read it once
(``settings.SHOWROOM_RELEASE``); code asks ``current()`` and builds keys with ``cache_key``.

What is *not* keyed by release: the version tokens (``inventory:facets:version`` and the like,
shared so an invalidation by one release reaches the other), rate-limit and page-view counters
(they must survive a deploy)."""

import os
import re
from importlib import metadata
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{40}$")


def _git_dir(checkout: Path) -> Path | None:
    dot_git = checkout / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = dot_git.read_text().strip()
        if text.startswith("gitdir:"):
            return (checkout / text.removeprefix("gitdir:").strip()).resolve()
    return None


def _ref(git_dir: Path, ref: str) -> str | None:
    common = git_dir
    if (git_dir / "commondir").is_file():
        common = (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
    for base in (git_dir, common):
        loose = base / ref
        if loose.is_file():
            return loose.read_text().strip()
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    return None


def git_commit(checkout: Path) -> str | None:
    """HEAD's commit (12 hex digits) of the checkout, or None when it cannot be read."""
    try:
        git_dir = _git_dir(checkout)
        if git_dir is None:
            return None
        head = (git_dir / "HEAD").read_text().strip()
        sha = _ref(git_dir, head.removeprefix("ref:").strip()) if head.startswith("ref:") else head
    except OSError:
        return None
    return sha[:12] if sha and _SHA.match(sha) else None


def package_version() -> str:
    try:
        return metadata.version("showroom")
    except metadata.PackageNotFoundError:
        return "unknown"


def detect(checkout: Path, environ=os.environ) -> str:
    """The release name: SHOWROOM_RELEASE, else the git commit, else the package version."""
    return (
        environ.get("SHOWROOM_RELEASE", "").strip()
        or git_commit(checkout)
        or f"v{package_version()}"
    )


def current() -> str:
    from django.conf import settings

    return settings.SHOWROOM_RELEASE


def cache_key(key: str) -> str:
    """``key`` scoped to the running release."""
    return f"{key}:r:{current()}"
