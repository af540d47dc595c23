"""One status machine for every stateful model (ARCHITECTURE.md, "State changes").

Each app declares, next to its model, the table of moves and the history model::

    MACHINE = StateMachine(
        moves={S.DRAFT: {S.SUBMITTED, S.CANCELLED}, S.SUBMITTED: {...}, ...},
        history=OrderTransition,      # a concrete StatusHistory with an FK to the model
        refusal=_("An order that is “%(from)s” cannot become “%(to)s”."),
    )

and its services call ``MACHINE.transition(obj, to, by=..., note=...)``, which locks the row
(``select_for_update``), refuses a move the table does not allow (with the app's exception
and message), saves with ``update_fields``, writes the history row (who, when, from, to,
note) and runs ``notify`` only once the transaction commits. The app keeps only its table
and its side effects.

The history rows stay in each app's own table (no data moved): ``StatusHistory`` is the
abstract base; an app whose columns have other names says so with ``by_field``/``at_field``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StatusHistory(models.Model):
    """One move of a stateful row: from which status to which, who, when, and a note. A row
    whose from and to are equal records something that happened without a move."""

    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)

    # The FK to the stateful row, and the names of the who/when columns.
    subject_field = ""
    by_field = "by"
    at_field = "at"

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.subject_id}: {self.from_status} → {self.to_status}"

    @property
    def subject_id(self):
        return getattr(self, f"{self.subject_field}_id")

    @property
    def moved(self) -> bool:
        return self.from_status != self.to_status

    @property
    def who(self):
        return getattr(self, self.by_field)

    @property
    def when(self):
        return getattr(self, self.at_field)

    def _label(self, value: str) -> str:
        field = self._meta.get_field(self.subject_field).related_model._meta.get_field("status")
        return str(dict(field.flatchoices).get(value, value)) if value else ""

    @property
    def from_label(self) -> str:
        return self._label(self.from_status)

    @property
    def to_label(self) -> str:
        return self._label(self.to_status)

    # The labels come from the model's own Status choices (the history columns have none,
    # so one table of statuses stays the truth).
    def get_from_status_display(self) -> str:
        return self.from_label

    def get_to_status_display(self) -> str:
        return self.to_label


class StateMachine:
    """The allowed moves of one model's ``status`` field, and the one way to make them."""

    def __init__(
        self,
        *,
        moves: Mapping[str, Iterable[str]],
        history: type[StatusHistory],
        refusal: str,
        refusals: Mapping[str, str] | None = None,
        error: type[Exception] = ValidationError,
        field: str = "status",
        touch: Iterable[str] = (),
        note_length: int | None = None,
        lock_related: Iterable[str] = (),
        lock_joined: bool = False,
    ):
        self.moves = {str(k): frozenset(str(v) for v in vs) for k, vs in moves.items()}
        self.history = history
        self.refusal = refusal
        # A message per target status where "cannot go from X to Y" is not the helpful one.
        self.refusals = {str(k): v for k, v in (refusals or {}).items()}
        self.error = error
        self.field = field
        self.touch = tuple(touch)  # columns saved with every move (updated_at, …)
        self.has_note = any(f.name == "note" for f in history._meta.fields)
        self.note_length = note_length or (
            history._meta.get_field("note").max_length if self.has_note else 0
        )
        self.lock_related = tuple(lock_related)  # read with the row
        self.lock_joined = lock_joined  # lock those rows too (else the row only)

    def allowed(self, from_status: str) -> frozenset[str]:
        return self.moves.get(str(from_status), frozenset())

    def can(self, from_status: str, to_status: str) -> bool:
        return str(to_status) in self.allowed(from_status)

    def _label(self, model: type[models.Model], value: str) -> str:
        return str(dict(model._meta.get_field(self.field).flatchoices).get(value, value))

    def refuse(self, obj: models.Model, to_status: str) -> Exception:
        """The app's exception, with its message: "cannot move from X to Y"."""
        model = type(obj)
        message = self.refusals.get(str(to_status)) or self.refusal % {
            "from": self._label(model, getattr(obj, self.field)),
            "to": self._label(model, to_status),
        }
        if issubclass(self.error, ValidationError):
            return self.error(message, code="illegal_transition")
        return self.error(message)

    def lock(self, obj: models.Model) -> models.Model:
        """The row, locked for the rest of the transaction and freshly read."""
        manager = type(obj)._default_manager
        qs = manager.select_for_update(**({} if self.lock_joined else {"of": ("self",)}))
        if self.lock_related:
            qs = qs.select_related(*self.lock_related)
        return qs.get(pk=obj.pk)

    def record(
        self,
        obj: models.Model,
        from_status: str,
        to_status: str | None = None,
        *,
        by=None,
        note: str = "",
        at=None,
        **extra: Any,
    ) -> StatusHistory:
        """Write one history row (also for events that do not move the row)."""
        h = self.history
        return h._default_manager.create(
            **{
                h.subject_field: obj,
                "from_status": from_status,
                "to_status": getattr(obj, self.field) if to_status is None else to_status,
                h.by_field: by,
                h.at_field: at or timezone.now(),
            },
            **({"note": (note or "")[: self.note_length]} if self.has_note else {}),
            **extra,
        )

    def transition(
        self,
        obj: models.Model,
        to: str,
        by=None,
        note: str = "",
        *,
        locked: models.Model | None = None,
        moves: Iterable[str] | None = None,
        check: Callable[[models.Model], None] | None = None,
        apply: Callable[[models.Model, str], Iterable[str] | None] | None = None,
        notify: Callable[[models.Model, StatusHistory], None] | None = None,
        at=None,
        **extra: Any,
    ) -> tuple[models.Model, StatusHistory]:
        """Move ``obj`` to ``to``; returns the locked, saved row and its history row.

        ``locked``: the row when the caller already holds its lock; ``moves``: the allowed
        targets instead of the table's (an app's own exception to it); ``check(row)`` raises
        to refuse for the app's own reasons (after the table); ``apply(row, from_status)``
        sets the fields that change with the status and returns their names; ``notify(row,
        history)`` runs after commit; ``extra``: more columns of the history row (a
        callable is given the locked row)."""
        with transaction.atomic():
            row = locked if locked is not None else self.lock(obj)
            from_status = getattr(row, self.field)
            allowed = self.allowed(from_status) if moves is None else {str(m) for m in moves}
            if str(to) not in allowed:
                raise self.refuse(row, to)
            if check is not None:
                check(row)
            setattr(row, self.field, to)
            fields = [self.field, *self.touch]
            if apply is not None:
                fields += list(apply(row, from_status) or ())
            row.save(update_fields=list(dict.fromkeys(fields)))
            extra = {k: v(row) if callable(v) else v for k, v in extra.items()}
            history = self.record(row, from_status, to, by=by, note=note, at=at, **extra)
            if notify is not None:
                transaction.on_commit(lambda: notify(row, history))
        return row, history
