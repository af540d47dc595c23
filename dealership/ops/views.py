from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .health import broker_status, cache_status, database_status
from .models import JobHeartbeat


# Not inside ATOMIC_REQUESTS: a dead database must give a 503 from here, not a 500 before it.
@transaction.non_atomic_requests
@never_cache
@require_safe
def healthz(request):
    checks = {"database": database_status(), "broker": broker_status(), "cache": cache_status()}
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    body = {"status": "ok" if healthy else "error", **checks}
    if checks["database"] == "ok":
        beat = (
            JobHeartbeat.objects.filter(name="beat").values_list("last_run_at", flat=True).first()
        )
        body["scheduler_last_run"] = beat.isoformat() if beat else None
    return JsonResponse(body, status=200 if healthy else 503)
