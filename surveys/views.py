"""Thin views: the public answer page (by token) and the staff results."""

import csv

from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dealership.accounts.access import staff_required
from dealership.accounts.public_forms import RateLimit
from dealership.accounts.roles import MANAGER_ROLES
from dealership.routers import replica_reads
from leads.selectors import consultants_for_locations

from . import scoring, selectors
from .forms import ResultFilterForm
from .models import Question
from .services import answer_save, invitation_submit

# --- Public: the answer page ----------------------------------------------------------------


def _invitation_or_404(token: str):
    invitation = selectors.invitation_for_token(token=token)
    if invitation is None:
        raise Http404(_("This survey link is not valid."))
    return invitation


# The public pipeline's rate limit; the answer page is a list of questions, not one form.
ANSWER_RATE = RateLimit("surveys-answer", "SURVEYS_ANSWER_RATE_LIMIT", 60)


def _questions(invitation, posted=None) -> list[dict]:
    saved = {a.question_id: a for a in invitation.answers.all()}
    language = invitation.language or None
    rows = []
    for question in invitation.survey.questions.all():
        answer = saved.get(question.pk)
        if posted is not None and question.field_name in posted:
            value = posted.get(question.field_name, "")
        elif answer is None:
            value = ""
        elif answer.score is not None:
            value = str(answer.score)
        else:
            value = answer.text
        if question.kind == Question.Kind.NPS:
            options = [str(n) for n in range(11)]
        elif question.kind == Question.Kind.SCALE:
            options = [str(n) for n in range(1, 6)]
        else:
            options = list(question.choices)
        rows.append(
            {
                "question": question,
                "text": question.display_text(language),
                "value": value,
                "options": options,
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def answer_page(request, token):
    """The mobile-first survey. GET shows it (or the thank-you / expired page); POST submits
    every answer at once, which is all a browser without JavaScript needs. A POST with
    `partial=1` (from survey.js) saves one answer and answers JSON."""
    invitation = _invitation_or_404(token)
    if request.method == "POST" and request.POST.get("partial") == "1":
        return _partial_save(request, invitation)
    now = timezone.now()
    context = {"invitation": invitation, "survey": invitation.survey, "token": token}
    if invitation.submitted_at is not None:
        return render(request, "surveys/thanks.html", context)
    if invitation.expires_at <= now:
        return render(request, "surveys/expired.html", context, status=410)
    status = 200
    errors = {}
    posted = None
    if request.method == "POST":
        posted = request.POST
        if ANSWER_RATE.hit(request):
            errors["__all__"] = [
                _(
                    "Too many answers from your network just now. Please wait a minute and send again: your answers are still here."
                )
            ]
            status = 429
        else:
            answers = {
                q.pk: request.POST.get(q.field_name, "")
                for q in invitation.survey.questions.all()
                if q.field_name in request.POST
            }
            try:
                invitation_submit(invitation=invitation, answers=answers, now=now)
            except ValidationError as error:
                errors = (
                    error.message_dict
                    if hasattr(error, "error_dict")
                    else {"__all__": error.messages}
                )
                status = 400
            else:
                return render(request, "surveys/thanks.html", context)
    context["questions"] = _questions(invitation, posted)
    context["errors"] = errors
    context["form_errors"] = errors.get("__all__", [])
    return render(request, "surveys/answer.html", context, status=status)


def _partial_save(request, invitation):
    """Save one answer as it is given. JSON in reply: {"saved": true} or {"error": "…"}
    with a 4xx."""
    if ANSWER_RATE.hit(request):
        return JsonResponse(
            {"error": _("Too many answers just now; please wait a minute.")}, status=429
        )
    try:
        question_id = int(request.POST.get("question", ""))
    except ValueError:
        return JsonResponse({"error": _("Unknown question.")}, status=400)
    question = next((q for q in invitation.survey.questions.all() if q.pk == question_id), None)
    if question is None:
        return JsonResponse({"error": _("Unknown question.")}, status=400)
    try:
        answer_save(invitation=invitation, question=question, value=request.POST.get("value", ""))
    except ValidationError as error:
        status = 409 if invitation.submitted_at or invitation.expires_at <= timezone.now() else 400
        return JsonResponse({"error": " ".join(error.messages)}, status=status)
    return JsonResponse({"saved": True})


# --- Staff: results -------------------------------------------------------------------------


def _filters(request):
    locations = list(selectors.location_list_for_user(user=request.user).order_by("name"))
    is_manager = selectors.results_user_may_see_all(request.user)
    consultants = list(consultants_for_locations(user=request.user)) if is_manager else []
    form = ResultFilterForm(request.GET or None, locations=locations, consultants=consultants)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = selectors.ResultFilters(
        location=data.get("location"),
        touchpoint=data.get("touchpoint") or "",
        consultant=data.get("consultant"),
        months=data.get("months") or 12,
    )
    return form, filters, is_manager


@staff_required
def results(request):
    form, filters, is_manager = _filters(request)
    result = selectors.survey_results(user=request.user, filters=filters)
    context = {
        "form": form,
        "results": result,
        "is_manager": is_manager,
        "pulses": selectors.pulse_results(user=request.user) if is_manager else [],
        "anonymity_min": selectors.ANONYMITY_MIN_RESPONSES,
        "query_string": request.GET.urlencode(),
    }
    return render(request, "surveys/results.html", context)


class _Echo:
    def write(self, value):
        return value


@staff_required(roles=MANAGER_ROLES)
def results_csv(request):
    _form, filters, _is_manager = _filters(request)
    rows = selectors.results_csv_rows(user=request.user, filters=filters)
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(
            [
                _("Submitted (UTC)"),
                _("Location"),
                _("Touchpoint"),
                _("Consultant"),
                _("Customer"),
                _("Score"),
                _("Category"),
                _("Lowest CSI"),
                _("Comment"),
                _("Follow-up"),
            ]
        )
        # An export may lag the primary by a moment: read it from the replica, if any.
        with replica_reads():
            for inv in rows.iterator(chunk_size=500):
                comment = " / ".join(
                    a.text
                    for a in inv.answers.all()
                    if a.question.kind in (Question.Kind.WHY, Question.Kind.TEXT) and a.text
                )
                follow_up = ""
                if inv.follow_up_task_id:
                    follow_up = _("closed") if inv.follow_up_task.completed_at else _("open")
                yield writer.writerow(
                    [
                        inv.submitted_at.strftime("%Y-%m-%d %H:%M"),
                        inv.location.name,
                        inv.get_touchpoint_display(),
                        inv.consultant.get_full_name() if inv.consultant else "",
                        str(inv.customer),
                        "" if inv.nps_score is None else inv.nps_score,
                        "" if inv.nps_score is None else scoring.category(inv.nps_score),
                        "" if inv.lowest_csi is None else inv.lowest_csi,
                        _csv_safe(comment),
                        follow_up,
                    ]
                )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="survey-results.csv"'
    return response


def _csv_safe(value: str) -> str:
    # A comment starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
