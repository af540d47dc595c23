FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN useradd --create-home --uid 1000 showroom

COPY pyproject.toml README.md ./
RUN pip install .

COPY . .
# The release in cache keys (dealership/release.py): `docker compose build` passes the commit
# (SHOWROOM_RELEASE=$(git rev-parse --short=12 HEAD)); else .git if copied, else the version.
ARG SHOWROOM_RELEASE=""
ENV SHOWROOM_RELEASE=$SHOWROOM_RELEASE
# The translations' .mo (not committed), then collectstatic: settings, no database or secrets.
RUN python scripts/compilemessages.py \
 && DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
 && mkdir -p /app/var/media && chown -R showroom:showroom /app/var

USER showroom
EXPOSE 8000
# daphne serves HTTP and the live chat's WebSockets (dealership/asgi.py); behind HAProxy, so the
# client address comes from X-Forwarded-For.
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--proxy-headers", "dealership.asgi:application"]
