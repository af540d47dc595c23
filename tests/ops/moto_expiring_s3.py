"""moto's S3 server, run as a process, refusing a presigned request after its expiry.

    python tests/ops/moto_expiring_s3.py HOST PORT

moto 5 checks neither the signature nor the expiry of a presigned URL. A real S3 answers 403
AccessDenied "Request has expired" once the request's X-Amz-Date plus X-Amz-Expires seconds
has passed: this wraps moto's WSGI application with exactly that rule (and nothing else), so
tests/ops/test_media_s3.py can sleep past a short expiry and see the URL stop working.
"""

import datetime
import os
import sys
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


def expired(query_string: str, now: datetime.datetime) -> bool:
    query = parse_qs(query_string)
    if "X-Amz-Date" not in query or "X-Amz-Expires" not in query:
        return False
    stamp = query["X-Amz-Date"][0].replace("Z", "+0000")  # 20261207T091500Z, UTC
    signed = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%S%z")
    return now > signed + datetime.timedelta(seconds=int(query["X-Amz-Expires"][0]))


def enforce_expiry(app):
    def application(environ, start_response):
        if expired(environ.get("QUERY_STRING", ""), datetime.datetime.now(datetime.UTC)):
            start_response(
                "403 Forbidden",
                [("Content-Type", "application/xml"), ("Content-Length", str(len(EXPIRED)))],
            )
            return [EXPIRED]
        return app(environ, start_response)

    return application


if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    run_simple(
        host,
        port,
        enforce_expiry(DomainDispatcherApplication(create_backend_app)),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
