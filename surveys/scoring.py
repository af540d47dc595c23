"""NPS arithmetic, pure: categories, the score, rates. Decimal throughout, rounded once."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
CSI_FOLLOW_UP_MAX = 2  # a CSI answer of 1 or 2 (of 5) needs a follow-up like a detractor
ONE_DECIMAL = Decimal("0.1")


def category(score: int) -> str:
    """ "promoter" (9–10), "passive" (7–8) or "detractor" (0–6)."""
    if not 0 <= score <= 10:
        raise ValueError(f"an NPS score is 0–10, not {score}")
    if score >= PROMOTER_MIN:
        return "promoter"
    if score > DETRACTOR_MAX:
        return "passive"
    return "detractor"


def needs_follow_up(*, nps_score: int | None, lowest_csi: int | None) -> bool:
    return (nps_score is not None and nps_score <= DETRACTOR_MAX) or (
        lowest_csi is not None and lowest_csi <= CSI_FOLLOW_UP_MAX
    )


def percentage(part: int, whole: int) -> Decimal | None:
    """part / whole in percent, one decimal; None (no data) when whole is 0."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def nps(*, promoters: int, passives: int, detractors: int) -> Decimal | None:
    """% promoters − % detractors, one decimal (half up); None when nobody answered.

    The difference is taken before rounding: rounding each percentage first could be off
    by 0.1.
    """
    responses = promoters + passives + detractors
    if responses <= 0:
        return None
    value = Decimal(promoters - detractors) * 100 / Decimal(responses)
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class NpsSummary:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    invited: int = 0

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> Decimal | None:
        return nps(promoters=self.promoters, passives=self.passives, detractors=self.detractors)

    @property
    def response_rate(self) -> Decimal | None:
        return percentage(self.responses, self.invited)

    @property
    def has_data(self) -> bool:
        return self.responses > 0
