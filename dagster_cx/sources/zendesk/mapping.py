"""Zendesk records -> contract rows: tickets -> contacts, ticket events -> status changes and
messages, end-users -> customers. One row per vendor record: left out on purpose with why,
or mapped (the gate then loads or quarantines it).

- Channel from the ticket's `via.channel`; queue from its group's name; reason from a
  configured custom field, else the first ticket tag among configured reason tags.
- Zendesk's `hold` is the contract's `on_hold`; a deleted ticket (status `deleted`, as the
  incremental export documents it) and the events of deleted tickets are left out.
- A message's author role comes from the author's Zendesk role (end-user -> customer, agent
  or admin -> agent); comments made by triggers and automations (`via.channel` rule) or by
  Zendesk itself (author -1) are a bot's.
- A satisfaction rating is a survey response to its ticket's contact (its channel: the gate
  takes the contact's, and the rating waits while the ticket is not loaded) with a CSAT answer
  on 2 points (bad 1, good 2: seed csat_scales' top box is good) and its comment as a comment
  answer; `offered` and `unoffered` ratings are no answer yet: left out with why. A rating
  changed later (bad -> good) is a newer version of the same response and answers.
- Zendesk's `external_id` (of a user or a ticket) links it to your own records: where set,
  it is the contract's key (customer_id, agent_id, contact_id), else Zendesk's id. An end-user
  with an external_id is your CRM's customer, so its customer export carries it: left out here.
- A customer's segment and region: the user's own user_fields (configured keys) first; where
  empty, its organization's organization_fields (configured keys); the segment else the first
  organization tag among the configured segment values; else `unknown`. A user in no
  organization keeps its own fields or `unknown`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from dagster_cx.contract import (
    CONTACT_MESSAGES,
    CONTACT_STATUS_CHANGES,
    CONTACTS,
    CUSTOMERS,
    QUESTIONS,
    SURVEY_ANSWERS,
    SURVEY_RESPONSES,
)
from dagster_cx.ingest.loader import MAPPING_PROBLEM_COLUMN

EXTRA_COLUMNS = ("_exclude_reason", "_source_record", MAPPING_PROBLEM_COLUMN)
COLUMNS = {entity.name: (*entity.column_names, *EXTRA_COLUMNS) for entity in (
    CUSTOMERS, CONTACTS, CONTACT_STATUS_CHANGES, CONTACT_MESSAGES, QUESTIONS, SURVEY_RESPONSES, SURVEY_ANSWERS)}
# via.channel (Zendesk's "Via object" reference) -> the contract's channels; others are quarantined by name.
CHANNELS = {
    "email": "email", "web": "web", "api": "web", "mobile": "app", "mobile_sdk": "app", "help_center": "web",
    "chat": "chat", "chat_transcript": "chat", "native_messaging": "messenger", "sunshine_conversations_api": "messenger",
    "whatsapp": "messenger", "line": "messenger", "wechat": "messenger", "telegram": "messenger", "sms": "messenger",
    "voice": "phone", "phone_call_inbound": "phone", "phone_call_outbound": "phone",
    "facebook": "social", "twitter": "social", "instagram_dm": "social", "any_channel": "messenger",
}
STATUSES = {"new": "new", "open": "open", "pending": "pending", "hold": "on_hold", "solved": "solved", "closed": "closed"}
AGENT_ROLES = {"agent", "admin"}
BOT_VIA = {"rule", "answer_bot", "ai_agent", "side_conversation"}
SYSTEM_AUTHOR = -1
DELETED = "deleted in Zendesk (the export lists deleted tickets with status deleted)"
RATING_SURVEY = "zendesk_satisfaction"
CSAT_QUESTION, COMMENT_QUESTION = "zendesk_csat", "zendesk_csat_comment"
RATING_SCORES = {"bad": 1, "good": 2}  # the 2-point CSAT scale of seed csat_scales: good is the top box
SCALED_SURVEY = "zendesk_csat_survey"  # the updated CSAT (survey responses API)
SURVEY_RESPONSE_PREFIX, SURVEY_QUESTION_PREFIX = "zendesk_csat_response", "zendesk_csat_question"
SCALED_CSAT_QUESTION = "zendesk_csat_1_to"  # + the scale's points: one catalog question per scale
SURVEY_ANSWERS_LEFT_OUT = {
    "skipped": "a CSAT survey question the customer skipped: no answer",
    "open_ended": "an open-ended CSAT survey answer left empty: no answer",
    "closed_ended": "a closed-ended CSAT survey answer (chosen options, e.g. reasons): the contract has no "
                    "choice answers yet",
    None: "a CSAT survey answer that is no customer-satisfaction rating (a rating question of sub_type other, "
          "or an answer type the mapping does not know): the contract has no place for it yet",
}
NO_ANSWER_YET = {
    "offered": "a satisfaction survey offered on the ticket and not answered (Zendesk score offered): no answer yet",
    "unoffered": "no satisfaction survey offered on the ticket yet (Zendesk score unoffered): no answer",
}


@dataclass(frozen=True)
class Directory:
    """What mapping a record needs to know about the rest of the account (every landed load)."""

    users: Mapping[int, Mapping] = field(default_factory=dict)  # id -> user (role, external_id)
    group_names: Mapping[int, str] = field(default_factory=dict)
    ticket_keys: Mapping[int, str] = field(default_factory=dict)  # ticket id -> contact_id
    deleted_tickets: frozenset[int] = frozenset()
    organizations: Mapping[int, Mapping] = field(default_factory=dict)  # id -> organization (fields, tags)
    schedule_ids: frozenset[int] = frozenset()  # the account's business-hours schedules
    default_schedule: int | None = None  # Zendesk's default: its oldest schedule

    def person(self, user_id: int | None) -> str | None:
        """A user's key in the contract: its external_id, else its Zendesk id."""
        user = self.users.get(user_id) or {}
        return user.get("external_id") or _text(user_id)

    def role(self, user_id: int | None) -> str | None:
        return (self.users.get(user_id) or {}).get("role")

    def contact(self, ticket_id: int | None) -> str | None:
        return self.ticket_keys.get(ticket_id) or _text(ticket_id)


@dataclass(frozen=True)
class ZendeskSettings:
    """Where the contact reason and the customer's segment and region are found in Zendesk."""

    reason_field_id: int | None = None  # a ticket custom field whose value is the reason
    reason_tags: tuple[str, ...] = ()  # else: the first ticket tag among these
    default_reason: str = "unspecified"
    unassigned_queue: str = "unassigned"  # tickets in no group
    segment_user_field: str = "segment"  # user_fields keys of end-users
    region_user_field: str = "region"
    # Where the user's own field is empty: its organization's organization_fields keys, then its tags.
    segment_organization_field: str = "segment"
    region_organization_field: str = "region"
    segment_tags: tuple[str, ...] = ()  # organization tags that name a segment (the first one wins)
    # The points of the updated CSAT's rating question, where a response does not list its options (None: off).
    csat_scale_points: int | None = None
    # group name -> the schedule its tickets are on: a Zendesk schedule id, or a project schedule id
    group_schedules: Mapping[str, str] = field(default_factory=dict)


def contact_row(ticket: Mapping, directory: Directory, settings: ZendeskSettings) -> dict:
    """A ticket as a contact; its lifecycle comes from its events (status changes, comments)."""
    row = {"_source_record": _json(ticket)}
    if ticket.get("status") == "deleted":
        return {**row, "_exclude_reason": DELETED}
    via = _parsed(ticket.get("via")) or {}
    channel = via.get("channel")
    return {
        **row,
        "contact_id": ticket.get("external_id") or _text(ticket.get("id")),
        "customer_id": directory.person(ticket.get("requester_id")),
        "channel": CHANNELS.get(channel, channel),
        "queue": directory.group_names.get(ticket.get("group_id")) or settings.unassigned_queue,
        "agent_id": directory.person(ticket.get("assignee_id")),
        "contact_reason": _reason(ticket, settings),
        "created_at": ticket.get("created_at"),
        # A ticket waits in its group's view from creation: it is offered then.
        "queue_entered_at": ticket.get("created_at"),
        "closed_at": ticket.get("updated_at") if ticket.get("status") == "closed" else None,
        "is_abandoned": False,
        "status": STATUSES.get(ticket.get("status"), ticket.get("status")),
        "priority": ticket.get("priority"),
        "direction": "inbound",
        **ticket_schedule(directory.group_names.get(ticket.get("group_id")), directory, settings),
    }


def ticket_schedule(group: str | None, directory: Directory, settings: ZendeskSettings) -> dict:
    """The schedule a ticket is on: its group's configured one, else Zendesk's default; none without schedules.

    Zendesk's published exports do not say which schedule a trigger set on a ticket, so the
    group map stands in for such triggers. A configured Zendesk schedule the account lacks is a
    mapping problem (the ticket is quarantined with why), never a silent fall-back.
    """
    configured = settings.group_schedules.get(group) if group else None
    if configured is None:
        return {"schedule_id": None if directory.default_schedule is None else f"zendesk_{directory.default_schedule}"}
    if not configured.isdigit():
        return {"schedule_id": configured}  # a project schedule (seed business_schedules)
    if int(configured) in directory.schedule_ids:
        return {"schedule_id": f"zendesk_{configured}"}
    return {"schedule_id": None, MAPPING_PROBLEM_COLUMN: (
        f"group {group!r} is on Zendesk schedule {configured} (CX_ZENDESK_GROUP_SCHEDULES), which the account does "
        "not have: correct the schedule id in CX_ZENDESK_GROUP_SCHEDULES (Admin Center > Objects and rules > "
        "Schedules) and land again")}


def event_rows(event: Mapping, directory: Directory) -> tuple[list[dict], list[dict]]:
    """A ticket event's status changes and comments (its other child events are no contract record)."""
    children = _parsed(event.get("child_events")) or []
    statuses = [c for c in children if c.get("field_name") == "status" and c.get("event_type") in ("Create", "Change")]
    comments = [c for c in children if c.get("event_type") == "Comment"]
    if event.get("ticket_id") in directory.deleted_tickets:
        left_out = [{"_exclude_reason": f"an event of ticket {event.get('ticket_id')}, {DELETED}",
                     "_source_record": _json(child)} for child in statuses + comments]
        return left_out[:len(statuses)], left_out[len(statuses):]
    contact_id = directory.contact(event.get("ticket_id"))
    status_rows = [{
        "status_change_id": _text(child.get("id")),
        "contact_id": contact_id,
        "status": STATUSES.get(child.get("value"), child.get("value")),
        "changed_at": event.get("created_at"),
        "agent_id": directory.person(event.get("updater_id"))
        if directory.role(event.get("updater_id")) in AGENT_ROLES else None,
        "_source_record": _json(child),
    } for child in statuses]
    via = (_parsed(event.get("via")) or {}).get("channel")
    message_rows = [{
        "message_id": _text(child.get("id")),
        "contact_id": contact_id,
        "author_role": _author_role(child.get("author_id"), via, directory),
        "author_id": directory.person(child.get("author_id")) if child.get("author_id") != SYSTEM_AUTHOR else None,
        "is_public": child.get("public"),
        "sent_at": child.get("created_at") or event.get("created_at"),
        "_source_record": _json(child),
    } for child in comments]
    return status_rows, message_rows


def customer_row(user: Mapping, settings: ZendeskSettings, directory: Directory = Directory()) -> dict:
    """An end-user as a customer (name and e-mail stay in the raw layer); agents are left out."""
    row = {"_source_record": _json(user)}
    if user.get("role") != "end-user":
        return {**row, "_exclude_reason": f"a Zendesk {user.get('role')}, not a customer"}
    if user.get("external_id"):
        return {**row, "_exclude_reason": f"known to your CRM as {user['external_id']} (the user's external_id): "
                                          "its customer export carries the customer"}
    segment, region = _segment_and_region(user, settings, directory)
    locale = user.get("locale") or ""
    return {
        **row,
        "customer_id": _text(user.get("id")),
        "full_name": user.get("name"),
        "email": user.get("email"),
        "segment": segment,
        "region": region,
        "language": locale.split("-")[0].lower() or None,
        "signup_date": (_text(user.get("created_at")) or "")[:10] or None,
        "status": "active",
    }


def rating_question_rows() -> list[dict]:
    """The catalog rows of Zendesk's satisfaction survey: CSAT on 2 points (bad / good), and its comment."""
    return [
        {"question_id": CSAT_QUESTION, "question_text": "How would you rate the support you received? (Bad / Good)",
         "measure": "csat", "scale_min": 1, "scale_max": 2, "is_reverse_coded": False},
        {"question_id": COMMENT_QUESTION, "question_text": "Add a comment about the quality of support you received",
         "measure": "comment", "is_reverse_coded": False},
    ]


def rating_rows(rating: Mapping, directory: Directory) -> tuple[dict, list[dict]]:
    """A satisfaction rating as a survey response of its ticket's contact, and its answers (none if unanswered)."""
    record = {"_source_record": _json(rating)}
    score = rating.get("score")
    if score in NO_ANSWER_YET:
        return {**record, "_exclude_reason": NO_ANSWER_YET[score]}, []
    response_id = f"{RATING_SURVEY}_{rating.get('id')}"
    # Sent when Zendesk created the rating (it offers the survey then), answered at the newest score's moment.
    response = {**record, **_ticket_response(response_id, RATING_SURVEY, rating.get("requester_id"),
                                             rating.get("ticket_id"), directory),
                "sent_at": rating.get("created_at"), "answered_at": rating.get("updated_at")}
    answers = [{**record, "response_id": response_id, "question_id": CSAT_QUESTION,
                "answer_value": RATING_SCORES.get(score),
                MAPPING_PROBLEM_COLUMN: None if score in RATING_SCORES else
                f"satisfaction rating score {score!r} is not good, bad, offered or unoffered: report it with the "
                "rating's id (the updated CSAT's scaled ratings come as survey responses: set "
                "CX_ZENDESK_CSAT_SCALE_POINTS to read them)"}]
    if rating.get("comment"):
        answers.append({**record, "response_id": response_id, "question_id": COMMENT_QUESTION,
                        "answer_text": rating["comment"]})
    return response, answers


def survey_response_rows(response: Mapping, directory: Directory, settings: ZendeskSettings) -> tuple[dict, list[dict]]:
    """A CSAT survey response (Zendesk's updated CSAT) as a survey response of its ticket's contact: its
    customer-satisfaction rating on the question's own scale, its open-ended answers as comments."""
    record = {"_source_record": _json(response)}
    answers = _parsed(response.get("answers")) or []
    given = [a for a in answers if a.get("type") != "skipped"]
    subjects = _parsed(response.get("subjects")) or []
    ticket = next((s for s in subjects if s.get("type") == "ticket"), None)
    left_out = None
    if ticket is None:
        kinds = ", ".join(sorted({str(s.get("type")) for s in subjects})) or "nothing"
        left_out = f"a CSAT survey response on {kinds}, not on a ticket: no contact"
    elif not given:
        left_out = "a CSAT survey response offered and not answered (every question skipped, or none yet)"
    if left_out:
        return {**record, "_exclude_reason": left_out}, [
            {"_source_record": _json(answer), "_exclude_reason": f"an answer of {left_out}"} for answer in answers]
    response_id = f"{SURVEY_RESPONSE_PREFIX}_{response.get('id')}"
    # The response carries no creation time: its first answer's creation, and its newest change.
    row = {**record, **_ticket_response(response_id, SCALED_SURVEY, response.get("responder_id"), int(ticket["id"]),
                                        directory),
           "sent_at": min(a["created_at"] for a in given), "answered_at": max(a["updated_at"] for a in given)}
    return row, [_survey_answer_row(answer, response_id, settings) for answer in answers]


def survey_question_rows(responses: list[Mapping], settings: ZendeskSettings) -> list[dict]:
    """The catalog rows the responses' answers name: one CSAT question per scale, one per open-ended question."""
    questions: dict[str, dict] = {}
    for response in responses:
        for answer in _parsed(response.get("answers")) or []:
            question = answer.get("question") or {}
            if _is_csat(answer):
                points = _scale_points(question, settings)
                questions[f"{SCALED_CSAT_QUESTION}_{points}"] = {
                    "question_id": f"{SCALED_CSAT_QUESTION}_{points}", "measure": "csat", "scale_min": 1,
                    "scale_max": points, "is_reverse_coded": False,
                    "question_text": f"How satisfied were you with the support you received? (1-{points})"}
            elif answer.get("type") == "open_ended":
                headline = _parsed(question.get("headline")) or {}
                questions[f"{SURVEY_QUESTION_PREFIX}_{question.get('id')}"] = {
                    "question_id": f"{SURVEY_QUESTION_PREFIX}_{question.get('id')}", "measure": "comment",
                    "is_reverse_coded": False,
                    "question_text": headline.get("value") or "An open-ended question of Zendesk's CSAT survey"}
    return [questions[key] for key in sorted(questions)]


def _ticket_response(response_id: str, survey_id: str, requester_id: int | None, ticket_id: int | None,
                     directory: Directory) -> dict:
    """A transactional survey response of a ticket's contact by its requester (legacy rating or updated CSAT)."""
    locale = (directory.users.get(requester_id) or {}).get("locale") or ""
    return {
        "response_id": response_id,
        "survey_id": survey_id,
        "survey_kind": "transactional",
        "customer_id": directory.person(requester_id),
        "contact_id": directory.contact(ticket_id),
        "channel": None,  # the contact's: the gate fills it, or the response waits for the ticket
        "language": locale.split("-")[0].lower() or None,
    }


def _survey_answer_row(answer: Mapping, response_id: str, settings: ZendeskSettings) -> dict:
    """One answer of a CSAT survey response: the rating, a comment, or left out with why."""
    record = {"_source_record": _json(answer)}
    question = answer.get("question") or {}
    if _is_csat(answer):
        points, rating = _scale_points(question, settings), answer.get("rating")
        in_scale = isinstance(rating, int) and 1 <= rating <= points
        return {**record, "response_id": response_id, "question_id": f"{SCALED_CSAT_QUESTION}_{points}",
                "answer_value": rating,
                MAPPING_PROBLEM_COLUMN: None if in_scale else
                f"CSAT rating {rating!r} is not on a 1-{points} scale: set CX_ZENDESK_CSAT_SCALE_POINTS to the "
                "points of your CSAT survey's rating question (Admin Center > Objects and rules > CSAT)"}
    if answer.get("type") == "open_ended" and answer.get("value"):
        return {**record, "response_id": response_id, "question_id": f"{SURVEY_QUESTION_PREFIX}_{question.get('id')}",
                "answer_text": answer["value"]}
    return {**record, "_exclude_reason": SURVEY_ANSWERS_LEFT_OUT.get(answer.get("type"), SURVEY_ANSWERS_LEFT_OUT[None])}


def _is_csat(answer: Mapping) -> bool:
    return answer.get("type") == "rating_scale" and (answer.get("question") or {}).get("sub_type") == "customer_satisfaction"


def _scale_points(question: Mapping, settings: ZendeskSettings) -> int:
    """The rating question's points: its options' highest rating where the response lists them, else configured."""
    ratings = [option.get("rating") for option in _parsed(question.get("options")) or []]
    return max(ratings) if ratings else settings.csat_scale_points


def takes_from_organization(user: Mapping, settings: ZendeskSettings) -> bool:
    """Whether a customer's segment or region would come from its organization (its own fields lack one)."""
    if user.get("role") != "end-user" or user.get("external_id") or user.get("organization_id") is None:
        return False
    fields = _parsed(user.get("user_fields")) or {}
    return not (fields.get(settings.segment_user_field) and fields.get(settings.region_user_field))


def _segment_and_region(user: Mapping, settings: ZendeskSettings, directory: Directory) -> tuple[str, str]:
    """The user's own user_fields first; else its organization's organization_fields; the segment
    else the first organization tag among the configured segments; else unknown."""
    own = _parsed(user.get("user_fields")) or {}
    organization = directory.organizations.get(user.get("organization_id")) or {}
    org_fields = _parsed(organization.get("organization_fields")) or {}
    org_tags = _parsed(organization.get("tags")) or []
    segment = (own.get(settings.segment_user_field) or org_fields.get(settings.segment_organization_field)
               or next((tag for tag in org_tags if tag in settings.segment_tags), None))
    region = own.get(settings.region_user_field) or org_fields.get(settings.region_organization_field)
    return segment or "unknown", region or "unknown"


def _author_role(author_id: int | None, via: str | None, directory: Directory) -> str | None:
    if author_id == SYSTEM_AUTHOR or via in BOT_VIA:
        return "bot"
    role = directory.role(author_id)
    if role == "end-user":
        return "customer"
    return "agent" if role in AGENT_ROLES else None


def _reason(ticket: Mapping, settings: ZendeskSettings) -> str:
    if settings.reason_field_id is not None:
        for field in _parsed(ticket.get("custom_fields")) or []:
            if field.get("id") == settings.reason_field_id and field.get("value"):
                return str(field["value"])
    tags = _parsed(ticket.get("tags")) or []
    return next((tag for tag in tags if tag in settings.reason_tags), settings.default_reason)


def _parsed(value: object) -> object:
    """A nested part as dlt landed it (JSON text in DuckDB) or as the API sent it."""
    return json.loads(value) if isinstance(value, str) else value


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _json(record: Mapping) -> str:
    """The vendor record as kept with a quarantined or excluded row (dlt's own columns left out)."""
    return json.dumps({k: v for k, v in record.items() if not k.startswith("_dlt")}, ensure_ascii=False, default=str)
