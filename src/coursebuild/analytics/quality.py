"""Data-quality classes: every statement is exactly one of these (first match wins, in this order).

Only `ok` statements count in the figures; the others are counted and listed in the report's data-quality
section. The classification itself runs in SQL (`queries.CLASSIFY`); this module names and explains it.
"""

from __future__ import annotations

CLASSES: dict[str, str] = {
    "malformed": "not JSON, or missing a statement id (UUID), actor, verb, object or a readable timestamp",
    "other-version": "declares an xAPI version other than 1.0.x",
    "duplicate": "a second copy of a statement id already received (the first copy counts)",
    "voiding": "a voiding statement (verb voided): it removes another statement and is not itself evidence",
    "voided": "voided by a later voiding statement, so left out of every figure",
    "unknown-activity": "about an activity that belongs to none of the courses the report knows",
    "untagged": "a lesson, answer or decision statement without the coursebuild profile category or taxonomy level",
    "ok": "counted in the figures",
}

PROBLEM_CLASSES = [name for name in CLASSES if name not in ("ok", "voiding")]


def explain(name: str) -> str:
    return CLASSES.get(name, name)
