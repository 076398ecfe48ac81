"""The sample's CSAT answers on Zendesk tickets as Zendesk CSAT survey responses (the updated CSAT).

A transactional survey response on a contact that became a Zendesk ticket gives its 1-5 CSAT
answer (and its comment, when it has one) to a CSAT survey response of that ticket, in the
shape Zendesk's CSAT Survey Responses reference documents (subjects, responder, rating-scale
and open-ended answers). Those two answers leave the survey tool's files; the rest of the
response (NPS, CES, ...) stays there. The answers are created when the survey is sent and
changed when it is answered, so the source reads the same sent and answered moments.
"""

from __future__ import annotations

from collections.abc import Mapping

from dagster_cx.sample.zendesk_api import OFFERED_AT
from dagster_cx.sample.zendesk_records import _z

MOVED_QUESTIONS = ("q_csat", "q_comment")
SURVEY = {"id": "01SAMPLECSATSURVEY000000000", "state": "enabled", "version": 1}
RATING_QUESTION = {"id": "01SAMPLECSATRATING000000000", "type": "rating_scale_numeric",
                   "sub_type": "customer_satisfaction",
                   "options": [{"rating": r, "label": {"type": "static", "value": str(r)}} for r in range(1, 6)]}
COMMENT_QUESTION = {"id": "01SAMPLECSATCOMMENT00000000", "type": "open_ended",
                    "headline": {"type": "static",
                                 "value": "Is there anything you would like to tell us about your experience?"}}

Row = Mapping[str, str | None]


def csat_survey_responses(responses: list[Row], answers: list[Row],
                          records: Mapping[str, list[dict]]) -> tuple[list[dict], set[str]]:
    """Zendesk CSAT survey responses (FakeZendesk's `survey_responses`) for the transactional responses with a
    CSAT answer on the account's tickets, and the contract answers they carry now (`response_id|question_id`)."""
    tickets = {ticket["external_id"]: ticket for ticket in records["tickets"]}
    moved: dict[str, dict[str, Row]] = {}
    for answer in answers:
        if answer["question_id"] in MOVED_QUESTIONS:
            moved.setdefault(answer["response_id"], {})[answer["question_id"]] = answer
    survey_responses, carried = [], set()
    for response in responses:
        given = moved.get(response["response_id"], {})
        ticket = tickets.get(response.get("contact_id"))
        if response["survey_kind"] != "transactional" or ticket is None or not _value(given.get("q_csat")):
            continue
        sent, answered = _z(response["sent_at"]), _z(response["answered_at"])
        answered_questions = [{"type": "rating_scale", "rating": int(float(_value(given["q_csat"]))),
                               "question": RATING_QUESTION, "created_at": sent, "updated_at": answered}]
        carried.add(f"{response['response_id']}|q_csat")
        if given.get("q_comment") and given["q_comment"].get("answer_text"):
            answered_questions.append({"type": "open_ended", "value": given["q_comment"]["answer_text"],
                                       "question": COMMENT_QUESTION, "created_at": sent, "updated_at": answered})
            carried.add(f"{response['response_id']}|q_comment")
        zrn = f"zen:ticket:{ticket['id']}"
        survey_responses.append({
            "id": f"01SAMPLE{response['response_id']}", "responder_id": ticket["requester_id"],
            "answers": answered_questions, "subject_zrns": [zrn],
            "subjects": [{"id": str(ticket["id"]), "type": "ticket", "zrn": zrn}], "survey": SURVEY,
            "expires_at": answered, OFFERED_AT: sent,
        })
    return survey_responses, carried


def _value(answer: Row | None) -> str | None:
    return answer.get("answer_value") if answer else None
