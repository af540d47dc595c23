"""Reading the audit trail in tests: mark where it ends, then take the events written after."""

from dealership.accounts.models import AuditEvent


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def events_after(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk"))


def target(event: AuditEvent):
    return event.target_type.model_class(), event.target_id
