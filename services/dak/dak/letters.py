"""Rules of letters issued in one office of the deployment and received in another: where each lands."""
from __future__ import annotations

from dataclasses import dataclass

RECEIVING_POINT_ROLE = "receiving_point"
# The Central Registry Unit's section code ends so in every office's master (COLL-JHS-CR).
CENTRAL_REGISTRY_SUFFIX = "-CR"
INTRA = "intra"


@dataclass(frozen=True)
class Colleague:
    """An active officer or clerk of an office, as the directory has them."""

    id: str
    office: str
    section: str | None
    roles: tuple[str, ...]
    reporting_officer: str | None


def receiving_point(colleagues: list[Colleague], office_colleague_ids: set[str] | None = None) -> str | None:
    """Who receives an office's letters: whoever holds the receiving_point role; else the Central
    Registry Unit; else the head of the office (the officer reporting to no one inside it)."""
    ordered = sorted(colleagues, key=lambda c: c.id)
    inside = office_colleague_ids if office_colleague_ids is not None else {c.id for c in ordered}
    for rule in (
        lambda c: RECEIVING_POINT_ROLE in c.roles,
        lambda c: (c.section or "").endswith(CENTRAL_REGISTRY_SUFFIX),
        lambda c: "officer" in c.roles and c.reporting_officer not in inside,
        lambda c: True,
    ):
        found = next((c.id for c in ordered if rule(c)), None)
        if found:
            return found
    return None


def safe_filename(issue_number: str) -> str:
    """`I-7/2026/COLL-JHS` as a file name."""
    return issue_number.replace("/", "-") + ".pdf"
