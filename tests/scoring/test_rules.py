"""The pure score: exact points and reasons per rule kind, the clamp to 0–100, closed leads."""

import datetime
from decimal import Decimal

import pytest

from scoring.models import ScoreRule
from scoring.rules import LeadFacts, Rule, score

K = ScoreRule.Kind
NOW = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


def facts(**overrides) -> LeadFacts:
    values = {
        "id": 1,
        "status": "new",
        "source": "website",
        "type": "vehicle_enquiry",
        "created_at": NOW - datetime.timedelta(days=1),
        "customer_id": 7,
    }
    values.update(overrides)
    return LeadFacts(**values)


@pytest.mark.parametrize(
    ("rule", "lead", "expected"),
    [
        (
            Rule(K.SOURCE, 15, {"source": "walk_in"}),
            facts(source="walk_in"),
            {"points": 15, "reason": "lead source: %(source)s", "args": {"source": "Walk-in"}},
        ),
        (
            Rule(K.LEAD_TYPE, 10, {"type": "test_drive"}),
            facts(type="test_drive"),
            {
                "points": 10,
                "reason": "enquiry type: %(type)s",
                "args": {"type": "Test-drive request"},
            },
        ),
        (
            Rule(K.STATUS, 15, {"status": "negotiation"}),
            facts(status="negotiation"),
            {"points": 15, "reason": "status: %(status)s", "args": {"status": "Negotiation"}},
        ),
        (
            Rule(K.REPLIED, 10),
            facts(replied=True),
            {"points": 10, "reason": "replied to a message"},
        ),
        (
            Rule(K.TESTDRIVE_BOOKED, 20),
            facts(testdrive_booked=True),
            {"points": 20, "reason": "booked a test drive"},
        ),
        (
            Rule(K.FINANCE_STARTED, 20),
            facts(finance_started=True),
            {"points": 20, "reason": "started a finance application"},
        ),
        (
            Rule(K.BUDGET_FIT, 5, {"tolerance_percent": 10}),
            facts(price=Decimal("20000"), vehicle_price=Decimal("22000")),
            {"points": 5, "reason": "the car's price fits their budget"},
        ),
        (
            Rule(K.RECENT, 10, {"days": 3}),
            facts(created_at=NOW - datetime.timedelta(days=3)),
            {
                "points": 10,
                "reason": "enquired within the last %(days)s day",
                "plural": "enquired within the last %(days)s days",
                "n": 3,
                "args": {"days": 3},
            },
        ),
        (
            Rule(K.NO_CONTACT, -15, {"days": 14}),
            facts(
                created_at=NOW - datetime.timedelta(days=40),
                last_contact_at=NOW - datetime.timedelta(days=14),
            ),
            {
                "points": -15,
                "reason": "no contact for %(days)s day",
                "plural": "no contact for %(days)s days",
                "n": 14,
                "args": {"days": 14},
            },
        ),
        (
            Rule(K.REPEAT_ENQUIRY, 10, {"days": 30}),
            facts(other_enquiries=[NOW - datetime.timedelta(days=29)]),
            {
                "points": 10,
                "reason": "made another enquiry within %(days)s day",
                "plural": "made another enquiry within %(days)s days",
                "n": 30,
                "args": {"days": 30},
            },
        ),
        (
            Rule(K.VEHICLE_VIEWS, 5, {"days": 7, "min_views": 50}),
            facts(
                vehicle_id=3,
                vehicle_views={
                    datetime.date(2026, 3, 10): 30,
                    datetime.date(2026, 3, 4): 20,
                    datetime.date(2026, 3, 3): 999,  # eight days back: outside the window
                },
            ),
            {
                "points": 5,
                "reason": "popular car: %(views)s page views in the last %(days)s day",
                "plural": "popular car: %(views)s page views in the last %(days)s days",
                "n": 7,
                "args": {"days": 7, "views": 50},
            },
        ),
    ],
    ids=lambda value: value.kind if isinstance(value, Rule) else "",
)
def test_each_kind_gives_its_exact_points_and_reason(rule, lead, expected):
    assert score(lead, [rule], NOW) == (max(0, expected["points"]), [expected])


@pytest.mark.parametrize(
    ("rule", "lead"),
    [
        (Rule(K.SOURCE, 15, {"source": "walk_in"}), facts(source="phone")),
        (Rule(K.LEAD_TYPE, 10, {"type": "test_drive"}), facts(type="general")),
        (Rule(K.STATUS, 15, {"status": "negotiation"}), facts(status="qualified")),
        (Rule(K.REPLIED, 10), facts(replied=False)),
        (Rule(K.TESTDRIVE_BOOKED, 20), facts()),
        (Rule(K.FINANCE_STARTED, 20), facts()),
        (
            Rule(K.BUDGET_FIT, 5, {"tolerance_percent": 10}),
            facts(price=Decimal("20000"), vehicle_price=Decimal("22000.01")),
        ),
        (Rule(K.BUDGET_FIT, 5), facts(price=None, vehicle_price=Decimal("1"))),
        (
            Rule(K.RECENT, 10, {"days": 3}),
            facts(created_at=NOW - datetime.timedelta(days=3, seconds=1)),
        ),
        (
            Rule(K.NO_CONTACT, -15, {"days": 14}),
            facts(
                created_at=NOW - datetime.timedelta(days=40),
                last_contact_at=NOW - datetime.timedelta(days=13, hours=23),
            ),
        ),
        (
            Rule(K.REPEAT_ENQUIRY, 10, {"days": 30}),
            facts(other_enquiries=[NOW - datetime.timedelta(days=31)]),
        ),
        (
            Rule(K.VEHICLE_VIEWS, 5, {"days": 7, "min_views": 50}),
            facts(vehicle_id=3, vehicle_views={datetime.date(2026, 3, 10): 49}),
        ),
    ],
    ids=lambda value: value.kind if isinstance(value, Rule) else "",
)
def test_each_kind_gives_nothing_when_it_does_not_apply(rule, lead):
    assert score(lead, [rule], NOW) == (0, [])


def test_the_total_is_clamped_to_100_and_reasons_are_biggest_first():
    rules = [
        Rule(K.REPLIED, 10),
        Rule(K.TESTDRIVE_BOOKED, 60),
        Rule(K.FINANCE_STARTED, 50),
    ]
    lead = facts(replied=True, testdrive_booked=True, finance_started=True)

    value, reasons = score(lead, rules, NOW)

    assert value == 100
    assert [r["points"] for r in reasons] == [60, 50, 10]


def test_the_total_is_clamped_to_0():
    rules = [Rule(K.REPLIED, 10), Rule(K.NO_CONTACT, -40, {"days": 14})]
    lead = facts(replied=True, created_at=NOW - datetime.timedelta(days=20))

    value, reasons = score(lead, rules, NOW)

    assert value == 0
    assert [r["points"] for r in reasons] == [-40, 10]


def test_a_closed_lead_scores_zero_without_reasons():
    rules = [Rule(K.TESTDRIVE_BOOKED, 20)]

    assert score(facts(status="won", testdrive_booked=True), rules, NOW) == (0, [])
    assert score(facts(status="lost", testdrive_booked=True), rules, NOW) == (0, [])


def test_a_managers_own_wording_replaces_the_standard_reason():
    rule = Rule(K.TESTDRIVE_BOOKED, 25, label="Probefahrt gebucht – heiß!")

    assert score(facts(testdrive_booked=True), [rule], NOW) == (
        25,
        [{"points": 25, "reason": "Probefahrt gebucht – heiß!"}],
    )


def test_an_unknown_kind_and_bad_parameters_are_ignored_not_an_error():
    rules = [
        Rule("from_the_future", 30),
        Rule(K.RECENT, 10, {"days": "soon"}),  # read as the default, 3 days
    ]

    assert score(facts(created_at=NOW - datetime.timedelta(days=4)), rules, NOW) == (0, [])
