"""Bad rows planted inside the monthly files, each listed with its expected quarantine reason.

The loader and the quality gates must quarantine each of these rows with its reason, and
never lose a valid row: the manifest's list is what the tests check them against.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_cx.sample.generator.columns import _insert_rows
from dagster_cx.sample.generator.contact_history import _ID_WIDTH

# (month index, fault): each contact fault is an extra row, numbered after the valid ones
# by its position here; the duplicate repeats an existing contact_id.
_CONTACT_FAULTS = ((1, "not_valid"), (1, "no_offset"), (2, "missing_id"), (2, "duplicate"), (3, "before"),
                   (3, "negative"), (4, "channel"), (5, "implausible"))
_RESPONSE_FAULTS = ((1, "missing_answered_at"), (2, "unknown_kind"))  # extra responses without answers
_ANSWER_FAULT_MONTH = 2
_UNKNOWN_RESPONSE_ID = "R99999999"
# History faults are copies of real rows under ids past any valid one (SC999000001, ...).
_STATUS_CHANGE_FAULTS = ((2, "unknown_contact"), (3, "before_created"))
_MESSAGE_FAULTS = ((1, "agent_without_author"), (4, "unknown_role"))
_HISTORY_FAULT_ID = 999_000_000
_UNKNOWN_CONTACT_ID = "CT99999999"


def _bad_contacts(rng: np.random.Generator, table: pa.Table, month: int, n_valid: int) -> tuple[pa.Table, list[dict]]:
    """Plant this month's contact faults as copies of closed, agent-handled contacts with one defect."""
    closed = np.flatnonzero(pc.and_(pc.equal(table["status"], "closed"),
                                    pc.is_valid(table["agent_id"])).to_numpy(zero_copy_only=False))
    inserts, planted = [], []
    for number, (fault_month, fault) in enumerate(_CONTACT_FAULTS, start=n_valid + 1):
        if fault_month != month:
            continue
        position = int(closed[rng.integers(0, len(closed))])
        row = table.slice(position, 1).to_pylist()[0]
        if fault == "duplicate":  # an older snapshot of the same contact, a few rows later
            row.update(status="solved", closed_at=None)
            inserts.append((min(position + 3, table.num_rows), row))
            planted.append({"reason_contains": "duplicate key", "key": row["contact_id"], "outcome": "quarantined"})
            continue
        row["contact_id"] = f"CT{number:08d}"
        if fault == "not_valid":
            row["created_at"], reason = f"{row['created_at'][:7]}-30 25:00", "is not a valid"
        elif fault == "no_offset":
            row["created_at"], reason = row["created_at"][:19], "has no UTC offset"
        elif fault == "missing_id":
            row["contact_id"], reason = None, "is missing"
        elif fault == "before":
            earlier = (datetime.fromisoformat(row["created_at"]) - timedelta(hours=3)).isoformat()
            row.update(first_resolved_at=earlier, resolved_at=earlier)
            reason = "is before"
        elif fault == "negative":
            row["talk_seconds"], reason = -42, "below the minimum"
        elif fault == "implausible":  # valid for the contract's types, but no call lasts 11.6 days
            row["talk_seconds"], reason = 999_999, "above the plausible maximum"
        else:
            row["channel"], reason = "fax", "is not one of"
        inserts.append((int(rng.integers(0, table.num_rows + 1)), row))
        planted.append({"reason_contains": reason, "key": row["contact_id"], "outcome": "quarantined"})
    return _insert_rows(table, inserts), planted


def _bad_responses(rng: np.random.Generator, table: pa.Table, month: int, n_valid: int) -> tuple[pa.Table, list[dict]]:
    """Plant this month's response faults as copies of real responses under new ids."""
    inserts, planted = [], []
    for number, (fault_month, fault) in enumerate(_RESPONSE_FAULTS, start=n_valid + 1):
        if fault_month != month:
            continue
        row = table.slice(int(rng.integers(0, table.num_rows)), 1).to_pylist()[0]
        row["response_id"] = f"R{number:08d}"
        if fault == "missing_answered_at":
            row["answered_at"], reason = None, "is missing"
        else:
            row["survey_kind"], reason = "exit", "is not one of"
        inserts.append((int(rng.integers(0, table.num_rows + 1)), row))
        planted.append({"reason_contains": reason, "key": row["response_id"], "outcome": "quarantined"})
    return _insert_rows(table, inserts), planted


def _bad_answers(rng: np.random.Generator, table: pa.Table, month: int) -> tuple[pa.Table, list[dict]]:
    """Plant the answer faults; the out-of-scale NPS goes to a response that skipped NPS, so
    quarantining it leaves every response's valid answers intact."""
    if month != _ANSWER_FAULT_MONTH:
        return table, []
    responses = pc.unique(table["response_id"])
    rated = pc.filter(table["response_id"], pc.equal(table["question_id"], "q_nps"))
    unrated = pc.filter(responses, pc.invert(pc.is_in(responses, value_set=rated)))
    faults = (
        (unrated[int(rng.integers(0, len(unrated)))].as_py(), "q_nps", 11.0, "outside the question's scale",
         "quarantined"),
        # A parent that never arrives: the answer waits for it (raw.waiting), it is not lost.
        (responses[int(rng.integers(0, len(responses)))].as_py(), "q_unknown", 3.0, "unknown question_id", "waiting"),
        (_UNKNOWN_RESPONSE_ID, "q_nps", 9.0, "unknown response_id", "waiting"),
    )
    inserts = [(int(rng.integers(0, table.num_rows + 1)),
                {"response_id": rid, "question_id": qid, "answer_value": value, "answer_text": None})
               for rid, qid, value, _, _ in faults]
    planted = [{"reason_contains": reason, "key": {"response_id": rid, "question_id": qid}, "outcome": outcome}
               for rid, qid, _, reason, outcome in faults]
    return _insert_rows(table, inserts), planted


def _bad_status_changes(rng: np.random.Generator, table: pa.Table, month: int) -> tuple[pa.Table, list[dict]]:
    """Plant this month's status-change faults: one for an unknown contact, one before its contact's creation."""
    inserts, planted = [], []
    for number, (fault_month, fault) in enumerate(_STATUS_CHANGE_FAULTS, start=_HISTORY_FAULT_ID + 1):
        if fault_month != month:
            continue
        if fault == "unknown_contact":  # waits for a contact that never arrives (raw.waiting)
            row = table.slice(int(rng.integers(0, table.num_rows)), 1).to_pylist()[0]
            row["contact_id"], reason, outcome = _UNKNOWN_CONTACT_ID, "unknown contact_id", "waiting"
        else:  # a second `new`, three hours before the contact was created (a skewed clock)
            new = np.flatnonzero(pc.equal(table["status"], "new").to_numpy(zero_copy_only=False))
            row = table.slice(int(new[rng.integers(0, len(new))]), 1).to_pylist()[0]
            row["changed_at"] = (datetime.fromisoformat(row["changed_at"]) - timedelta(hours=3)).isoformat()
            reason, outcome = "changed_at is before the contact was created", "quarantined"
        row["status_change_id"] = f"SC{number:0{_ID_WIDTH}d}"
        inserts.append((int(rng.integers(0, table.num_rows + 1)), row))
        planted.append({"reason_contains": reason, "key": row["status_change_id"], "outcome": outcome})
    return _insert_rows(table, inserts), planted


def _bad_messages(rng: np.random.Generator, table: pa.Table, month: int) -> tuple[pa.Table, list[dict]]:
    """Plant this month's message faults: an agent message without author_id, an author_role outside the contract."""
    inserts, planted = [], []
    agent = np.flatnonzero(pc.equal(table["author_role"], "agent").to_numpy(zero_copy_only=False))
    for number, (fault_month, fault) in enumerate(_MESSAGE_FAULTS, start=_HISTORY_FAULT_ID + 1):
        if fault_month != month:
            continue
        row = table.slice(int(agent[rng.integers(0, len(agent))]), 1).to_pylist()[0]
        if fault == "agent_without_author":
            row["author_id"], reason = None, "an agent message needs author_id"
        else:  # a supervisor stepping in: a role the contract does not know
            row["author_role"], reason = "supervisor", "is not one of"
        row["message_id"] = f"MS{number:0{_ID_WIDTH}d}"
        inserts.append((int(rng.integers(0, table.num_rows + 1)), row))
        planted.append({"reason_contains": reason, "key": row["message_id"], "outcome": "quarantined"})
    return _insert_rows(table, inserts), planted
