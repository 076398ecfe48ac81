"""SQL that types an incoming file's rows and lists, per row, every way it breaks the contract.

Generated from `dagster_cx.contract`, so a rule is written once and each quarantined row
carries readable reasons ("talk_seconds -5 is below the minimum 0") rather than a code.
"""

from __future__ import annotations

from datetime import datetime

from dagster_cx.contract import ENTITIES_BY_NAME, FLAG, QUARANTINE, WAIT, Column, Entity, Lookup
from dagster_cx.ingest.plausibility import Limits
from dagster_cx.warehouse import sql_literal as _q

LIMIT_NOTE = " (a plausibility limit; CX_PLAUSIBILITY_LIMITS changes it)"


def _text(column: Column) -> str:
    return f"{column.name}__text"


def _parsed(column: Column) -> str:
    return f"{column.name}__parsed"


def _shaped(column: Column) -> str:
    return f"{column.name}__shaped"


def _parse_expressions(column: Column) -> list[str]:
    """The text's cast and pattern test, each computed once: the typed value and the reasons read them.

    Text needs no cast to VARCHAR, and its cast cannot fail.
    """
    expressions = []
    if column.type != "varchar":
        expressions.append(f"try_cast({_text(column)} as {column.type}) as {_parsed(column)}")
    if column.pattern:
        expressions.append(f"regexp_matches({_text(column)}, {_q(column.pattern)}) as {_shaped(column)}")
    return expressions


def _typed_expression(column: Column) -> str:
    """Typed value, or null when the text does not parse; naive timestamps are never guessed."""
    value = _text(column) if column.type == "varchar" else _parsed(column)
    if column.pattern and column.type == "timestamptz":
        return f"case when {_shaped(column)} then {value} end"
    return value


def _column_reasons(column: Column) -> list[str]:
    """CASE expressions, each yielding a reason string when the value breaks one check."""
    text, name = _text(column), column.name
    reasons = []
    if column.required:
        reasons.append(f"case when {text} is null then {_q(name + ' is missing')} end")
    if column.type != "varchar":
        reasons.append(
            f"case when {text} is not null and {_parsed(column)} is null "
            f"then {_q(name + ' is not a valid ' + column.type + ': ')} || {text} end"
        )
    if column.pattern:
        message = "has no UTC offset: " if column.type == "timestamptz" else f"does not match {column.pattern}: "
        parses = "true" if column.type == "varchar" else f"{_parsed(column)} is not null"
        reasons.append(
            f"case when {text} is not null and {parses} and not {_shaped(column)} "
            f"then {_q(name + ' ' + message)} || {text} end"
        )
    if column.allowed:
        allowed = ", ".join(_q(v) for v in column.allowed)
        reasons.append(
            f"case when {name} not in ({allowed}) "
            f"then {_q(name + ' ')} || {_q(chr(39))} || {name} || {_q(chr(39) + ' is not one of ' + ', '.join(column.allowed))} end"
        )
    if column.min_value is not None:
        reasons.append(
            f"case when {name} < {column.min_value} then {_q(name + ' ')} || {text} || "
            f"{_q(' is below the minimum ' + _number(column.min_value))} end"
        )
    if column.max_value is not None:
        reasons.append(
            f"case when {name} > {column.max_value} then {_q(name + ' ')} || {text} || "
            f"{_q(' is above the maximum ' + _number(column.max_value))} end"
        )
    return reasons


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _plausibility_reasons(entity: Entity, limits: Limits, now: datetime) -> list[str]:
    """CASE expressions for values past a plausibility limit (dagster_cx.ingest.plausibility)."""
    reasons = []
    for name, maximum in limits.columns_of(entity.name).items():
        reasons.append(
            f"case when {name} > {maximum} then {_q(name + ' ')} || {name} || "
            f"{_q(' is above the plausible maximum ' + _number(maximum) + LIMIT_NOTE)} end"
        )
    for name, (end, start, hours) in limits.durations_of(entity.name).items():
        reasons.append(
            f"case when {end} - {start} > to_microseconds({int(hours * 3_600_000_000)}) then "
            f"{_q(name + ' (' + end + ' - ' + start + ') of ')} || round((epoch({end}) - epoch({start})) / 3600, 1) || "
            f"{_q(' h is above the plausible maximum ' + _number(hours) + ' h' + LIMIT_NOTE)} end"
        )
    moment = f"{_q(now.isoformat())}::timestamptz"
    for column in entity.columns:
        if column.type not in ("timestamptz", "date"):
            continue
        value = column.name if column.type == "timestamptz" else f"{column.name}::timestamptz"
        if limits.max_hours_in_future is not None:
            reasons.append(
                f"case when {value} > {moment} + to_microseconds({int(limits.max_hours_in_future * 3_600_000_000)}) "
                f"then {_q(column.name + ' ')} || {_text(column)} || "
                f"{_q(f' is more than {_number(limits.max_hours_in_future)} h after the load ({now:%Y-%m-%d %H:%M} UTC)' + LIMIT_NOTE)} end"
            )
        if limits.max_years_in_past is not None:
            reasons.append(
                f"case when {value} < {moment} - to_days({int(limits.max_years_in_past * 365.25)}) "
                f"then {_q(column.name + ' ')} || {_text(column)} || "
                f"{_q(f' is more than {_number(limits.max_years_in_past)} years before the load' + LIMIT_NOTE)} end"
            )
    return reasons


def _rule_reasons(entity: Entity, on_failure: str) -> list[str]:
    return [f"case when not coalesce({rule.condition}, true) then {_q(rule.reason)} end"
            for rule in entity.rules if rule.on_failure == on_failure]


def _reason_list(reasons: list[str]) -> str:
    if not reasons:
        return "cast([] as varchar[])"
    return f"list_filter([{', '.join(reasons)}], lambda reason: reason is not null)"


def _latest(raw_schema: str, lookup: Lookup, key: str) -> str:
    """The newest loaded version of each key of a lookup entity (later files update earlier ones).

    Only the keys this file refers to: deduplicating the whole loaded entity for every file
    cost more than validating the file at 10M contacts.
    """
    return (
        f"(select * from {raw_schema}.{lookup.entity} where ({key}) in (select {key} from typed) "
        f"qualify row_number() over (partition by {key} order by _load_id desc, _source_row desc) = 1)"
    )


def _filled_from_parent(lookup: Lookup) -> list[str]:
    """A column the row left empty takes its parent's value, as text and typed, before any check reads it."""
    return [expression for name in lookup.fills for expression in (
        f"coalesce(typed.{name}, {lookup.alias}.{name}) as {name}",
        f"coalesce(typed.{name}__text, {lookup.alias}.{name}::varchar) as {name}__text",
    )]


def record_sql(entity: Entity, with_source_record: bool = False) -> str:
    """The row as read from `incoming`, every value as text: what the quarantine and the waiting
    rows keep; with a source's batch, the vendor's own record too (`_source_record`)."""
    values = [f"{c.name} := incoming.{c.name}" for c in entity.columns]
    if with_source_record:
        values.append("_source_record := incoming._source_record")
    return f"to_json(struct_pack({', '.join(values)}))"


def checked_rows_sql(entity: Entity, raw_schema: str, limits: Limits, now: datetime) -> str:
    """A SELECT over temp table `incoming` returning typed columns, `_source_row` and three lists:
    `_reasons` (the row is bad: quarantine), `_waits` (a parent it names is not loaded yet) and
    `_flags` (loaded, but counted).

    Repeated keys are found by aggregating (only repeats survive it): a window over every row
    took a third of the validation time.
    """
    texts = ", ".join(f"nullif(trim({c.name}), '') as {_text(c)}" for c in entity.columns)
    parsed = ", ".join(e for c in entity.columns for e in _parse_expressions(c)) or "true as _nothing_parsed"
    typed = ", ".join(f"{_typed_expression(c)} as {c.name}" for c in entity.columns)
    joins, lookup_columns, filled = [], [], []
    for lookup in entity.lookups:
        key = ", ".join(ENTITIES_BY_NAME[lookup.entity].key)
        joins.append(f"left join {_latest(raw_schema, lookup, key)} as {lookup.alias} on {lookup.on}")
        lookup_columns += [f"{lookup.alias}.{c} as {lookup.alias}_{c}" for c in lookup.columns]
        filled += _filled_from_parent(lookup)
    key_columns = ", ".join(entity.key)
    key_present = " and ".join(f"{k} is not null" for k in entity.key)
    key_join = " and ".join(f"repeated.{k} = typed.{k}" for k in entity.key)
    key_text = " || '/' || ".join(f"{k}::varchar" for k in entity.key)
    reasons = [r for c in entity.columns for r in _column_reasons(c)]
    reasons += _plausibility_reasons(entity, limits, now)
    reasons += _rule_reasons(entity, QUARANTINE)
    reasons.append(
        f"case when {key_present} and _source_row > _key_first_row then "
        f"'duplicate key ' || {key_text} || ' in this file (first at row ' || _key_first_row || ')' end"
    )
    lookup_select = (", " + ", ".join(lookup_columns)) if lookup_columns else ""
    replaced = f" replace ({', '.join(filled)})" if filled else ""
    return f"""
        with texts as (
            select _source_row, {texts}
            from incoming
        ),
        parsed as (
            select *, {parsed} from texts
        ),
        typed as (
            select *, {typed} from parsed
        ),
        repeated as (
            select {key_columns}, min(_source_row) as _key_first_row
            from typed
            where {key_present}
            group by {key_columns}
            having count(*) > 1
        ),
        keyed as (
            select typed.*{replaced}{lookup_select}, repeated._key_first_row
            from typed
            left join repeated on {key_join}
            {' '.join(joins)}
        ),
        final as (
            select _source_row, {', '.join(entity.column_names)},
                   {_reason_list(reasons)} as _reasons,
                   {_reason_list(_rule_reasons(entity, WAIT))} as _waits,
                   {_reason_list(_rule_reasons(entity, FLAG))} as _flags
            from keyed
        )
        select * from final
    """
