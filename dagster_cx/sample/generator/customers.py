"""Customers: segment, region, language, names and e-mail, signup, revenue, churn and survey consent.

Customers come first: contacts and survey responses are drawn per customer (by segment
activity, language, churn date), so what they need of a customer is made here.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_cx.contract import CUSTOMERS, SURVEY_OPT_OUTS
from dagster_cx.sample.generator.columns import _dates, _ids, _pick, _table, _timestamps
from dagster_cx.sample.generator.period import Columns, _Period
from dagster_cx.sample.generator.random_streams import _draw, _lognormal

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
