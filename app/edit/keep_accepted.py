"""keep-accepted: a new dataset of the episodes the review accepted (see app/review)."""

from __future__ import annotations

from app.edit.plan import EditError, Plan, keep_plan
from app.edit.source import Source
from app.review.state import ACCEPTED, ReviewState


def plan(src: Source, review: ReviewState) -> Plan:
    total = len(src.reader.episodes)
    keep = [e for e in range(total) if review.state(e) == ACCEPTED]
    if not keep:
        counts = review.counts(total)
        raise EditError(f"no episode is accepted yet ({counts['unreviewed']} unreviewed, "
                        f"{counts['rejected']} rejected); review with A/R in the Datasets panel first")
    return keep_plan(src, keep, f"keep the {len(keep)} accepted of {total} episodes of {src.label}")
