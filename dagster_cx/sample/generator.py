"""Seeded, vectorised generator of realistic CX data in exactly the raw contract's shape.

Why it exists: the warehouse has to be developed, tested and demonstrated on data that has
the awkward parts of real exports (three languages and scripts, queue time zones across a
daylight-saving change, IVR-only, abandoned, reopened and repeat contacts, a column added
to the contract after the first export (priority), status histories and conversations of
ticket-like contacts that mostly agree to the second with the contacts' own timestamps and
sometimes not (a reopen the record missed, a bot's answer it took for the first reply), skipped
survey questions, bad rows the loader must quarantine) *and* a known truth to test against:
the key-driver weights and R^2 planted in the survey answers are module constants and are
written to MANIFEST.json next to the files, as is every planted bad row. The same seed
gives byte-identical files (nothing depends on the clock); numpy and pyarrow do all per-row
work, so the L size (10M contacts) is written in minutes.

Latent model of the survey answers (one structure, two frameworks):
- Six Pillar scores per response: a shared general factor plus a specific part, shifted by
  what happened (channel, contact reason, reopened, repeat contact, wait, agent).
- Latent advocacy = sum of PILLAR_WEIGHTS * pillar + "mood" noise (KPMG's outside third);
  the 0-10 recommendation score is clip(round(NPS_INTERCEPT + NPS_SLOPE * advocacy)).
- Six Force scores = FORCE_LOADINGS * advocacy + correlated noise, with the loadings chosen
  so that the population regression of advocacy (and, since the noise is independent of it,
  of any function of it such as the 0-10 score) on the Forces is proportional to
  FORCE_WEIGHTS.
- Every Likert item is its construct plus item noise, cut into the scale's categories and
  flipped when reverse-coded. The three most important constructs of each framework get two
  items, the others one, so measurement error widens rather than blurs the planted order.
  Johnson's relative weights on the item-based scores reproduce the full order about 9 in
  10 times per framework at the bundled sample's size (~3,500 complete responses), the two
  smallest drivers being the ones that can swap (in the bundled sample the two smallest
  Pillars, empathy and personalisation, do), and the full order in every larger size.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dagster_cx.contract import (
    CHANNELS,
    CONTACT_MESSAGES,
    CONTACT_PRIORITIES,
    CONTACT_STATUS_CHANGES,
    CONTACT_STATUSES,
    CONTACTS,
    CUSTOMERS,
    EMOTIONS,
    FORCES,
    JOURNEY_STAGES,
    JOURNEY_TOUCHPOINTS,
    MESSAGE_AUTHOR_ROLES,
    PILLARS,
    QUESTIONS,
    STATUS_CHANGE_STATUSES,
    SURVEY_ANSWERS,
    SURVEY_KINDS,
    SURVEY_OPT_OUTS,
    SURVEY_RESPONSES,
    Entity,
)

Columns = dict[str, np.ndarray]
Planter = Callable[[pa.Table, int], tuple[pa.Table, list[dict]]]  # (month's table, month) -> table, planted

DEFAULT_SEED = 20260101
PERIOD_START = date(2026, 1, 1)
SIZES: dict[str, dict[str, int]] = {
    # XS: the benchmark's own test, which checks that every phase runs and reconciles, not how fast.
    "XS": {"customers": 400, "contacts": 3_000, "responses": 1_000, "months": 3},
    "sample": {"customers": 1_500, "contacts": 12_000, "responses": 4_000, "months": 6},
    "S": {"customers": 12_500, "contacts": 100_000, "responses": 20_000, "months": 12},
    "M": {"customers": 125_000, "contacts": 1_000_000, "responses": 200_000, "months": 12},
    "L": {"customers": 1_250_000, "contacts": 10_000_000, "responses": 2_000_000, "months": 12},
}

# ---------------------------------------------------------------- planted driver model
# Relative weights (sum 1): the population regression of the recommendation score on the
# latent construct scores has coefficients in this proportion, so this is the true order.
PILLAR_WEIGHTS: dict[str, float] = {
    "integrity": 0.35,
    "resolution": 0.25,
    "expectations": 0.17,
    "time_and_effort": 0.12,
    "empathy": 0.07,
    "personalisation": 0.04,
}
FORCE_WEIGHTS: dict[str, float] = {
    "fairness": 0.35,
    "certainty": 0.25,
    "enjoyment": 0.17,
    "control": 0.12,
    "belonging": 0.07,
    "status": 0.04,
}
PILLAR_SHARED = 0.35  # share of each pillar's variance from the general factor
LATENT_R2_PILLARS = 0.79  # advocacy explained by the six latent pillars (before measurement)
LATENT_R2_FORCES = 0.71  # advocacy explained by the six latent forces
FORCE_NOISE_VAR, FORCE_NOISE_SHARED = 0.45, 0.15
NPS_INTERCEPT, NPS_SLOPE = 8.9, 2.5  # 0-10 score = clip(round(intercept + slope * advocacy))
ITEM_LOADING = 0.9  # an item is loading * construct + noise
R2_SIMULATION_SEED, R2_SIMULATION_DRAWS = 7, 1_000_000

_W_P = np.array([PILLAR_WEIGHTS[p] for p in PILLARS])
_W_F = np.array([FORCE_WEIGHTS[f] for f in FORCES])
_SIGMA_P = (1 - PILLAR_SHARED) * np.eye(6) + PILLAR_SHARED
_EXPLAINED_P = float(_W_P @ _SIGMA_P @ _W_P)
_ADVOCACY_SD = np.sqrt(_EXPLAINED_P / LATENT_R2_PILLARS)
_MOOD_SD = np.sqrt(_EXPLAINED_P / LATENT_R2_PILLARS - _EXPLAINED_P)
_SIGMA_ETA = FORCE_NOISE_VAR * ((1 - FORCE_NOISE_SHARED) * np.eye(6) + FORCE_NOISE_SHARED)
_KAPPA = np.sqrt(LATENT_R2_FORCES / (1 - LATENT_R2_FORCES) / float(_W_F @ _SIGMA_ETA @ _W_F))
FORCE_LOADINGS = _KAPPA * _SIGMA_ETA @ _W_F  # regression of advocacy on forces = Sigma_eta^-1 c ∝ w
_ETA_CHOL = np.linalg.cholesky(_SIGMA_ETA)

# R^2 of the 0-10 score regressed on the construct scores as the warehouse computes them
# (mean of the items rescaled to 0-100): simulate_r2() on R2_SIMULATION_DRAWS draws with
# R2_SIMULATION_SEED, without context shifts; the latent values are exact by construction.
PLANTED_R2: dict[str, float] = {
    "nps_on_pillar_scores": 0.665,
    "nps_on_force_scores": 0.600,
    "advocacy_on_latent_pillars": LATENT_R2_PILLARS,
    "advocacy_on_latent_forces": LATENT_R2_FORCES,
}

# Category cut points on the item's latent scale (about standard normal), skewed to
# agreement; shares are before context shifts, which pull the sample's means down a little.
_CUTS_5 = np.array([-1.751, -1.227, -0.583, 0.305])  # 4 / 7 / 17 / 34 / 38 %
_CUTS_7 = np.array([-1.881, -1.476, -1.126, -0.674, -0.126, 0.674])  # 3/4/6/12/20/30/25 %
_CSAT_CUTS = np.array([-2.0, -1.655, -1.092, -0.25])  # top-2-box 86 % (sample: about 78 %)
_CES_CUTS = np.array([-2.05, -1.705, -1.38, -0.824, -0.174, 0.542])  # 5-7 "easy" 79 % (sample: about 69 %)


@dataclass(frozen=True)
class _Question:
    """One row of the question catalog."""

    question_id: str
    text: str
    measure: str
    construct: str | None = None
    scale: tuple[int, int] | None = None
    reverse: bool = False


_AGREE = "How much do you agree: "
QUESTION_CATALOG: tuple[_Question, ...] = (
    _Question("q_nps", "How likely is it that you would recommend us to a friend or colleague?", "nps",
              scale=(0, 10)),
    _Question("q_csat", "Overall, how satisfied were you with your experience?", "csat", scale=(1, 5)),
    _Question("q_ces", "To what extent do you agree or disagree with the following statement: "
              "The company made it easy for me to handle my issue.", "ces", scale=(1, 7)),
    _Question("q_force_fairness_1", _AGREE + "I am treated fairly by the company.", "force", "fairness", (1, 5)),
    _Question("q_force_fairness_2", _AGREE + "The company takes advantage of customers like me.", "force",
              "fairness", (1, 5), reverse=True),
    _Question("q_force_certainty_1", _AGREE + "I know what to expect from the company.", "force", "certainty",
              (1, 5)),
    _Question("q_force_certainty_2", _AGREE + "Dealing with the company keeps me guessing about what happens "
              "next.", "force", "certainty", (1, 5), reverse=True),
    _Question("q_force_enjoyment_1", _AGREE + "I enjoy dealing with the company.", "force", "enjoyment", (1, 5)),
    _Question("q_force_enjoyment_2", _AGREE + "Dealing with the company puts me in a good mood.", "force",
              "enjoyment", (1, 5)),
    _Question("q_force_control_1", _AGREE + "I feel in control when I deal with the company.", "force",
              "control", (1, 5)),
    _Question("q_force_belonging_1", _AGREE + "I feel I belong with the company's customers.", "force",
              "belonging", (1, 5)),
    _Question("q_force_status_1", _AGREE + "The company makes me feel valued and recognised.", "force", "status",
              (1, 5)),
    _Question("q_pillar_integrity_1", _AGREE + "The company is open and honest with me.", "pillar", "integrity",
              (1, 7)),
    _Question("q_pillar_integrity_2", _AGREE + "The company hides important information from me.", "pillar",
              "integrity", (1, 7), reverse=True),
    _Question("q_pillar_resolution_1", _AGREE + "When something went wrong, the company put it right quickly.",
              "pillar", "resolution", (1, 7)),
    _Question("q_pillar_resolution_2", _AGREE + "The company turned my problem into a good experience.",
              "pillar", "resolution", (1, 7)),
    _Question("q_pillar_expectations_1", _AGREE + "The company delivered what it promised.", "pillar",
              "expectations", (1, 7)),
    _Question("q_pillar_expectations_2", _AGREE + "The company told me what would happen and when.", "pillar",
              "expectations", (1, 7)),
    _Question("q_pillar_time_and_effort_1", _AGREE + "Getting things done with the company is quick and free "
              "of hassle.", "pillar", "time_and_effort", (1, 7)),
    _Question("q_pillar_empathy_1", _AGREE + "The company understood my specific situation.", "pillar",
              "empathy", (1, 7)),
    _Question("q_pillar_personalisation_1", _AGREE + "The company treated me as an individual, not a number.",
              "pillar", "personalisation", (1, 7)),
    _Question("q_emotion", "Which of these emotions did you feel most strongly, and how strongly "
              "(1 = a little, 3 = very strongly)?", "emotion", scale=(1, 3)),
    _Question("q_comment", "Is there anything you would like to tell us about your experience?", "comment"),
)
_SCORED = QUESTION_CATALOG[:-2]  # every question but emotion and comment, in catalog order
_EMOTION_COL, _COMMENT_COL = len(_SCORED), len(_SCORED) + 1
_CSAT_COL = 1
_SKIP_RATE = np.array([0.05, 0.03, 0.15] + [0.03] * (len(_SCORED) - 3))

# (touchpoint_id, name, stage, channel, description)
TOUCHPOINTS: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("TP01", "Online advertising", "awareness", "web", "Sees an ad or a search result and clicks through."),
    ("TP02", "Recommendation from a friend", "awareness", None, "Hears about us from someone they know."),
    ("TP03", "Website pricing page", "consideration", "web", "Compares plans and prices."),
    ("TP04", "Sales consultation call", "consideration", "phone", "Asks a sales adviser which plan fits."),
    ("TP05", "Online checkout", "purchase", "web", "Orders and pays online."),
    ("TP06", "Store purchase", "purchase", "store", "Buys in a store with a sales assistant."),
    ("TP07", "Welcome e-mail", "onboarding", "email", "Receives the welcome pack and first steps."),
    ("TP08", "Onboarding call", "onboarding", "phone", "Gets set up with an adviser."),
    ("TP09", "Mobile app", "usage", "app", "Uses the service and manages the account in the app."),
    ("TP10", "Self-service portal", "usage", "web", "Checks usage, invoices and settings online."),
    ("TP11", "Support phone line", "support", "phone", "Calls the contact center."),
    ("TP12", "Support chat", "support", "chat", "Chats with an agent on the website or in the app."),
    ("TP13", "Support e-mail", "support", "email", "Writes to support and waits for the reply."),
    ("TP14", "Messenger support", "support", "messenger", "Messages support on a messenger app."),
    ("TP15", "Social media care", "support", "social", "Asks for help publicly on social media."),
    ("TP16", "Renewal offer", "renewal", "email", "Receives and considers the renewal offer."),
    ("TP17", "Cancellation and retention call", "renewal", "phone", "Asks to cancel and is offered to stay."),
)
_TP_INDEX = {tp[0]: i for i, tp in enumerate(TOUCHPOINTS)}
_TP_CHANNEL = np.array([CHANNELS.index(tp[3]) if tp[3] else -1 for tp in TOUCHPOINTS])
_TP_STAGE = np.array([JOURNEY_STAGES.index(tp[2]) for tp in TOUCHPOINTS])
_SUPPORT_TP_BY_CHANNEL = np.array([_TP_INDEX[t] for t in ("TP11", "TP12", "TP13", "TP14", "TP15")])
_RELATIONSHIP_TPS = np.array([_TP_INDEX[t] for t in ("TP09", "TP10", "TP16")])
_RELATIONSHIP_TP_SHARES = np.array([0.45, 0.35, 0.20])

# ---------------------------------------------------------------- customers
ZONES = ("Europe/Warsaw", "Europe/Moscow", "Europe/London")  # index = country: PL, RU, UK
LANGUAGES = ("pl", "ru", "en")
SEGMENTS = ("consumer", "smb", "enterprise")
_SEGMENT_SHARES = np.array([0.70, 0.22, 0.08])
_SEGMENT_ACTIVITY = np.array([1.0, 1.5, 3.0])  # relative contact propensity
_CHURN_SHARE, _CHURN_BEFORE_PERIOD = 0.12, 0.25
_REVENUE = np.array([[600.0, 0.8], [12_000.0, 1.0], [250_000.0, 1.0]])  # lognormal median, sigma
# (region, country index, share of customers)
_REGIONS: tuple[tuple[str, int, float], ...] = (
    ("PL-Mazowieckie", 0, 0.175), ("PL-Malopolskie", 0, 0.10), ("PL-Slaskie", 0, 0.10),
    ("PL-Wielkopolskie", 0, 0.075), ("PL-Pomorskie", 0, 0.05),
    ("RU-Moscow", 1, 0.14), ("RU-Saint-Petersburg", 1, 0.07), ("RU-Kazan", 1, 0.04),
    ("UK-London", 2, 0.125), ("UK-Manchester", 2, 0.075), ("UK-Edinburgh", 2, 0.05),
)
_LANGUAGE_BY_COUNTRY = np.array([[0.92, 0.03, 0.05], [0.0, 0.94, 0.06], [0.06, 0.02, 0.92]])
_FIRST_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # (male, female)
    "pl": (("Łukasz", "Piotr", "Krzysztof", "Tomasz", "Paweł", "Michał", "Marcin", "Jakub", "Andrzej",
            "Grzegorz", "Wojciech", "Mateusz"),
           ("Anna", "Małgorzata", "Katarzyna", "Agnieszka", "Joanna", "Magdalena", "Zofia", "Ewa", "Beata",
            "Dorota", "Żaneta", "Aleksandra")),
    "ru": (("Александр", "Дмитрий", "Сергей", "Андрей", "Алексей", "Иван", "Михаил", "Никита", "Павел", "Артём"),
           ("Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Екатерина", "Юлия", "Ирина", "Светлана")),
    "en": (("James", "Oliver", "Harry", "George", "Jack", "Thomas", "William", "Daniel", "Samuel", "Matthew"),
           ("Emily", "Olivia", "Sophie", "Charlotte", "Amelia", "Jessica", "Hannah", "Grace", "Lucy", "Chloe")),
}
_SURNAMES: dict[str, tuple[tuple[str, str], ...]] = {  # (male form, female form)
    "pl": (("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Wójcik", "Wójcik"),
           ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"), ("Zieliński", "Zielińska"),
           ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"), ("Dąbrowski", "Dąbrowska"),
           ("Kozłowski", "Kozłowska"), ("Mazur", "Mazur"), ("Krawczyk", "Krawczyk"), ("Nowak", "Nowak"),
           ("Pawłowski", "Pawłowska"), ("Król", "Król"), ("Jabłoński", "Jabłońska"), ("Gołębiowski", "Gołębiowska"),
           ("Żak", "Żak")),
    "ru": (("Смирнов", "Смирнова"), ("Иванов", "Иванова"), ("Кузнецов", "Кузнецова"), ("Попов", "Попова"),
           ("Соколов", "Соколова"), ("Лебедев", "Лебедева"), ("Козлов", "Козлова"), ("Новиков", "Новикова"),
           ("Морозов", "Морозова"), ("Петров", "Петрова"), ("Волков", "Волкова"), ("Соловьёв", "Соловьёва"),
           ("Васильев", "Васильева"), ("Зайцев", "Зайцева"), ("Павлов", "Павлова")),
    "en": tuple((s, s) for s in ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
                                 "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
                                 "Hall", "Wood", "Clarke", "Hughes")),
}
_TRANSLIT = str.maketrans({
    "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s", "ź": "z", "ż": "z",
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
})
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

# ---------------------------------------------------------------- contacts
_CONTACT_CHANNEL_SHARES = np.array([0.40, 0.25, 0.20, 0.10, 0.05])  # = CHANNELS[:5]
REASONS = ("billing", "technical_issue", "delivery", "account", "complaint", "cancellation", "other")
_REASON_SHARES = np.array([0.25, 0.22, 0.15, 0.14, 0.08, 0.06, 0.10])
_REASON_TALK = np.array([1.0, 1.4, 0.9, 1.0, 1.3, 1.3, 0.8])  # handling-time factor
_REASON_REPEAT = np.array([1.0, 1.6, 1.2, 0.8, 1.5, 1.0, 0.6])  # propensity to cause a repeat contact
QUEUES = ("pl_support", "ru_support", "en_support", "billing", "retention")
_QUEUE_ZONE = np.array([0, 1, 2, 0, 0])
_CONTACTS_PER_AGENT_MONTH = 700
_REPEAT_SHARE = 0.18  # drawn; a few fall outside the period and stay first contacts
_REPEAT_LAG_DAYS = np.arange(11)
_REPEAT_LAG_P = np.array([0.15, 0.30, 0.20, 0.12, 0.08, 0.06, 0.04, 0.02, 0.01, 0.01, 0.01])
_DOW_WEIGHT = np.array([1.15, 1.05, 1.0, 1.0, 0.95, 0.45, 0.35])  # Monday first
_HOUR_PROFILES = np.array([
    [.1, .05, .05, .05, .05, .1, .3, .8, 1.6, 2.0, 2.1, 2.0, 1.8, 1.9, 2.0, 1.9, 1.7, 1.4, 1.1, .9, .7, .5, .3, .2],
    [.1, .05, .05, .05, .05, .1, .2, .4, .7, 1.0, 1.2, 1.2, 1.1, 1.1, 1.0, 1.0, .9, .8, .8, .7, .6, .4, .3, .2],
    [1.0] * 24,  # e-mail and social posts written at any hour
])
_RESPONSE_HOURS = np.array([.2, .1, .05, .05, .05, .1, .3, .8, 1.2, 1.1, 1.0, 1.0, 1.3, 1.2, 1.0, 1.0, 1.0,
                            1.2, 1.5, 1.8, 1.9, 1.6, 1.0, .5])
# per contact channel: phone, chat, email, messenger, social
_IVR_ONLY = np.array([0.04, 0.04, 0.0, 0.05, 0.0])
_ABANDON = np.array([0.10, 0.07, 0.0, 0.03, 0.0])
_QUEUE_DELAY = np.array([[5, 60], [2, 20], [1, 120], [2, 30], [30, 600]])  # seconds, uniform
_WAIT_MEDIAN = np.array([6.0, 40.0, 4 * 3600.0, 300.0, 5400.0])
_WAIT_SIGMA = np.array([1.2, 1.0, 1.0, 1.2, 1.1])
_ABANDON_WAIT = np.array([45.0, 90.0, 0.0, 300.0, 0.0])
_TALK_MEDIAN = np.array([300.0, 540.0, 240.0, 420.0, 180.0])
_TALK_SIGMA = np.array([0.6, 0.6, 0.7, 0.6, 0.6])
_ACW_MEDIAN = np.array([45.0, 30.0, 60.0, 30.0, 30.0])
_HOLD_SHARE = np.array([0.35, 0.0, 0.0, 0.0, 0.0])
_SYNCHRONOUS = np.array([True, True, False, False, False])
_ASYNC_SPAN = np.array([0.0, 0.0, 0.0, 1200.0, 1800.0])  # reply to end of conversation, median s
_RESOLVED_AT_FIRST = np.array([0.85, 0.85, 0.60, 0.75, 0.70])
_AUTO_CLOSE = 4 * 86_400.0  # asynchronous tickets close four days after solved
_REOPEN_SHARE, _NEVER_RESOLVED_SHARE = 0.08, 0.025
DAY = 86_400
# Priority (CONTACT_PRIORITIES order: low, normal, high, urgent); complaints are more often urgent.
_PRIORITY_SHARES = np.array([0.155, 0.56, 0.215, 0.07])
_COMPLAINT_PRIORITY_SHARES = np.array([0.08, 0.45, 0.27, 0.20])
_PRIORITY_EMPTY = 0.03  # exported without a priority (empty = normal)
_PRIORITY_SINCE_MONTH = 1  # the first month's contacts file was exported before the column existed

# ---------------------------------------------------------------- contact history (status changes, messages)
# Ticket-like channels export a status history and the conversation; most of their contacts
# have one, the others fall back to their own timestamps in the warehouse.
_TICKET_CHANNELS = np.array([CHANNELS.index(c) for c in ("chat", "email", "messenger", "social")])
_HISTORY_SHARE = 0.90
# Per contact channel (phone, chat, email, messenger, social), among contacts with at least
# _PERIOD_ROOM seconds between first reply and first resolution. Only about 40% of e-mails
# have that room (the others are solved with the first reply), so 0.75 makes about 30% of them.
_PENDING_P = np.array([0.0, 0.10, 0.75, 0.10, 0.10])  # waiting for the customer, back to open
_ON_HOLD_P = np.array([0.0, 0.05, 0.125, 0.05, 0.05])  # waiting for a third party, back to open
_PERIOD_ROOM = 120.0
_PENDING_LEAD_MEDIAN = 300.0  # seconds from the first reply to setting pending (at most 1/4 of the room)
_BOT_P = np.array([0.0, 0.40, 0.0, 0.40, 0.0])  # a bot message before the first human reply
_BOT_DELAY_MEDIAN = 8.0
_FURTHER_REPLIES_P = np.array([0.35, 0.35, 0.20, 0.10])  # 0-3 public agent replies after the first
_HANDOFF_P = 0.10  # a further reply written by another agent of the same queue
_NOTE_P = 0.15  # an internal note by the contact's agent after the first reply
_OPEN_WINDOW = 2 * 86_400.0  # unresolved contacts: further replies within two days of the first
# Status-change slots in time order: (status, written by the agent?); `closed` is the agent's
# on synchronous channels and the system's (auto-close) otherwise.
_STATUS_SLOTS = (("new", False), ("open", True), ("pending", True), ("open", False), ("on_hold", True),
                 ("open", True), ("solved", True), ("reopened", False), ("solved", True), ("reopened", False),
                 ("solved", True), ("pending", True), ("closed", None))
_STATUS_CODE = np.array([STATUS_CHANGE_STATUSES.index(s) for s, _ in _STATUS_SLOTS])
_OPTIONAL_SLOTS = np.array([2, 3, 4, 5])
# Message slots: customer at creation, bot, first agent reply, three (customer, agent) pairs,
# customer answering pending, customer reopening twice, internal note.
_MESSAGE_ROLE = np.array([MESSAGE_AUTHOR_ROLES.index(r) for r in
                          ("customer", "bot", "agent", "customer", "agent", "customer", "agent", "customer",
                           "agent", "customer", "customer", "customer", "agent")])
_NOTE_SLOT = 12
_ID_WIDTH = 9  # SC000000001, MS000000001
# Where a contact's own record and its events disagree (the events win in the warehouse): a reopen
# after the record was written, and, on bot channels, a bot's answer the record took for the first reply.
_MISSED_REOPEN_P = 0.08
_BOT_AS_FIRST_REPLY_P = 0.30

# ---------------------------------------------------------------- survey responses
_KIND_SHARES = {"transactional": 0.55, "relationship": 0.35}  # delayed: the rest
_SURVEY_RESPONSE_PROPENSITY = np.array([0.8, 1.0, 1.2, 0.9, 0.5])  # by contact channel
_CHANNEL_SHIFT = np.array([0.12, 0.08, -0.30, 0.0, -0.35, 0.05, 0.10, 0.0])  # by CHANNELS
_KIND_SHIFT = np.array([-0.15, 0.0, -0.10])  # by SURVEY_KINDS
_SEGMENT_SHIFT = np.array([0.0, 0.0, -0.10])
_REASON_SHIFT = np.array([-0.10, -0.10, -0.05, 0.0, -0.35, -0.40, 0.05])
_CHURNER_SHIFT = -0.35
_AGENT_SD = 0.25
_EMOTION_P = np.array([  # rows: detractor, passive, promoter; columns: EMOTIONS
    [0.02, 0.03, 0.14, 0.06, 0.20, 0.20, 0.33, 0.02],
    [0.12, 0.25, 0.06, 0.14, 0.10, 0.04, 0.06, 0.23],
    [0.42, 0.33, 0.01, 0.10, 0.01, 0.00, 0.01, 0.12],
])
_EMOTION_ANSWER_RATE = 0.70
_COMMENT_RATE = np.array([0.42, 0.25, 0.27])  # by detractor, passive, promoter

# Comment templates per language and NPS group; {email} and {phone} plant personal data
# for the masking tests.
_COMMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "pl": (
        ("Czekałem ponad pół godziny na połączenie, to skandal.",
         "Nikt nie odpowiedział na mojego maila od tygodnia. Mój adres: {email}",
         "Źle naliczona opłata i nikt nie potrafi tego wyjaśnić. Rozważam rezygnację.",
         "Trzeci raz zgłaszam ten sam problem i wciąż nic. Proszę dzwonić: {phone}",
         "Niemiła obsługa, czuję się zlekceważony. Żądam zwrotu pieniędzy.",
         "Ukryte opłaty w umowie — nie tak się traktuje klientów.",
         "Coś poszło źle z dostawą, a infolinia odsyła mnie od działu do działu."),
        ("Sprawa załatwiona, choć czekałem dłużej, niż się spodziewałem.",
         "Obsługa w porządku, ale aplikacja mogłaby być prostsza.",
         "Nic szczególnego, wszystko działa tak, jak powinno.",
         "Proszę o kontakt telefoniczny pod numerem {phone} w sprawie umowy.",
         "Konsultant pomógł, ale musiałem dwa razy podawać te same dane.",
         "Informacje na stronie są niejasne, ale w końcu się udało."),
        ("Świetna obsługa, konsultant szybko rozwiązał mój problem. Dziękuję!",
         "Pani na czacie była bardzo miła i cierpliwa, wszystko wyjaśniła krok po kroku.",
         "Szybko, sprawnie i bez zbędnych formalności. Polecę znajomym.",
         "Jestem zadowolony, fakturę poprawiono od ręki.",
         "Dziękuję za pomoc, proszę przesłać potwierdzenie na adres {email}.",
         "Bardzo profesjonalne podejście, czuję się doceniony jako klient."),
    ),
    "ru": (
        ("Ждал ответа оператора больше получаса, это безобразие.",
         "На моё письмо не отвечают уже неделю. Мой адрес: {email}",
         "Неправильно начислили плату, и никто не может объяснить почему. Думаю уйти.",
         "Третий раз обращаюсь с одной и той же проблемой. Звоните: {phone}",
         "Грубый оператор, чувствую себя униженным. Требую вернуть деньги.",
         "Скрытые платежи в договоре — так с клиентами не поступают.",
         "Доставку сорвали, а на горячей линии меня переключали пять раз."),
        ("Вопрос решён, но ждать пришлось дольше, чем хотелось бы.",
         "Обслуживание нормальное, но приложение могло бы быть проще.",
         "Ничего особенного, всё работает как должно.",
         "Перезвоните мне, пожалуйста, по номеру {phone}.",
         "Помогли, но пришлось дважды называть одни и те же данные.",
         "Информация на сайте непонятная, но в итоге разобрался."),
        ("Отличный сервис, оператор быстро решил мою проблему. Спасибо!",
         "Консультант в чате был очень вежлив и всё подробно объяснил.",
         "Быстро и без лишней бюрократии. Буду рекомендовать друзьям.",
         "Очень доволен, счёт исправили сразу же.",
         "Спасибо за помощь! Подтверждение пришлите, пожалуйста, на {email}.",
         "Чувствую, что меня ценят как клиента."),
    ),
    "en": (
        ("I waited over half an hour to get through. Unacceptable.",
         "Nobody has answered my e-mail for a week. My address is {email}",
         "I was charged the wrong amount and nobody can explain why. Thinking of leaving.",
         "Third time I report the same problem and it is still not fixed. Call me on {phone}",
         "Rude agent, I felt dismissed. I want a refund.",
         "Hidden fees in the contract - that is no way to treat customers.",
         "The delivery failed and the helpline passed me from team to team."),
        ("Sorted in the end, but it took longer than I expected.",
         "Service was fine, but the app could be simpler.",
         "Nothing special, everything works as it should.",
         "Please call me back on {phone} about my contract.",
         "The agent helped, but I had to give the same details twice.",
         "The website was confusing, but I got there eventually."),
        ("Great service, the agent fixed my problem in minutes. Thank you!",
         "The chat agent was friendly and patient and explained everything step by step.",
         "Quick, easy and no paperwork. I will recommend you to my friends.",
         "Very happy, the invoice was corrected straight away.",
         "Thanks for the help, please send the confirmation to {email}.",
         "I really feel valued as a customer."),
    ),
}
_TEMPLATES = tuple(t for lang in LANGUAGES for group in _COMMENTS[lang] for t in group)
_TEMPLATE_COUNT = np.array([len(g) for lang in LANGUAGES for g in _COMMENTS[lang]])  # per language*3 + group
_TEMPLATE_START = np.concatenate([[0], np.cumsum(_TEMPLATE_COUNT)[:-1]])

# Each part draws from its own stream; a new part goes last, so the others' files stay byte-identical.
_ENTITY_PARTS = ("customers", "contacts", "churn", "survey_responses", "survey_answers", "bad_rows",
                 "survey_opt_outs", "priority", "contact_history", "history_bad_rows", "record_misses")
_ANSWER_SCHEMA = pa.schema([("response_id", pa.string()), ("question_id", pa.string()),
                            ("answer_value", pa.float64()), ("answer_text", pa.string())])
_MESSAGE_SCHEMA = pa.schema([("message_id", pa.string()), ("contact_id", pa.string()),
                             ("author_role", pa.string()), ("author_id", pa.string()), ("is_public", pa.bool_()),
                             ("sent_at", pa.string())])
_PARQUET_SCHEMAS = {"survey_answers": _ANSWER_SCHEMA, "contact_messages": _MESSAGE_SCHEMA}


# ================================================================ small helpers
@dataclass(frozen=True)
class _Period:
    """The generated period: local calendar days, their weekday and month index."""

    start: date
    months: int

    @property
    def end(self) -> date:
        """Last day, inclusive."""
        year, month = divmod(self.start.month - 1 + self.months, 12)
        return date(self.start.year + year, month + 1, 1) - timedelta(days=1)

    @property
    def n_days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    @property
    def start_s(self) -> float:
        """The first day's midnight as naive epoch seconds (local wall clock, read as if UTC)."""
        return float((np.datetime64(self.start, "s") - np.datetime64(0, "s")).astype(np.int64))

    @property
    def export_s(self) -> float:
        """Export time in UTC epoch seconds: midnight UTC after the last day; later events did not happen."""
        return self.start_s + self.n_days * DAY

    @property
    def cutoff_s(self) -> float:
        """Last moment that is inside the period in every zone (Moscow, UTC+3, ends first)."""
        return self.export_s - 4 * 3600

    @property
    def days(self) -> np.ndarray:
        """The days as datetime64[D]."""
        return np.arange(np.datetime64(self.start, "D"), np.datetime64(self.end, "D") + 1)

    @property
    def dow(self) -> np.ndarray:
        """Weekday of each day, Monday = 0."""
        return (self.days.astype(np.int64) + 3) % 7

    @property
    def month_of_day(self) -> np.ndarray:
        """Month index (0 = first month) of each day."""
        return (self.days.astype("datetime64[M]") - np.datetime64(self.start, "M")).astype(np.int64)

    @property
    def month_labels(self) -> list[str]:
        """YYYY-MM of each month."""
        first = np.datetime64(self.start, "M")
        return [str(first + i) for i in range(self.months)]


def _rng(seed: int, part: str) -> np.random.Generator:
    """An independent random stream per part, so changing one part leaves the others unchanged."""
    return np.random.default_rng([seed, _ENTITY_PARTS.index(part)])


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float,
               n: int) -> np.ndarray:
    """Lognormal draws given the median and the log-scale sigma."""
    return median * np.exp(sigma * rng.standard_normal(n))


def _draw(rng: np.random.Generator, cumulative: np.ndarray) -> np.ndarray:
    """One category per row from row-wise cumulative probabilities (n x k)."""
    return (rng.random(len(cumulative))[:, None] > cumulative[:, :-1]).sum(axis=1)


def _weighted_sample(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k indices drawn without replacement with probability proportional to weights (Efraimidis-Spirakis).

    Returned in ascending order: the order argpartition leaves them in depends on the CPU's
    SIMD sort, and the caller's later draws follow this order.
    """
    keys = np.log(rng.random(len(weights))) / weights
    return np.sort(np.argpartition(-keys, k - 1)[:k]) if k < len(weights) else np.arange(len(weights))


def _pick(values: tuple[str, ...] | list[str], index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Strings by index (null where missing)."""
    return pc.take(pa.array(values, pa.string()), pa.array(index, pa.int64(), mask=missing))


def _ids(prefix: str, numbers: np.ndarray, width: int, missing: np.ndarray | None = None) -> pa.Array:
    """Zero-padded ids such as C0000042 (null where missing)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64(), mask=missing), pa.string()), width=width,
                          padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _ints(values: np.ndarray) -> pa.Array:
    """Float seconds or counts to nullable integers (NaN = null)."""
    missing = np.isnan(values)
    return pa.array(np.where(missing, 0, values).astype(np.int64), pa.int64(), mask=missing)


def _local_to_utc(local_s: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """Local wall-clock seconds in each row's zone to UTC epoch seconds.

    Wall-clock times skipped by the spring DST change move forward; repeated autumn times
    read as standard time.
    """
    out = np.empty(len(local_s))
    for z, tz in enumerate(ZONES):
        rows = zone == z
        local = pd.DatetimeIndex(local_s[rows].astype(np.int64).astype("datetime64[s]"))
        aware = local.tz_localize(tz, ambiguous=np.zeros(rows.sum(), bool), nonexistent="shift_forward")
        out[rows] = aware.tz_convert("UTC").tz_localize(None).values.astype("datetime64[s]").astype(np.int64)
    return out


def _utc_to_local(utc_s: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """UTC epoch seconds to local wall-clock seconds in each row's zone."""
    out = np.empty(len(utc_s))
    for z, tz in enumerate(ZONES):
        rows = zone == z
        utc = pd.DatetimeIndex(utc_s[rows].astype(np.int64).astype("datetime64[s]")).tz_localize("UTC")
        out[rows] = utc.tz_convert(tz).tz_localize(None).values.astype("datetime64[s]").astype(np.int64)
    return out


def _timestamps(utc_s: np.ndarray, zone: np.ndarray) -> pa.Array:
    """ISO 8601 strings with the row's zone offset, e.g. 2026-03-29T03:30:00+02:00 (NaN = null).

    The local wall clock printed by Arrow's cast, then the offset (local minus UTC): the same
    text as strftime("%Y-%m-%dT%H:%M:%S%Ez") in the zone, several times faster.
    """
    missing = np.isnan(utc_s)
    seconds = np.where(missing, 0, utc_s).astype(np.int64)
    local = _utc_to_local(seconds.astype(np.float64), zone).astype(np.int64)
    offsets, index = np.unique((local - seconds) // 60, return_inverse=True)
    labels = [f"{'-' if m < 0 else '+'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in offsets.tolist()]
    wall = pc.utf8_replace_slice(pc.cast(pa.array(local, pa.timestamp("s")), pa.string()), 10, 11, "T")
    stamps = pc.binary_join_element_wise(wall, _pick(labels, index.ravel()), "")
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), stamps)


def _dates(day_index: np.ndarray, period: _Period, missing: np.ndarray | None = None) -> pa.Array:
    """Day numbers relative to the period start as YYYY-MM-DD strings (null where missing)."""
    days = (np.datetime64(period.start, "D") + day_index.astype(np.int64)).astype("datetime64[D]")
    return pa.array(days, pa.date32(), mask=missing).cast(pa.string())


def _table(entity: Entity, columns: dict[str, pa.Array]) -> pa.Table:
    """A table with the entity's columns in contract order; a column a file may lack (may_be_absent) may be left out."""
    required = {c.name for c in entity.columns if not c.may_be_absent}
    if not required <= set(columns) <= set(entity.column_names):
        raise ValueError(f"{entity.name}: columns {sorted(columns)} do not match the contract")
    return pa.table({name: columns[name] for name in entity.column_names if name in columns})


# Survey consent: the share of customers who opt out during the period, and of those, who opt back in.
OPT_OUT_SHARE = 0.04
OPT_BACK_IN_SHARE = 0.15


def _opt_outs_table(rng: np.random.Generator, cust: Columns, period: _Period) -> pa.Table:
    """Consent changes in the period: some customers opt out, a few of them later opt back in (latest row)."""
    n = len(cust["segment"])
    chosen = np.sort(rng.choice(n, size=max(1, round(n * OPT_OUT_SHARE)), replace=False))
    changed = period.start_s + np.floor(rng.random(len(chosen)) * (period.cutoff_s - period.start_s))
    back_in = rng.random(len(chosen)) < OPT_BACK_IN_SHARE
    return _table(SURVEY_OPT_OUTS, {
        "customer_id": _ids("C", chosen + 1, 7),
        "is_opted_out": pa.array(~back_in),
        "changed_at": _timestamps(changed, cust["zone"][chosen]),
    })


def _write_csv(table: pa.Table, path: Path) -> int:
    """Write a header line and the rows, unquoted unless some text has a comma, quote or line break.

    pyarrow quotes either every string or none: the big files have no such text and stay
    unquoted and compact; the catalogs' prose gets quotes.
    """
    needs_quotes = any(pc.any(pc.match_substring_regex(column, r'[,"\r\n]')).as_py()
                       for column in table.columns if pa.types.is_string(column.type))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False,
                                                      quoting_style="needed" if needs_quotes else "none"))
    return table.num_rows


def _write_parquet(table: pa.Table, path: Path, schema: pa.Schema = _ANSWER_SCHEMA) -> int:
    """Write a Parquet file (pyarrow writes no timestamps into the metadata)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.cast(schema), path, compression="zstd")
    return table.num_rows


def _insert_rows(table: pa.Table, inserts: list[tuple[int, dict]]) -> pa.Table:
    """Insert single rows (position, row as a dict) into a table; positions refer to the original."""
    pieces, last = [], 0
    for position, row in sorted(inserts, key=lambda item: item[0]):
        pieces += [table.slice(last, position - last), pa.Table.from_pylist([row], schema=table.schema)]
        last = position
    return pa.concat_tables(pieces + [table.slice(last)])


# ================================================================ customers
def _customers(rng: np.random.Generator, n: int) -> Columns:
    """Segment, region, language, names and e-mail parts, signup and revenue (churn comes later)."""
    region_shares = np.array([r[2] for r in _REGIONS])
    region = rng.choice(len(_REGIONS), n, p=region_shares / region_shares.sum())
    country = np.array([r[1] for r in _REGIONS])[region]
    segment = rng.choice(len(SEGMENTS), n, p=_SEGMENT_SHARES)
    revenue = np.round(_lognormal(rng, _REVENUE[segment, 0], _REVENUE[segment, 1], n), 2)
    return {
        "segment": segment,
        "region": region,
        "zone": country,
        "language": _draw(rng, np.cumsum(_LANGUAGE_BY_COUNTRY, axis=1)[country]),
        "female": rng.random(n) < 0.5,
        "first": rng.integers(0, 1 << 30, n),
        "last": rng.integers(0, 1 << 30, n),
        "email_style": rng.integers(0, 4, n),
        "email_number": rng.integers(1, 100, n),
        "domain": rng.integers(0, len(_EMAIL_DOMAINS), n),
        "signup_day": -1 - np.floor(3 * 365 * rng.random(n) ** 1.5).astype(np.int64),
        "annual_revenue": np.minimum(revenue, 50_000_000.0),
    }


def _names(cust: Columns) -> tuple[pa.Array, pa.Array]:
    """Full names in the customer's language and script, and e-mail addresses transliterated to ASCII."""
    n = len(cust["segment"])
    order = np.argsort(cust["language"], kind="stable")
    pieces_full, pieces_email = [], []
    for lang_index, lang in enumerate(LANGUAGES):
        rows = order[cust["language"][order] == lang_index]
        female = cust["female"][rows]
        male_first, female_first = _FIRST_NAMES[lang]
        first_pool = list(male_first) + list(female_first)
        first = np.where(female, len(male_first) + cust["first"][rows] % len(female_first),
                         cust["first"][rows] % len(male_first))
        surnames = [s[0] for s in _SURNAMES[lang]] + [s[1] for s in _SURNAMES[lang]]
        last = cust["last"][rows] % len(_SURNAMES[lang]) + np.where(female, len(_SURNAMES[lang]), 0)
        first_s, last_s = _pick(first_pool, first), _pick(surnames, last)
        pieces_full.append(pc.binary_join_element_wise(first_s, last_s, " "))
        first_a = _pick([f.lower().translate(_TRANSLIT) for f in first_pool], first)
        last_a = _pick([s.lower().translate(_TRANSLIT) for s in surnames], last)
        style = cust["email_style"][rows]
        local_first = pc.if_else(pa.array(style == 0), pc.utf8_slice_codeunits(first_a, 0, 1), first_a)
        number = pc.if_else(pa.array(style >= 2), pc.cast(pa.array(cust["email_number"][rows]), pa.string()), "")
        domain = _pick(_EMAIL_DOMAINS, cust["domain"][rows])
        pieces_email.append(pc.binary_join_element_wise(local_first, ".", last_a, number, "@", domain, ""))
    inverse = np.empty(n, np.int64)
    inverse[order] = np.arange(n)
    return (pa.concat_arrays(pieces_full).take(pa.array(inverse)),
            pa.concat_arrays(pieces_email).take(pa.array(inverse)))


def _churn(rng: np.random.Generator, cust: Columns, period: _Period) -> None:
    """Mark ~12% of customers churned: most during the period, some before it (signup to start)."""
    n = len(cust["segment"])
    churned = rng.random(n) < _CHURN_SHARE
    before = rng.random(n) < _CHURN_BEFORE_PERIOD
    earlier = cust["signup_day"] + np.floor(rng.random(n) * -cust["signup_day"])
    during = rng.integers(0, period.n_days, n)
    cust["churned"] = churned
    cust["churn_day"] = np.where(churned, np.where(before, earlier, during), np.inf)


def _stop_at_churn(rng: np.random.Generator, con: Columns, cust: Columns) -> None:
    """Give contacts made on or after their customer's churn day to active customers instead.

    A contact moved this way goes to its new customer's queue and is no longer a repeat.
    Half of the churners' last contacts become cancellation requests (most go to retention).
    """
    late = con["day"] >= cust["churn_day"][con["customer"]]
    active = np.flatnonzero(~cust["churned"])
    con["customer"][late] = active[rng.integers(0, len(active), late.sum())]
    con["queue"][late] = _queues(rng, cust["language"][con["customer"][late]], con["reason"][late])
    con["parent"][late] = -1
    key = con["day"] * DAY + con["tod"]
    last = np.full(len(cust["segment"]), -1.0)
    np.maximum.at(last, con["customer"], key)
    final = cust["churned"][con["customer"]] & (key == last[con["customer"]]) & (rng.random(len(key)) < 0.5)
    con["reason"][final] = REASONS.index("cancellation")
    con["queue"][final] = _queues(rng, cust["language"][con["customer"][final]], con["reason"][final])


def _customers_table(cust: Columns, full_names: pa.Array, emails: pa.Array, period: _Period) -> pa.Table:
    """The customers file."""
    n = len(cust["segment"])
    return _table(CUSTOMERS, {
        "customer_id": _ids("C", np.arange(1, n + 1), 7),
        "full_name": full_names,
        "email": emails,
        "segment": _pick(SEGMENTS, cust["segment"]),
        "region": _pick([r[0] for r in _REGIONS], cust["region"]),
        "language": _pick(LANGUAGES, cust["language"]),
        "signup_date": _dates(cust["signup_day"], period),
        "annual_revenue": pa.array(cust["annual_revenue"], pa.float64()),
        "status": _pick(("active", "churned"), cust["churned"].astype(np.int64)),
        "churn_date": _dates(np.where(cust["churned"], cust["churn_day"], 0), period, ~cust["churned"]),
    })


# ================================================================ catalogs
def _touchpoints_table() -> pa.Table:
    """The journey map."""
    return _table(JOURNEY_TOUCHPOINTS, {
        "touchpoint_id": pa.array([t[0] for t in TOUCHPOINTS]),
        "touchpoint_name": pa.array([t[1] for t in TOUCHPOINTS]),
        "journey_stage": pa.array([t[2] for t in TOUCHPOINTS]),
        "stage_order": pa.array([JOURNEY_STAGES.index(t[2]) + 1 for t in TOUCHPOINTS], pa.int64()),
        "channel": pa.array([t[3] for t in TOUCHPOINTS], pa.string()),
        "description": pa.array([t[4] for t in TOUCHPOINTS]),
    })


def _questions_table() -> pa.Table:
    """The question catalog."""
    return _table(QUESTIONS, {
        "question_id": pa.array([q.question_id for q in QUESTION_CATALOG]),
        "question_text": pa.array([q.text for q in QUESTION_CATALOG]),
        "measure": pa.array([q.measure for q in QUESTION_CATALOG]),
        "construct": pa.array([q.construct for q in QUESTION_CATALOG], pa.string()),
        "scale_min": pa.array([q.scale[0] if q.scale else None for q in QUESTION_CATALOG], pa.int64()),
        "scale_max": pa.array([q.scale[1] if q.scale else None for q in QUESTION_CATALOG], pa.int64()),
        "is_reverse_coded": pa.array([q.reverse for q in QUESTION_CATALOG]),
    })


# ================================================================ contacts
def _arrivals(rng: np.random.Generator, n: int, channel: np.ndarray, period: _Period) -> tuple[np.ndarray, np.ndarray]:
    """Local day index and second of day: weekday and business-hour peaks, e-mail partly at any hour."""
    dow = period.dow
    weights = _DOW_WEIGHT[dow] * np.where((period.days - period.days.astype("datetime64[M]")).astype(int) < 5,
                                          1.15, 1.0)
    day = rng.choice(period.n_days, n, p=weights / weights.sum())
    profile = (dow[day] >= 5).astype(np.int64)
    any_hour = np.isin(channel, [CHANNELS.index("email"), CHANNELS.index("social")])
    profile[any_hour & (rng.random(n) < 0.5)] = 2
    hour = np.empty(n, np.int64)
    for p, weights_h in enumerate(_HOUR_PROFILES):
        rows = profile == p
        hour[rows] = np.searchsorted(np.cumsum(weights_h) / weights_h.sum(), rng.random(rows.sum()), side="right")
    return day, hour * 3600 + np.floor(rng.random(n) * 3600)


def _queues(rng: np.random.Generator, language: np.ndarray, reason: np.ndarray) -> np.ndarray:
    """Language queue, except most billing contacts go to billing and cancellations to retention."""
    queue = language.copy()  # pl_support, ru_support, en_support follow LANGUAGES
    queue[(reason == REASONS.index("billing")) & (rng.random(len(reason)) < 0.7)] = QUEUES.index("billing")
    queue[(reason == REASONS.index("cancellation")) & (rng.random(len(reason)) < 0.6)] = QUEUES.index("retention")
    return queue


def _plant_repeats(rng: np.random.Generator, con: Columns, n_days: int) -> None:
    """Turn ~15% of contacts into repeats: same customer and reason 0-10 days after a first contact.

    A repeat keeps its own time of day; a same-day repeat earlier than its parent moves to
    the next day. Sets `parent` (the first contact's row, -1 for a first contact).
    """
    n = len(con["day"])
    repeat = rng.random(n) < _REPEAT_SHARE
    first = np.flatnonzero(~repeat)
    rows = np.flatnonzero(repeat)
    weights = _REASON_REPEAT[con["reason"][first]]
    parent = first[rng.choice(len(first), len(rows), p=weights / weights.sum())]
    lag = rng.choice(_REPEAT_LAG_DAYS, len(rows), p=_REPEAT_LAG_P)
    lag += (lag == 0) & (con["tod"][rows] <= con["tod"][parent] + 1800)
    day = con["day"][parent] + lag
    keep = day < n_days
    rows, parent, day = rows[keep], parent[keep], day[keep]
    con["day"][rows] = day
    for name in ("customer", "reason", "queue"):
        con[name][rows] = con[name][parent]
    same_channel = rng.random(len(rows)) < 0.6
    con["channel"][rows[same_channel]] = con["channel"][parent[same_channel]]
    con["parent"] = np.full(n, -1)
    con["parent"][rows] = parent


def _contacts(rng: np.random.Generator, n: int, cust: Columns, period: _Period) -> Columns:
    """Who, when, why and where: customer, channel, reason, queue and creation time, sorted by time."""
    activity = rng.gamma(0.7, 1.0, len(cust["segment"])) * _SEGMENT_ACTIVITY[cust["segment"]]
    con: Columns = {
        "customer": rng.choice(len(activity), n, p=activity / activity.sum()),
        "channel": rng.choice(len(_CONTACT_CHANNEL_SHARES), n, p=_CONTACT_CHANNEL_SHARES),
        "reason": rng.choice(len(REASONS), n, p=_REASON_SHARES),
    }
    con["day"], con["tod"] = _arrivals(rng, n, con["channel"], period)
    con["queue"] = _queues(rng, cust["language"][con["customer"]], con["reason"])
    _plant_repeats(rng, con, period.n_days)
    _stop_at_churn(rng, con, cust)
    parent = con.pop("parent")
    con["had_repeat"] = np.zeros(n, bool)  # not resolved first time: the customer came back
    con["had_repeat"][parent[parent >= 0]] = True
    con["zone"] = _QUEUE_ZONE[con["queue"]]
    con["created"] = _local_to_utc(period.start_s + con["day"] * DAY + con["tod"], con["zone"])
    order = np.argsort(con["created"], kind="stable")
    con = {name: values[order] for name, values in con.items()}
    _contact_flow(rng, con, period)
    return con


def _queue_agents(queue: np.ndarray, period: _Period) -> np.ndarray:
    """Agents per queue (at least five); queue q's agents are numbered after those of queues before it."""
    agents = np.bincount(queue, minlength=len(QUEUES)) / (period.months * _CONTACTS_PER_AGENT_MONTH)
    return np.maximum(5, np.round(agents)).astype(np.int64)


def _priorities(rng: np.random.Generator, reason: np.ndarray) -> np.ndarray:
    """Priority index per contact (CONTACT_PRIORITIES), -1 = exported empty."""
    shares = np.tile(_PRIORITY_SHARES, (len(REASONS), 1))
    shares[REASONS.index("complaint")] = _COMPLAINT_PRIORITY_SHARES
    cumulative = np.cumsum(shares, axis=1)[:, :-1]
    draw, empty = rng.random(len(reason)), rng.random(len(reason)) < _PRIORITY_EMPTY
    priority = np.empty(len(reason), np.int64)
    for r in range(len(REASONS)):
        rows = reason == r
        priority[rows] = np.searchsorted(cumulative[r], draw[rows], side="right")
    priority[empty] = -1
    return priority


def _contact_flow(rng: np.random.Generator, con: Columns, period: _Period) -> None:
    """IVR/bot, queue, answer, handling, resolution, reopening and closing of every contact.

    Events after the export time have not happened yet: they stay empty and the status
    says where the contact is (closed, solved, open or pending).
    """
    n, ch, created = len(con["day"]), con["channel"], con["created"]
    ivr_only = rng.random(n) < _IVR_ONLY[ch]
    ivr_abandoned = ivr_only & (rng.random(n) < 0.4)
    delay = _QUEUE_DELAY[ch, 0] + rng.random(n) * (_QUEUE_DELAY[ch, 1] - _QUEUE_DELAY[ch, 0])
    queue_entered = np.where(ivr_only, np.nan, created + np.floor(delay))
    abandoned_in_queue = ~ivr_only & (rng.random(n) < _ABANDON[ch])
    handled = ~ivr_only & ~abandoned_in_queue

    hour, weekday = con["tod"] // 3600, period.dow[con["day"]] < 5
    busy = np.where(weekday & (hour >= 9) & (hour < 17), 1.5, np.where((hour < 8) | (hour >= 20), 0.8, 1.0))
    wait = np.ceil(_lognormal(rng, _WAIT_MEDIAN[ch] * busy, _WAIT_SIGMA[ch], n))
    first_replied = np.where(handled, queue_entered + wait, np.nan)
    talk = np.round(_lognormal(rng, _TALK_MEDIAN[ch] * _REASON_TALK[con["reason"]], _TALK_SIGMA[ch], n))
    hold = np.where(rng.random(n) < _HOLD_SHARE[ch], np.round(_lognormal(rng, 50.0, 0.8, n)), 0.0)
    acw = np.round(_lognormal(rng, _ACW_MEDIAN[ch], 0.6, n))
    span = np.where(_SYNCHRONOUS[ch], talk + hold, np.round(_lognormal(rng, _ASYNC_SPAN[ch], 0.8, n)))
    escalation = np.where(rng.random(n) < _RESOLVED_AT_FIRST[ch], 0.0, np.round(_lognormal(rng, 20 * 3600.0, 1.0, n)))
    first_resolved = first_replied + span + escalation
    self_served = ivr_only & ~ivr_abandoned
    first_resolved[self_served] = created[self_served] + np.floor(30 + 270 * rng.random(self_served.sum()))
    first_resolved[handled & (rng.random(n) < _NEVER_RESOLVED_SHARE)] = np.nan

    reopen = np.where(~np.isnan(first_resolved) & handled & (rng.random(n) < _REOPEN_SHARE),
                      1 + (rng.random(n) < 0.2), 0)
    gaps = np.round(_lognormal(rng, 1.5 * DAY, 0.6, n) + (reopen == 2) * _lognormal(rng, 1.5 * DAY, 0.6, n))
    resolved = first_resolved + np.where(reopen > 0, gaps, 0.0)
    closed = resolved + np.where(_SYNCHRONOUS[ch] | ivr_only, np.where(ivr_only, 0.0, acw),
                                 _AUTO_CLOSE + np.floor(3600 * rng.random(n)))
    gave_up = np.where(ivr_abandoned, created + np.floor(10 + 110 * rng.random(n)),
                       queue_entered + np.ceil(_lognormal(rng, np.maximum(_ABANDON_WAIT[ch], 1.0), 0.8, n)))
    abandoned = ivr_abandoned | abandoned_in_queue
    closed[abandoned] = gave_up[abandoned]

    export = period.export_s
    first_replied[first_replied > export] = np.nan
    replied = ~np.isnan(first_replied)
    first_resolved[(first_resolved > export) | (handled & ~replied)] = np.nan
    reopen[np.isnan(first_resolved)] = 0
    resolved[np.isnan(first_resolved) | (resolved > export)] = np.nan
    closed[(np.isnan(resolved) & ~abandoned) | (closed > export)] = np.nan
    status = np.where(rng.random(n) < 0.65, CONTACT_STATUSES.index("open"), CONTACT_STATUSES.index("pending"))
    status[~np.isnan(resolved)] = CONTACT_STATUSES.index("solved")
    status[~np.isnan(closed)] = CONTACT_STATUSES.index("closed")

    agents = _queue_agents(con["queue"], period)
    agent = np.cumsum(agents)[con["queue"]] - agents[con["queue"]] + np.floor(rng.random(n) * agents[con["queue"]])
    con.update({
        "queue_entered": queue_entered, "first_replied": first_replied, "first_resolved": first_resolved,
        "resolved": resolved, "closed": closed, "abandoned": abandoned, "ivr_only": ivr_only,
        "talk": np.where(replied, talk, np.nan), "hold": np.where(replied, hold, np.nan),
        "acw": np.where(replied, acw, np.nan), "reopen": reopen.astype(np.float64), "status": status,
        "agent": np.where(replied, agent, -1).astype(np.int64),
    })


def _contacts_table(con: Columns, rows: np.ndarray) -> pa.Table:
    """The contacts file for the given rows (ids are the position in time order)."""
    zone = con["zone"][rows]
    return _table(CONTACTS, {
        "contact_id": _ids("CT", rows + 1, 8),
        "customer_id": _ids("C", con["customer"][rows] + 1, 7),
        "channel": _pick(CHANNELS, con["channel"][rows]),
        "queue": _pick(QUEUES, con["queue"][rows]),
        "agent_id": _ids("AG", con["agent"][rows] + 1, 4, con["agent"][rows] < 0),
        "contact_reason": _pick(REASONS, con["reason"][rows]),
        "created_at": _timestamps(con["created"][rows], zone),
        "queue_entered_at": _timestamps(con["queue_entered"][rows], zone),
        "first_replied_at": _timestamps(con["first_replied"][rows], zone),
        "first_resolved_at": _timestamps(con["first_resolved"][rows], zone),
        "resolved_at": _timestamps(con["resolved"][rows], zone),
        "closed_at": _timestamps(con["closed"][rows], zone),
        "talk_seconds": _ints(con["talk"][rows]),
        "hold_seconds": _ints(con["hold"][rows]),
        "after_contact_work_seconds": _ints(con["acw"][rows]),
        "is_abandoned": pa.array(con["abandoned"][rows]),
        "status": _pick(CONTACT_STATUSES, con["status"][rows]),
        "reopen_count": _ints(con["reopen"][rows]),
        "priority": _pick(CONTACT_PRIORITIES, np.maximum(con["priority"][rows], 0), con["priority"][rows] < 0),
    })


# ================================================================ contact history
def _increasing(times: np.ndarray) -> np.ndarray:
    """Per row: do the present (non-NaN) values rise strictly from left to right?"""
    running = np.fmax.accumulate(times, axis=1)
    previous = np.concatenate([np.full((len(times), 1), -np.inf), running[:, :-1]], axis=1)
    previous = np.where(np.isnan(previous), -np.inf, previous)
    return ~np.any(~np.isnan(times) & (times <= previous), axis=1)


def _status_times(rng: np.random.Generator, con: Columns, h: np.ndarray, export: float) -> np.ndarray:
    """Each contact's status changes (n x _STATUS_SLOTS, UTC seconds, NaN = none), consistent with its fields.

    new at created_at; open at first_replied_at (skipped when the first reply solved it);
    optionally pending and on_hold periods between first reply and first resolution; solved
    at first_resolved_at; per reopen a reopened and a solved again, the last at resolved_at
    (a contact reopened but not solved again by the export has its reopens before it);
    pending at the end for an unresolved contact whose status says pending; closed at closed_at.
    A row whose optional periods do not fit loses them; NaN rows are impossible (new is always set).
    """
    n = len(h)
    ch, created, replied_at = con["channel"][h], con["created"][h], con["first_replied"][h]
    first_resolved, resolved, closed = con["first_resolved"][h], con["resolved"][h], con["closed"][h]
    reopen = con["reopen"][h].astype(np.int64)
    u = rng.random((n, 6))
    lead = np.ceil(_lognormal(rng, _PENDING_LEAD_MEDIAN, 0.7, n))
    fractions = np.sort(rng.random((n, 3)), axis=1) * 0.9 + 0.05

    times = np.full((n, len(_STATUS_SLOTS)), np.nan)
    replied = ~np.isnan(replied_at)
    times[:, 0] = created
    with np.errstate(invalid="ignore"):
        times[:, 1] = np.where(replied & ~(first_resolved == replied_at), replied_at, np.nan)
        room = first_resolved - replied_at
        fits = replied & (room >= _PERIOD_ROOM)
    pending = fits & (u[:, 0] < _PENDING_P[ch])
    hold = fits & (u[:, 1] < _ON_HOLD_P[ch])
    start = replied_at + np.maximum(1.0, np.minimum(lead, np.floor(0.25 * np.where(fits, room, 0.0))))
    back = start + np.floor((first_resolved - start) * np.where(hold, 0.2 + 0.25 * u[:, 2], 0.3 + 0.5 * u[:, 2]))
    hold_start = np.where(pending, back + np.floor((first_resolved - back) * (0.1 + 0.3 * u[:, 3])), start)
    hold_end = hold_start + np.floor((first_resolved - hold_start) * (0.2 + 0.4 * u[:, 4]))
    times[:, 2], times[:, 3] = np.where(pending, start, np.nan), np.where(pending, back, np.nan)
    times[:, 4], times[:, 5] = np.where(hold, hold_start, np.nan), np.where(hold, hold_end, np.nan)

    times[:, 6] = first_resolved
    end = np.where(np.isnan(resolved), export - 1, resolved)  # the reopens happened before the export
    span = end - first_resolved
    times[:, 7] = np.where(reopen >= 1, first_resolved + np.ceil(span * np.where(reopen == 2, fractions[:, 0],
                                                                                  fractions[:, 1])), np.nan)
    times[:, 8] = np.where(reopen == 2, first_resolved + np.ceil(span * fractions[:, 1]),
                           np.where(reopen == 1, resolved, np.nan))
    times[:, 9] = np.where(reopen == 2, first_resolved + np.ceil(span * fractions[:, 2]), np.nan)
    times[:, 10] = np.where(reopen == 2, resolved, np.nan)
    times[:, 12] = closed

    last = np.nanmax(times[:, :11], axis=1)
    waiting = replied & np.isnan(resolved) & (con["status"][h] == CONTACT_STATUSES.index("pending"))
    final = last + np.ceil((export - 1 - last) * (0.05 + 0.55 * u[:, 5]))
    times[:, 11] = np.where(waiting & (final < export), final, np.nan)

    unfit = ~_increasing(times)
    times[np.ix_(unfit, _OPTIONAL_SLOTS)] = np.nan
    return times


def _message_times(rng: np.random.Generator, con: Columns, h: np.ndarray, status_times: np.ndarray,
                   queue_agents: np.ndarray, export: float) -> tuple[np.ndarray, np.ndarray]:
    """Each contact's messages (n x _MESSAGE_ROLE, UTC seconds, NaN = none) and their author (agent index, -1).

    The customer writes at created_at; on chat and messenger a bot may answer before the first
    human reply; the contact's agent replies exactly at first_replied_at, then up to three
    more times before the resolution (some by another agent of the queue: handoffs), each
    after a customer message; the customer writes when answering a pending contact and when
    reopening it; an internal note may follow the first reply. No agent writes before it.
    """
    n = len(h)
    ch, created, replied_at = con["channel"][h], con["created"][h], con["first_replied"][h]
    resolved, closed, agent, queue = con["resolved"][h], con["closed"][h], con["agent"][h], con["queue"][h]
    u = rng.random((n, 12))
    bot_delay = np.ceil(_lognormal(rng, _BOT_DELAY_MEDIAN, 0.6, n))
    replies = np.searchsorted(np.cumsum(_FURTHER_REPLIES_P)[:-1], u[:, 0], side="right")
    fractions = np.sort(rng.random((n, 3)), axis=1)
    replied = ~np.isnan(replied_at)

    times = np.full((n, len(_MESSAGE_ROLE)), np.nan)
    author = np.full((n, len(_MESSAGE_ROLE)), -1, np.int64)
    times[:, 0] = created
    bot_until = np.where(replied, replied_at, np.where(np.isnan(closed), export - 1, closed))
    bot = (u[:, 1] < _BOT_P[ch]) & (bot_until - created >= 2)
    times[:, 1] = np.where(bot, created + np.minimum(bot_delay, bot_until - created - 1), np.nan)
    times[:, 2], author[:, 2] = replied_at, agent

    until = np.where(np.isnan(resolved), np.minimum(export - 1, replied_at + _OPEN_WINDOW), resolved)
    window = np.where(replied, until - replied_at, 0.0)
    replies[window < 10] = 0
    first = np.cumsum(queue_agents) - queue_agents
    previous = replied_at
    for j in range(3):
        present = replies > j
        at = replied_at + np.ceil(window * fractions[:, j])
        customer_at = previous + np.floor((at - previous) * (0.2 + 0.6 * u[:, 2 + j]))
        customer_ok = present & (customer_at > previous) & (customer_at < at)
        times[:, 3 + 2 * j] = np.where(customer_ok, customer_at, np.nan)
        times[:, 4 + 2 * j] = np.where(present, at, np.nan)
        count = queue_agents[queue]
        other = first[queue] + (agent - first[queue] + 1 + np.floor(u[:, 5 + j] * (count - 1)).astype(np.int64)) % count
        author[:, 4 + 2 * j] = np.where(u[:, 8 + j] < _HANDOFF_P, other, agent)
        previous = np.where(present, at, previous)
    times[:, 9], times[:, 10], times[:, 11] = status_times[:, 3], status_times[:, 7], status_times[:, 9]
    note = replied_at + np.maximum(1.0, np.ceil(np.maximum(window, 60.0) * u[:, 11]))
    times[:, _NOTE_SLOT] = np.where(replied & (rng.random(n) < _NOTE_P) & (note < export), note, np.nan)
    author[:, _NOTE_SLOT] = agent
    return times, author


def _record_misses(rng: np.random.Generator, con: Columns, h: np.ndarray, status_times: np.ndarray,
                   message_times: np.ndarray, export: float) -> np.ndarray:
    """Make some histories disagree with their contact's record, as helpdesk exports do.

    A solved contact without a reopen on record is reopened and solved again before it closes
    (status slots 7 and 8, and the customer's message at the reopen, set in place): the record
    keeps the first resolution. On bot channels, the record's first reply (message slot 2) is a
    bot's answer when a human answered later. Returns, per contact, whether slot 2 is the bot's.
    """
    n = len(h)
    first_resolved = status_times[:, 6]
    end = np.where(np.isnan(status_times[:, 12]), export - 1, status_times[:, 12])
    gap = end - first_resolved
    with np.errstate(invalid="ignore"):
        reopened = (con["reopen"][h] == 0) & (gap >= 10) & (rng.random(n) < _MISSED_REOPEN_P)
    status_times[:, 7] = np.where(reopened, first_resolved + np.ceil(0.3 * gap), status_times[:, 7])
    status_times[:, 8] = np.where(reopened, first_resolved + np.ceil(0.6 * gap), status_times[:, 8])
    message_times[:, 10] = status_times[:, 7]
    return (_BOT_P[con["channel"][h]] > 0) & ~np.isnan(message_times[:, 4]) & (rng.random(n) < _BOT_AS_FIRST_REPLY_P)


def _history_tables(rng: np.random.Generator, con: Columns, rows: np.ndarray, queue_agents: np.ndarray,
                    period: _Period, first_ids: tuple[int, int], miss_rng: np.random.Generator,
                    ) -> tuple[pa.Table, pa.Table]:
    """The status changes and messages of the given contacts with a history, ids numbered from first_ids.

    A contact whose required status changes would not rise strictly in time (a bot-solved
    chat is solved and closed in the same second) is exported without any history.
    """
    export = period.export_s
    status_times = _status_times(rng, con, rows, export)
    message_times, author = _message_times(rng, con, rows, status_times, queue_agents, export)
    bot_first = _record_misses(miss_rng, con, rows, status_times, message_times, export)
    keep = _increasing(status_times)
    rows, status_times, message_times, author = rows[keep], status_times[keep], message_times[keep], author[keep]
    bot_first = bot_first[keep]

    contact, slot = np.nonzero(~np.isnan(status_times))  # row-major: by contact, then in time order
    agent = con["agent"][rows][contact]
    by_agent = np.array([a is True for _, a in _STATUS_SLOTS])[slot]
    by_agent |= (slot == len(_STATUS_SLOTS) - 1) & _SYNCHRONOUS[con["channel"][rows][contact]]
    agent = np.where(by_agent, agent, -1)
    zone = con["zone"][rows][contact]
    status_changes = _table(CONTACT_STATUS_CHANGES, {
        "status_change_id": _ids("SC", first_ids[0] + np.arange(1, len(slot) + 1), _ID_WIDTH),
        "contact_id": _ids("CT", rows[contact] + 1, 8),
        "status": _pick(STATUS_CHANGE_STATUSES, _STATUS_CODE[slot]),
        "changed_at": _timestamps(status_times[contact, slot], zone),
        "agent_id": _ids("AG", agent + 1, 4, agent < 0),
    })

    contact, slot = np.nonzero(~np.isnan(message_times))
    sent = message_times[contact, slot]
    order = np.lexsort((slot, sent, contact))
    contact, slot, sent = contact[order], slot[order], sent[order]
    writer = author[contact, slot]
    role = np.where(bot_first[contact] & (slot == 2), MESSAGE_AUTHOR_ROLES.index("bot"), _MESSAGE_ROLE[slot])
    messages = _table(CONTACT_MESSAGES, {
        "message_id": _ids("MS", first_ids[1] + np.arange(1, len(slot) + 1), _ID_WIDTH),
        "contact_id": _ids("CT", rows[contact] + 1, 8),
        "author_role": _pick(MESSAGE_AUTHOR_ROLES, role),
        "author_id": _ids("AG", writer + 1, 4, (role != MESSAGE_AUTHOR_ROLES.index("agent")) | (writer < 0)),
        "is_public": pa.array(slot != _NOTE_SLOT),
        "sent_at": _timestamps(sent, con["zone"][rows][contact]),
    })
    return status_changes, messages


# ================================================================ survey responses
def _support_touchpoints(con: Columns, contacts: np.ndarray) -> np.ndarray:
    """The touchpoint a contact happened at: the support channel's, or the retention call."""
    touchpoint = _SUPPORT_TP_BY_CHANNEL[con["channel"][contacts]]
    retention_call = ((con["queue"][contacts] == QUEUES.index("retention"))
                      & (con["channel"][contacts] == CHANNELS.index("phone")))
    touchpoint[retention_call] = _TP_INDEX["TP17"]
    return touchpoint


def _responses(rng: np.random.Generator, n: int, cust: Columns, con: Columns, period: _Period) -> Columns:
    """Transactional (after a resolved contact), relationship and delayed responses, sorted by answer time."""
    n_tx = round(n * _KIND_SHARES["transactional"])
    n_rel = round(n * _KIND_SHARES["relationship"])
    cutoff = period.cutoff_s
    resolved_human = ~np.isnan(con["resolved"]) & ~con["ivr_only"]

    churn_day = cust["churn_day"][con["customer"]]
    candidates = np.flatnonzero(resolved_human & (con["resolved"] + 48 * 3600 <= cutoff)
                                & (churn_day > (con["resolved"] - period.start_s) / DAY + 3))
    tx = candidates[_weighted_sample(rng, _SURVEY_RESPONSE_PROPENSITY[con["channel"][candidates]], n_tx)]
    tx_sent = con["resolved"][tx] + np.floor(60 + 3540 * rng.random(len(tx)))
    tx_answered = tx_sent + np.minimum(np.round(_lognormal(rng, 2 * 3600.0, 1.2, len(tx))),
                                       con["resolved"][tx] + 48 * 3600 - tx_sent)

    delay = np.floor((60 + 30 * rng.random(len(con["day"]))) * DAY)
    delayed_at = con["created"] + delay
    candidates = np.flatnonzero(resolved_human & (delayed_at <= cutoff)
                                & (churn_day > con["day"] + delay / DAY + 1))
    moment = (1 + 2 * (con["reason"][candidates] == REASONS.index("complaint"))
              + (con["reason"][candidates] == REASONS.index("cancellation")) + (con["reopen"][candidates] > 0))
    dl = candidates[_weighted_sample(rng, moment.astype(np.float64), n - n_tx - n_rel)]
    dl_answered = delayed_at[dl]
    dl_sent = dl_answered - np.minimum(np.round(_lognormal(rng, 6 * 3600.0, 1.0, len(dl))), 3 * DAY)

    rel_customer = rng.integers(0, len(cust["segment"]), n_rel)
    rel_day = rng.integers(0, period.n_days, n_rel)
    gone = cust["churn_day"][rel_customer] <= rel_day
    active = np.flatnonzero(~cust["churned"])
    rel_customer[gone] = active[rng.integers(0, len(active), gone.sum())]
    rel_hour = rng.choice(24, n_rel, p=_RESPONSE_HOURS / _RESPONSE_HOURS.sum())
    rel_tod = rel_hour * 3600 + np.floor(rng.random(n_rel) * 3600)
    rel_answered = _local_to_utc(period.start_s + rel_day * DAY + rel_tod, cust["zone"][rel_customer])
    rel_sent = rel_answered - np.minimum(np.round(_lognormal(rng, 20 * 3600.0, 1.0, n_rel)), 10 * DAY)
    rel_tp = _RELATIONSHIP_TPS[rng.choice(len(_RELATIONSHIP_TPS), n_rel, p=_RELATIONSHIP_TP_SHARES)]
    rel_tp[rel_day - cust["signup_day"][rel_customer] < 60] = _TP_INDEX["TP07"]

    touchpoint = np.concatenate([_support_touchpoints(con, tx), rel_tp, _support_touchpoints(con, dl)])
    resp: Columns = {
        "kind": np.repeat([SURVEY_KINDS.index(k) for k in ("transactional", "relationship", "delayed")],
                          [len(tx), n_rel, len(dl)]),
        "contact": np.concatenate([tx, np.full(n_rel, -1), dl]),
        "customer": np.concatenate([con["customer"][tx], rel_customer, con["customer"][dl]]),
        "touchpoint": touchpoint,
        "channel": np.concatenate([con["channel"][tx], _TP_CHANNEL[rel_tp], con["channel"][dl]]),
        "sent": np.concatenate([tx_sent, rel_sent, dl_sent]),
        "answered": np.concatenate([tx_answered, rel_answered, dl_answered]),
    }
    resp["zone"] = cust["zone"][resp["customer"]]
    order = np.argsort(resp["answered"], kind="stable")
    resp = {name: values[order] for name, values in resp.items()}
    local_day = np.floor((_utc_to_local(resp["answered"], resp["zone"]) - period.start_s) / DAY).astype(np.int64)
    resp["month"] = period.month_of_day[local_day]
    return resp


def _survey_ids(kind: np.ndarray, month: np.ndarray, period: _Period) -> pa.Array:
    """Survey (questionnaire and wave): REL-2026-Q1, TX-2026-01, DLY-2026-03."""
    labels = []
    for survey_kind in SURVEY_KINDS:
        for label in period.month_labels:
            quarter = f"{label[:4]}-Q{(int(label[5:]) - 1) // 3 + 1}"
            labels.append({"relationship": f"REL-{quarter}", "transactional": f"TX-{label}",
                           "delayed": f"DLY-{label}"}[survey_kind])
    return _pick(labels, kind * period.months + month)


def _responses_table(resp: Columns, cust: Columns, rows: np.ndarray, period: _Period) -> pa.Table:
    """The survey responses file for the given rows."""
    zone, contact, tp = resp["zone"][rows], resp["contact"][rows], resp["touchpoint"][rows]
    return _table(SURVEY_RESPONSES, {
        "response_id": _ids("R", rows + 1, 8),
        "survey_id": _survey_ids(resp["kind"][rows], resp["month"][rows], period),
        "survey_kind": _pick(SURVEY_KINDS, resp["kind"][rows]),
        "customer_id": _ids("C", resp["customer"][rows] + 1, 7),
        "contact_id": _ids("CT", contact + 1, 8, contact < 0),
        "channel": _pick(CHANNELS, resp["channel"][rows]),
        "touchpoint_id": _pick([t[0] for t in TOUCHPOINTS], tp),
        "journey_stage": _pick(JOURNEY_STAGES, _TP_STAGE[tp]),
        "language": _pick(LANGUAGES, cust["language"][resp["customer"][rows]]),
        "sent_at": _timestamps(resp["sent"][rows], zone),
        "answered_at": _timestamps(resp["answered"][rows], zone),
    })


def _experience_shift(rng: np.random.Generator, resp: Columns, cust: Columns, con: Columns) -> np.ndarray:
    """How what happened moves each response's six Pillar scores (n x 6, PILLARS order).

    General: channel, survey kind, segment, contact reason, a customer about to churn.
    Specific: a reopened or repeated contact hurts resolution and effort, a long wait hurts
    effort, the agent (each has a fixed quality) moves empathy, personalisation, resolution.
    """
    c = resp["contact"]
    has = c >= 0
    general = (_CHANNEL_SHIFT[resp["channel"]] + _KIND_SHIFT[resp["kind"]]
               + _SEGMENT_SHIFT[cust["segment"][resp["customer"]]]
               + _CHURNER_SHIFT * cust["churned"][resp["customer"]]
               + np.where(has, _REASON_SHIFT[con["reason"][c]], 0.0))
    shift = np.repeat(general[:, None], 6, axis=1)
    reopened = has & (con["reopen"][c] > 0)
    repeated = has & con["had_repeat"][c]
    ch = np.where(has, con["channel"][c], 0)
    wait = con["first_replied"][c] - con["queue_entered"][c]
    slow = np.where(has & ~np.isnan(wait), np.clip(np.log(np.maximum(wait, 1) / _WAIT_MEDIAN[ch]), -2, 3), 0.0)
    escalated = has & (con["first_resolved"][c] - con["created"][c] > DAY)
    quality = rng.normal(0.0, _AGENT_SD, int(con["agent"].max()) + 1)
    agent = np.where(has, con["agent"][c], -1)
    agent_effect = np.where(agent >= 0, quality[np.maximum(agent, 0)], 0.0)
    p = {name: PILLARS.index(name) for name in PILLARS}
    shift[:, p["resolution"]] += -0.6 * reopened - 0.6 * repeated + 0.5 * agent_effect
    shift[:, p["time_and_effort"]] += -0.4 * reopened - 0.4 * repeated - 0.25 * slow - 0.3 * escalated
    shift[:, p["expectations"]] += -0.3 * reopened
    shift[:, p["empathy"]] += agent_effect
    shift[:, p["personalisation"]] += 0.7 * agent_effect
    return shift


# ================================================================ survey answers
def _draw_latent(rng: np.random.Generator, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latent Pillar scores, Force scores and advocacy (standardised) for len(shift) responses."""
    n = len(shift)
    general = rng.standard_normal(n)
    pillars = (np.sqrt(PILLAR_SHARED) * general[:, None]
               + np.sqrt(1 - PILLAR_SHARED) * rng.standard_normal((n, 6)) + shift)
    advocacy = (pillars @ _W_P + _MOOD_SD * rng.standard_normal(n)) / _ADVOCACY_SD
    forces = advocacy[:, None] * FORCE_LOADINGS + rng.standard_normal((n, 6)) @ _ETA_CHOL.T
    return pillars, forces, advocacy


def _likert(rng: np.random.Generator, latent: np.ndarray, cuts: np.ndarray, low: int, reverse: bool) -> np.ndarray:
    """An agreement item: construct plus item noise, cut into categories, flipped if reverse-coded."""
    noisy = ITEM_LOADING * latent + np.sqrt(1 - ITEM_LOADING**2) * rng.standard_normal(len(latent))
    value = low + np.searchsorted(cuts, noisy).astype(np.float64)
    return 2 * low + len(cuts) - value if reverse else value


def _score_items(rng: np.random.Generator, pillars: np.ndarray, forces: np.ndarray,
                 advocacy: np.ndarray) -> np.ndarray:
    """Every scored question's answer (n x len(_SCORED)), before skips."""
    columns = []
    for q in _SCORED:
        if q.measure == "nps":
            columns.append(np.clip(np.rint(NPS_INTERCEPT + NPS_SLOPE * advocacy), 0, 10))
        elif q.measure == "csat":
            columns.append(_likert(rng, advocacy, _CSAT_CUTS, 1, False))
        elif q.measure == "ces":
            columns.append(_likert(rng, pillars[:, PILLARS.index("time_and_effort")], _CES_CUTS, 1, False))
        elif q.measure == "force":
            columns.append(_likert(rng, forces[:, FORCES.index(q.construct)], _CUTS_5, 1, q.reverse))
        else:
            columns.append(_likert(rng, pillars[:, PILLARS.index(q.construct)], _CUTS_7, 1, q.reverse))
    return np.column_stack(columns)


def _emotions(rng: np.random.Generator, group: np.ndarray, advocacy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Emotion index (-1 = not answered) and intensity 1-3 (stronger for extreme experiences)."""
    n = len(group)
    emotion = _draw(rng, np.cumsum(_EMOTION_P, axis=1)[group])
    emotion[rng.random(n) >= _EMOTION_ANSWER_RATE] = -1
    strength = np.abs(advocacy - 0.3) + 0.5 * rng.standard_normal(n)
    return emotion, 1.0 + (strength > 0.6) + (strength > 1.4)


def _phones(rng: np.random.Generator, language: np.ndarray) -> pa.Array:
    """Fake phone numbers in the customer's country format (UK: Ofcom's drama range)."""
    n = len(language)

    def digits(width: int) -> pa.Array:
        return pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 10**width, n)), pa.string()), width=width,
                            padding="0")

    pl = pc.binary_join_element_wise("+48 ", pc.cast(pa.array(rng.integers(500, 900, n)), pa.string()), " ",
                                     digits(3), " ", digits(3), "")
    ru = pc.binary_join_element_wise("+7 9", digits(2), " ", digits(3), "-", digits(2), "-", digits(2), "")
    en = pc.binary_join_element_wise("+44 7700 900", digits(3), "")
    lang = pa.array(language)
    return pc.if_else(pc.equal(lang, 0), pl, pc.if_else(pc.equal(lang, 1), ru, en))


def _comments(rng: np.random.Generator, language: np.ndarray, group: np.ndarray, email: pa.Array) -> pa.Array:
    """A comment per row from the templates of its language and NPS group, personal data filled in."""
    cell = language * 3 + group
    template = _TEMPLATE_START[cell] + np.floor(rng.random(len(cell)) * _TEMPLATE_COUNT[cell]).astype(np.int64)
    phone = _phones(rng, language)
    order = np.argsort(template, kind="stable")
    bounds = np.searchsorted(template[order], np.arange(len(_TEMPLATES) + 1))
    pieces = []
    for t, text in enumerate(_TEMPLATES):
        rows = pa.array(order[bounds[t]:bounds[t + 1]])
        if "{email}" in text or "{phone}" in text:
            field, values = ("{email}", email) if "{email}" in text else ("{phone}", phone)
            before, after = text.split(field)
            pieces.append(pc.binary_join_element_wise(before, values.take(rows), after, ""))
        else:
            pieces.append(pc.take(pa.array([text]), pa.array(np.zeros(len(rows), np.int64))))
    inverse = np.empty(len(order), np.int64)
    inverse[order] = np.arange(len(order))
    return pa.concat_arrays(pieces).take(pa.array(inverse))


def _answers_table(rng: np.random.Generator, response_ids: pa.Array, kind: np.ndarray, language: np.ndarray,
                   shift: np.ndarray, email: pa.Array) -> pa.Table:
    """All answers of one month's responses, one row per answered question, response by response."""
    n = len(kind)
    pillars, forces, advocacy = _draw_latent(rng, shift)
    scored = _score_items(rng, pillars, forces, advocacy)
    group = (scored[:, 0] >= 7).astype(np.int64) + (scored[:, 0] >= 9)
    skipped = rng.random(scored.shape) < _SKIP_RATE
    skipped[:, _CSAT_COL] |= kind == SURVEY_KINDS.index("relationship")
    emotion, intensity = _emotions(rng, group, advocacy)
    commented = rng.random(n) < _COMMENT_RATE[group]
    comments = _comments(rng, language[commented], group[commented], email.filter(pa.array(commented)))

    values = np.column_stack([np.where(skipped, np.nan, scored), np.where(emotion >= 0, intensity, np.nan),
                              np.where(commented, 0.0, np.nan)])
    row, col = np.nonzero(~np.isnan(values))
    is_emotion, is_comment = col == _EMOTION_COL, col == _COMMENT_COL
    texts = pa.concat_arrays([_pick(EMOTIONS, emotion[emotion >= 0]), comments])
    text_index = np.where(is_emotion, np.cumsum(emotion >= 0)[row] - 1,
                          (emotion >= 0).sum() + np.cumsum(commented)[row] - 1)
    return _table(SURVEY_ANSWERS, {
        "response_id": response_ids.take(pa.array(row)),
        "question_id": _pick([q.question_id for q in QUESTION_CATALOG], col),
        "answer_value": pa.array(values[row, col], pa.float64(), mask=is_comment),
        "answer_text": texts.take(pa.array(text_index, pa.int64(), mask=~(is_emotion | is_comment))),
    })


def simulate_r2(draws: int = R2_SIMULATION_DRAWS, seed: int = R2_SIMULATION_SEED) -> dict[str, float]:
    """R^2 of the 0-10 score on the Pillar and on the Force construct scores, as the warehouse computes them.

    Construct score = mean of the construct's items (reverse-coded ones flipped back),
    rescaled to 0-100; no context shifts and no skipped questions (the population model).
    """
    rng = np.random.default_rng(seed)
    scored = _score_items(rng, *_draw_latent(rng, np.zeros((draws, 6))))
    nps = scored[:, 0]
    result = {}
    for measure, constructs in (("pillar", PILLARS), ("force", FORCES)):
        scores = []
        for construct in constructs:
            items = [(j, q) for j, q in enumerate(_SCORED) if q.construct == construct]
            low, high = items[0][1].scale
            values = [low + high - scored[:, j] if q.reverse else scored[:, j] for j, q in items]
            scores.append((np.mean(values, axis=0) - low) / (high - low) * 100)
        design = np.column_stack([np.ones(draws)] + scores)
        residual = nps - design @ np.linalg.lstsq(design, nps, rcond=None)[0]
        result[f"nps_on_{measure}_scores"] = round(float(1 - residual.var() / nps.var()), 3)
    return result


# ================================================================ bad rows
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


# ================================================================ orchestration
def _clear(out_dir: Path) -> None:
    """Remove files an earlier run wrote, so a smaller run leaves no stale months behind."""
    for entity in ("customers", "journey_touchpoints", "questions", "contacts", "contact_status_changes",
                   "contact_messages", "survey_responses", "survey_answers", "survey_opt_outs"):
        for old in sorted((out_dir / entity).glob(f"{entity}*.*")):
            old.unlink()
    (out_dir / "MANIFEST.json").unlink(missing_ok=True)


def _write_months(out_dir: Path, entity: str, period: _Period, build: Callable[[int], pa.Table],
                  plant: Planter | None) -> tuple[dict[str, int], list[dict]]:
    """Write one file per month (Parquet for answers, CSV otherwise); returns rows per file and planted rows."""
    files: dict[str, int] = {}
    planted: list[dict] = []
    for month, label in enumerate(period.month_labels):
        table = build(month)
        parquet = entity == "survey_answers"
        rel = f"{entity}/{entity}_{label}.{'parquet' if parquet else 'csv'}"
        if plant is not None:
            table, bad = plant(table, month)
            planted += [{"entity": entity, "file": rel, **b} for b in bad]
        files[rel] = (_write_parquet if parquet else _write_csv)(table, out_dir / rel)
    return files, planted


def _write_history(out_dir: Path, period: _Period, con: Columns, month_of_contact: np.ndarray,
                   rng: np.random.Generator, bad_rng: np.random.Generator | None, miss_rng: np.random.Generator,
                   ) -> dict[str, tuple[dict[str, int], list[dict]]]:
    """Status changes (CSV) and messages (Parquet) per month, filed in their contact's month."""
    history = np.isin(con["channel"], _TICKET_CHANNELS) & (rng.random(len(con["day"])) < _HISTORY_SHARE)
    queue_agents = _queue_agents(con["queue"], period)
    out: dict[str, tuple[dict[str, int], list[dict]]] = {"contact_status_changes": ({}, []),
                                                         "contact_messages": ({}, [])}
    first_ids = (0, 0)
    for month, label in enumerate(period.month_labels):
        rows = np.flatnonzero((month_of_contact == month) & history)
        tables = _history_tables(rng, con, rows, queue_agents, period, first_ids, miss_rng)
        first_ids = (first_ids[0] + tables[0].num_rows, first_ids[1] + tables[1].num_rows)
        for (entity, (files, planted)), table, plant in zip(out.items(), tables, (_bad_status_changes, _bad_messages)):
            parquet = entity in _PARQUET_SCHEMAS
            rel = f"{entity}/{entity}_{label}.{'parquet' if parquet else 'csv'}"
            if bad_rng is not None:
                table, bad = plant(bad_rng, table, month)
                planted += [{"entity": entity, "file": rel, **b} for b in bad]
            files[rel] = (_write_parquet(table, out_dir / rel, _PARQUET_SCHEMAS[entity]) if parquet
                          else _write_csv(table, out_dir / rel))
    return out


def _manifest(size: str, seed: int, bad_rows: bool, period: _Period, entities: dict[str, dict]) -> dict:
    """What was written, what was planted, and the true driver model."""
    return {
        "generator": "dagster_cx.sample.generator",
        "size": size,
        "seed": seed,
        "bad_rows_planted": bad_rows,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "entities": entities,
        "drivers": {
            "pillar_weights": PILLAR_WEIGHTS,
            "force_weights": FORCE_WEIGHTS,
            "importance_order": {"pillars": sorted(PILLAR_WEIGHTS, key=PILLAR_WEIGHTS.get, reverse=True),
                                 "forces": sorted(FORCE_WEIGHTS, key=FORCE_WEIGHTS.get, reverse=True)},
            "r2": PLANTED_R2,
            "nps_model": {"intercept": NPS_INTERCEPT, "slope": NPS_SLOPE, "item_loading": ITEM_LOADING,
                          "pillar_shared_variance": PILLAR_SHARED,
                          "r2_simulation": {"draws": R2_SIMULATION_DRAWS, "seed": R2_SIMULATION_SEED}},
        },
    }


def generate(out_dir: Path, size: str = "sample", seed: int = DEFAULT_SEED, bad_rows: bool = True,
             progress: Callable[[str], None] | None = None) -> dict:
    """Write every entity's files under out_dir and MANIFEST.json; return the manifest.

    Same arguments, byte-identical files. Bad rows (if asked for) are extra rows inside the
    normal monthly files; the manifest lists each with a substring of its quarantine reason.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size!r}")
    spec, period, out_dir = SIZES[size], _Period(PERIOD_START, SIZES[size]["months"]), Path(out_dir)
    _clear(out_dir)
    entities: dict[str, dict] = {}
    bad_rng = _rng(seed, "bad_rows")

    def record(entity: str, files: dict[str, int], planted: list[dict], started: float) -> None:
        entities[entity] = {"files": files, "rows": sum(files.values()), "bad_rows": planted}
        if progress is not None:
            progress(f"{entity}: {sum(files.values()):,} rows in {len(files)} file(s), "
                     f"{time.perf_counter() - started:.1f} s")

    def planter(plant: Callable[..., tuple[pa.Table, list[dict]]], *args: int) -> Planter | None:
        return (lambda table, month: plant(bad_rng, table, month, *args)) if bad_rows else None

    started = time.perf_counter()
    cust = _customers(_rng(seed, "customers"), spec["customers"])
    _churn(_rng(seed, "churn"), cust, period)
    full_names, emails = _names(cust)
    rel = "customers/customers.csv"
    record("customers", {rel: _write_csv(_customers_table(cust, full_names, emails, period), out_dir / rel)}, [],
           started)
    for entity, table in (("journey_touchpoints", _touchpoints_table()), ("questions", _questions_table())):
        started, rel = time.perf_counter(), f"{entity}/{entity}.csv"
        record(entity, {rel: _write_csv(table, out_dir / rel)}, [], started)

    started = time.perf_counter()
    con = _contacts(_rng(seed, "contacts"), spec["contacts"], cust, period)
    con["priority"] = _priorities(_rng(seed, "priority"), con["reason"])
    month_of_contact = period.month_of_day[con["day"]]

    def contacts(month: int) -> pa.Table:
        table = _contacts_table(con, np.flatnonzero(month_of_contact == month))
        return table if month >= _PRIORITY_SINCE_MONTH else table.drop_columns(["priority"])

    record("contacts", *_write_months(out_dir, "contacts", period, contacts,
                                      planter(_bad_contacts, spec["contacts"])), started)

    started = time.perf_counter()
    history = _write_history(out_dir, period, con, month_of_contact, _rng(seed, "contact_history"),
                             _rng(seed, "history_bad_rows") if bad_rows else None, _rng(seed, "record_misses"))
    for entity, (files, planted) in history.items():
        record(entity, files, planted, started)  # seconds: both entities together

    started = time.perf_counter()
    resp = _responses(_rng(seed, "survey_responses"), spec["responses"], cust, con, period)
    record("survey_responses", *_write_months(
        out_dir, "survey_responses", period,
        lambda m: _responses_table(resp, cust, np.flatnonzero(resp["month"] == m), period),
        planter(_bad_responses, spec["responses"])), started)

    started = time.perf_counter()
    answer_rng = _rng(seed, "survey_answers")
    shift = _experience_shift(answer_rng, resp, cust, con)

    def answers(month: int) -> pa.Table:
        rows = np.flatnonzero(resp["month"] == month)
        customer = resp["customer"][rows]
        return _answers_table(answer_rng, _ids("R", rows + 1, 8), resp["kind"][rows], cust["language"][customer],
                              shift[rows], emails.take(pa.array(customer)))

    record("survey_answers", *_write_months(out_dir, "survey_answers", period, answers, planter(_bad_answers)),
           started)

    started, rel = time.perf_counter(), "survey_opt_outs/survey_opt_outs.csv"
    record("survey_opt_outs", {rel: _write_csv(_opt_outs_table(_rng(seed, "survey_opt_outs"), cust, period),
                                               out_dir / rel)}, [], started)

    manifest = _manifest(size, seed, bad_rows, period, entities)
    (out_dir / "MANIFEST.json").write_text(json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    return manifest
