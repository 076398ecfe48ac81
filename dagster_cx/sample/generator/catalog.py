"""The survey's question catalog and the journey's touchpoints, and their catalog files.

The answers are generated column by column in catalog order, so the catalog also fixes
which column is the CSAT item, the emotion and the comment, and how often each is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from dagster_cx.contract import CHANNELS, JOURNEY_STAGES, JOURNEY_TOUCHPOINTS, QUESTIONS
from dagster_cx.sample.generator.columns import _table


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
