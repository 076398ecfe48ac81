"""The raw data contract: the canonical shape of every file the warehouse ingests.

One machine-readable definition serves the loader (typing and row validation), the
sample generator, the dbt source YAML (a test keeps them in step) and `data/README.md`.
Vendor adapters map their exports into this shape; no vendor quirk lives here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHANNELS = ("phone", "chat", "email", "messenger", "social", "web", "app", "store")
SURVEY_KINDS = ("relationship", "transactional", "delayed")
CUSTOMER_STATUSES = ("active", "churned")
CONTACT_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
# A status change may also say `reopened` (ticketing tools differ): it counts as `open` again.
STATUS_CHANGE_STATUSES = CONTACT_STATUSES + ("reopened",)
CONTACT_PRIORITIES = ("low", "normal", "high", "urgent")
MESSAGE_AUTHOR_ROLES = ("customer", "agent", "bot")
# Who started a contact: the customer (inbound), the contact center (outbound), or a callback the
# customer asked for. Only inbound contacts are offered to a queue in the service-level sense.
CONTACT_DIRECTIONS = ("inbound", "outbound", "callback")
JOURNEY_STAGES = (
    "awareness",
    "consideration",
    "purchase",
    "onboarding",
    "usage",
    "support",
    "renewal",
)
FORCES = ("fairness", "control", "certainty", "status", "belonging", "enjoyment")
PILLARS = (
    "integrity",
    "resolution",
    "expectations",
    "time_and_effort",
    "personalisation",
    "empathy",
)
EMOTIONS = ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation")
MEASURES = ("nps", "csat", "ces", "force", "pillar", "emotion", "comment")
# Headline measures have one scale by definition (DOMAIN.md); a catalog row that maps a
# question to one of them on another scale would silently corrupt NPS/CES.
FIXED_SCALES = {"nps": (0, 10), "ces": (1, 7), "emotion": (1, 3)}
# CSAT is asked on the scales survey tools offer; each has its own top-box rule (dbt seed
# csat_scales, DECISIONLOG "Survey scales"), and an answer is never converted to another scale.
CSAT_SCALES = ((1, 2), (1, 3), (1, 5), (1, 7), (1, 10), (0, 10))

# ISO 8601 with an explicit UTC offset or Z; a naive timestamp is ambiguous across DST.
OFFSET_TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$"


@dataclass(frozen=True)
class Column:
    """One column of a raw file: its type and the checks a value must pass."""

    name: str
    type: str  # a DuckDB type: varchar, integer, double, boolean, date, timestamptz
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    pattern: str | None = None
    # Added to the contract after files were in use: a file may lack the column (read as empty),
    # and an existing raw table gains it on the next load.
    may_be_absent: bool = False


# What a row failing a RowRule becomes.
QUARANTINE = "quarantine"  # bad data: kept in raw.quarantine with the record and every reason
WAIT = "wait"  # its parent is not loaded yet: kept in raw.waiting, loaded when the parent arrives
FLAG = "flag"  # loaded, and counted per file in the load log (raw._file_loads.row_flags)


@dataclass(frozen=True)
class RowRule:
    """A condition across columns (DuckDB SQL over typed columns), and what a row failing it becomes."""

    condition: str
    reason: str
    on_failure: str = QUARANTINE


@dataclass(frozen=True)
class Lookup:
    """A join to an already-loaded entity (its latest version per key) that rules may use."""

    entity: str
    alias: str
    on: str
    columns: tuple[str, ...]
    # Columns a row may leave empty and take from its parent (same name; also in `columns`): a
    # vendor record that knows its parent but not the parent's details (a rating names its ticket).
    fills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entity:
    """One raw entity: a folder of files under CX_DATA_DIR and a table in the `raw` schema."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    depends_on: tuple[str, ...] = field(default=())
    # Source freshness: new data is expected at least this often; None = no expectation
    # (reference data such as the question catalog changes only now and then).
    expected_every_hours: int | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


# Contacts and responses whose customer is not (yet) loaded: a deployment may have no customer
# export at all (a voice platform's records alone), so they load, counted, with segment 'unknown'.
UNKNOWN_CUSTOMER = "customer_id not in the loaded customers (loaded, with segment 'unknown' until it arrives)"
CUSTOMER_LOOKUP = Lookup("customers", "cu", "cu.customer_id = typed.customer_id", ("customer_id",))


def _ts(name: str, description: str, required: bool = False) -> Column:
    return Column(name, "timestamptz", description, required=required, pattern=OFFSET_TIMESTAMP_PATTERN)


CUSTOMERS = Entity(
    name="customers",
    description="One row per customer (a later file may carry a newer version of a customer).",
    key=("customer_id",),
    columns=(
        Column("customer_id", "varchar", "Customer key.", required=True),
        Column("full_name", "varchar", "Personal data: never published."),
        Column("email", "varchar", "Personal data: never published."),
        Column("segment", "varchar", "Business segment, e.g. consumer, smb, enterprise.", required=True),
        Column("region", "varchar", "Sales region.", required=True),
        Column("language", "varchar", "Preferred language, ISO 639-1.", required=True, pattern=r"^[a-z]{2}$"),
        Column("signup_date", "date", "First day as a customer.", required=True),
        Column("annual_revenue", "double", "Revenue from the customer in the last 12 months.", min_value=0),
        Column("status", "varchar", "Lifecycle status.", required=True, allowed=CUSTOMER_STATUSES),
        Column("churn_date", "date", "Day the customer left; set if and only if status is churned."),
    ),
    rules=(
        RowRule("(status = 'churned') = (churn_date is not null)", "churn_date must be set exactly when status is churned"),
        RowRule("churn_date is null or churn_date >= signup_date", "churn_date is before signup_date"),
    ),
    expected_every_hours=7 * 24,
)

JOURNEY_TOUCHPOINTS = Entity(
    name="journey_touchpoints",
    description="The journey map: one row per touchpoint, placed in one journey stage.",
    key=("touchpoint_id",),
    columns=(
        Column("touchpoint_id", "varchar", "Touchpoint key.", required=True),
        Column("touchpoint_name", "varchar", "Readable name.", required=True),
        Column("journey_stage", "varchar", "Stage of the journey.", required=True, allowed=JOURNEY_STAGES),
        Column("stage_order", "integer", "Position of the stage in the journey (1 = first).", required=True, min_value=1),
        Column("channel", "varchar", "Channel the touchpoint happens in, if one.", allowed=CHANNELS),
        Column("description", "varchar", "What the customer does here."),
    ),
)

QUESTIONS = Entity(
    name="questions",
    description="The question catalog: what each survey question measures and on which scale.",
    key=("question_id",),
    columns=(
        Column("question_id", "varchar", "Question key, as the survey tool exports it.", required=True),
        Column("question_text", "varchar", "Wording shown to the respondent.", required=True),
        Column("measure", "varchar", "What the answer measures.", required=True, allowed=MEASURES),
        Column("construct", "varchar", "The Force or Pillar an agreement item measures (measure force or pillar only).",
               allowed=FORCES + PILLARS),
        Column("scale_min", "integer", "Lowest answer value (empty for comment questions)."),
        Column("scale_max", "integer", "Highest answer value (empty for comment questions)."),
        Column("is_reverse_coded", "boolean", "True when agreeing means a worse experience.", required=True),
    ),
    rules=(
        RowRule("measure = 'comment' or (scale_min is not null and scale_max is not null and scale_min < scale_max)",
                "a scored question needs scale_min < scale_max"),
        RowRule("(measure = 'force' and construct in " + repr(FORCES) + ") or (measure = 'pillar' and construct in "
                + repr(PILLARS) + ") or (measure not in ('force', 'pillar') and construct is null)",
                "construct must name a Force for measure force, a Pillar for measure pillar, and be empty otherwise"),
        RowRule(" and ".join(f"(measure <> '{m}' or (scale_min = {lo} and scale_max = {hi}))"
                             for m, (lo, hi) in FIXED_SCALES.items()),
                "nps must be on 0-10, ces on 1-7 and emotion intensity on 1-3"),
        RowRule("measure <> 'csat' or (scale_min, scale_max) in ("
                + ", ".join(f"({lo}, {hi})" for lo, hi in CSAT_SCALES) + ")",
                "csat must be on " + ", ".join(f"{lo}-{hi}" for lo, hi in CSAT_SCALES)),
    ),
)

SURVEY_RESPONSES = Entity(
    name="survey_responses",
    description="One row per completed survey response.",
    key=("response_id",),
    columns=(
        Column("response_id", "varchar", "Response key.", required=True),
        Column("survey_id", "varchar", "The survey (questionnaire and wave) answered.", required=True),
        Column("survey_kind", "varchar", "relationship (periodic), transactional (right after an interaction) "
               "or delayed (2-3 months after a key moment).", required=True, allowed=SURVEY_KINDS),
        Column("customer_id", "varchar", "Respondent.", required=True),
        Column("contact_id", "varchar", "The contact the survey follows, if any."),
        Column("channel", "varchar", "Channel of the experience rated; empty: its contact's channel (the row "
               "waits for the contact if it is not loaded yet).", allowed=CHANNELS),
        Column("touchpoint_id", "varchar", "Touchpoint of the experience rated."),
        Column("journey_stage", "varchar", "Journey stage of the experience rated.", allowed=JOURNEY_STAGES),
        Column("language", "varchar", "Language the survey was answered in, ISO 639-1.", pattern=r"^[a-z]{2}$"),
        _ts("sent_at", "When the invitation was sent."),
        _ts("answered_at", "When the response was submitted.", required=True),
    ),
    rules=(
        RowRule("sent_at is null or sent_at <= answered_at", "answered_at is before sent_at"),
        RowRule("cu_customer_id is not null", UNKNOWN_CUSTOMER, on_failure=FLAG),
        RowRule("channel is not null or contact_id is not null",
                "channel is missing (and no contact_id to take it from)"),
        RowRule("channel is not null or c_contact_id is not null",
                "no channel, and its contact_id (whose channel it takes) is not loaded", on_failure=WAIT),
    ),
    lookups=(CUSTOMER_LOOKUP,
             Lookup("contacts", "c", "c.contact_id = typed.contact_id", ("contact_id", "channel"), fills=("channel",))),
    depends_on=("customers", "contacts"),
    expected_every_hours=24,
)

SURVEY_ANSWERS = Entity(
    name="survey_answers",
    description="One row per answer: a response's answer to one question.",
    key=("response_id", "question_id"),
    columns=(
        Column("response_id", "varchar", "The response the answer belongs to.", required=True),
        Column("question_id", "varchar", "The question answered (see the question catalog).", required=True),
        Column("answer_value", "double", "Numeric answer on the question's scale (emotion: intensity 1-3)."),
        Column("answer_text", "varchar", "Text answer: a comment, or the emotion felt."),
    ),
    lookups=(
        Lookup("questions", "q", "q.question_id = typed.question_id",
               ("measure", "scale_min", "scale_max")),
        Lookup("survey_responses", "r", "r.response_id = typed.response_id", ("response_id",)),
    ),
    rules=(
        RowRule("q_measure is not null", "unknown question_id (not in the question catalog)", on_failure=WAIT),
        RowRule("r_response_id is not null", "unknown response_id (no loaded survey response)", on_failure=WAIT),
        RowRule("answer_value is not null or answer_text is not null", "answer has neither a value nor a text"),
        RowRule("q_measure is null or q_measure = 'comment' or answer_value is not null",
                "a scored question needs answer_value"),
        RowRule("answer_value is null or q_measure is null or answer_value between q_scale_min and q_scale_max",
                "answer_value outside the question's scale"),
        RowRule("answer_value is null or q_measure not in ('nps', 'csat', 'ces', 'emotion') "
                "or answer_value = round(answer_value)",
                "nps, csat, ces and emotion answers must be whole points of the scale"),
        RowRule("q_measure is distinct from 'emotion' or answer_text in " + repr(EMOTIONS),
                "emotion answer_text must be one of Plutchik's eight primary emotions"),
    ),
    depends_on=("questions", "survey_responses"),
    expected_every_hours=24,
)

CONTACTS = Entity(
    name="contacts",
    description="One row per contact-center interaction (call, chat, e-mail, message).",
    key=("contact_id",),
    columns=(
        Column("contact_id", "varchar", "Contact key.", required=True),
        Column("customer_id", "varchar", "The customer who made contact.", required=True),
        Column("channel", "varchar", "Contact channel.", required=True, allowed=CHANNELS),
        Column("queue", "varchar", "Agent queue or team.", required=True),
        Column("agent_id", "varchar", "Agent who handled the contact."),
        Column("contact_reason", "varchar", "Why the customer got in touch.", required=True),
        _ts("created_at", "When the contact was created (call connected, chat started, e-mail received).", True),
        _ts("queue_entered_at", "When it entered an agent queue; empty if it never left the IVR or bot."),
        _ts("first_replied_at", "Answer (calls) or first reply by a human agent (chats, e-mails)."),
        _ts("first_resolved_at", "First time it was marked resolved."),
        _ts("resolved_at", "Final resolution (equals first_resolved_at unless reopened)."),
        _ts("closed_at", "When it was closed for good; for an abandoned contact, when the customer left."),
        Column("talk_seconds", "integer", "Seconds talking / actively handling.", min_value=0),
        Column("hold_seconds", "integer", "Seconds on hold.", min_value=0),
        Column("after_contact_work_seconds", "integer", "Seconds of wrap-up after the contact.", min_value=0),
        Column("is_abandoned", "boolean", "Customer left before an agent answered.", required=True),
        Column("status", "varchar", "Status at export time.", required=True, allowed=CONTACT_STATUSES),
        Column("reopen_count", "integer", "Times it was reopened after a resolution.", min_value=0),
        Column("priority", "varchar", "Priority the ticketing tool gave it; empty = normal. SLA policies "
               "(seed sla_policies) are chosen by it.", allowed=CONTACT_PRIORITIES, may_be_absent=True),
        Column("direction", "varchar", "Who started it: the customer (inbound), the contact center (outbound) or "
               "a callback the customer asked for; empty = inbound. Outbound and callback contacts are never offered "
               "(no abandonment, no service level).", allowed=CONTACT_DIRECTIONS, may_be_absent=True),
        Column("transfer_count", "integer", "Times another agent took the contact over (a voice platform's transfer "
               "chain: one contact, several legs); empty = 0. Counts as handoffs when the contact has no messages.",
               min_value=0, may_be_absent=True),
        Column("schedule_id", "varchar", "The business-hours schedule the source applied to this contact (a "
               "schedule of seed business_schedules, or `zendesk_<id>` for a landed Zendesk schedule); empty = its "
               "queue's schedule. Every business-minute measure of the contact counts on it.", may_be_absent=True),
    ),
    rules=(
        RowRule("queue_entered_at is null or queue_entered_at >= created_at", "queue_entered_at is before created_at"),
        RowRule("first_replied_at is null or first_replied_at >= coalesce(queue_entered_at, created_at)",
                "first_replied_at is before the contact was created or queued"),
        RowRule("first_resolved_at is null or first_resolved_at >= created_at", "first_resolved_at is before created_at"),
        RowRule("resolved_at is null or resolved_at >= coalesce(first_resolved_at, created_at)",
                "resolved_at is before first_resolved_at or created_at"),
        RowRule("closed_at is null or closed_at >= coalesce(resolved_at, created_at)", "closed_at is before resolved_at"),
        RowRule("not (is_abandoned and first_replied_at is not null)", "an abandoned contact cannot have a reply"),
        RowRule("cu_customer_id is not null", UNKNOWN_CUSTOMER, on_failure=FLAG),
    ),
    lookups=(CUSTOMER_LOOKUP,),
    depends_on=("customers",),
    expected_every_hours=24,
)

CONTACT_STATUS_CHANGES = Entity(
    name="contact_status_changes",
    description="Status history as ticketing and chat tools export it: one row per status change of a contact. "
    "Optional: contacts without any take their metrics from their own timestamps.",
    key=("status_change_id",),
    columns=(
        Column("status_change_id", "varchar", "Status-change key.", required=True),
        Column("contact_id", "varchar", "The contact whose status changed.", required=True),
        Column("status", "varchar", "The status entered (reopened = back to open after solved).", required=True,
               allowed=STATUS_CHANGE_STATUSES),
        _ts("changed_at", "When the contact entered this status.", required=True),
        Column("agent_id", "varchar", "Who changed it, if an agent."),
    ),
    lookups=(Lookup("contacts", "c", "c.contact_id = typed.contact_id", ("contact_id", "created_at")),),
    rules=(
        RowRule("c_contact_id is not null", "unknown contact_id (no loaded contact)", on_failure=WAIT),
        RowRule("c_created_at is null or changed_at >= c_created_at", "changed_at is before the contact was created"),
    ),
    depends_on=("contacts",),
)

CONTACT_MESSAGES = Entity(
    name="contact_messages",
    description="Messages of a contact's conversation (chat lines, e-mails, comments): one row per message. "
    "Optional: contacts without any take first reply and touches from their own timestamps.",
    key=("message_id",),
    columns=(
        Column("message_id", "varchar", "Message key.", required=True),
        Column("contact_id", "varchar", "The contact the message belongs to.", required=True),
        Column("author_role", "varchar", "Who wrote it: the customer, a human agent or a bot.", required=True,
               allowed=MESSAGE_AUTHOR_ROLES),
        Column("author_id", "varchar", "Agent key for agent messages (handoffs count distinct agents)."),
        Column("is_public", "boolean", "False for internal notes, which the customer never sees.", required=True),
        _ts("sent_at", "When the message was sent.", required=True),
    ),
    lookups=(Lookup("contacts", "c", "c.contact_id = typed.contact_id", ("contact_id", "created_at")),),
    rules=(
        RowRule("c_contact_id is not null", "unknown contact_id (no loaded contact)", on_failure=WAIT),
        RowRule("c_created_at is null or sent_at >= c_created_at", "sent_at is before the contact was created"),
        RowRule("author_role <> 'agent' or author_id is not null", "an agent message needs author_id"),
    ),
    depends_on=("contacts",),
)

# Load order respects lookups: a rule may only use entities loaded before it.
SURVEY_OPT_OUTS = Entity(
    name="survey_opt_outs",
    description="Survey consent as the CRM exports it: one row per change of a customer's choice "
    "(the newest loaded version per customer counts). Optional: no files, no opt-outs.",
    key=("customer_id",),
    columns=(
        Column("customer_id", "varchar", "The customer.", required=True),
        Column("is_opted_out", "boolean", "True: send no surveys; false: opted back in.", required=True),
        _ts("changed_at", "When the customer made this choice.", required=True),
    ),
    lookups=(Lookup("customers", "c", "c.customer_id = typed.customer_id", ("customer_id",)),),
    rules=(RowRule("c_customer_id is not null", "unknown customer_id (no loaded customer)", on_failure=WAIT),),
    depends_on=("customers",),
)

ENTITIES: tuple[Entity, ...] = (
    CUSTOMERS,
    JOURNEY_TOUCHPOINTS,
    QUESTIONS,
    CONTACTS,
    CONTACT_STATUS_CHANGES,
    CONTACT_MESSAGES,
    SURVEY_RESPONSES,
    SURVEY_ANSWERS,
    SURVEY_OPT_OUTS,
)
ENTITIES_BY_NAME = {e.name: e for e in ENTITIES}
