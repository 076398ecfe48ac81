"""How a landing asset says which raw entities its records become, and the group landings share.

The ingestion step's raw assets depend on the landings that feed them (lineage reads vendor ->
raw -> staging). Dagster's tag values take only letters, digits and "_-.": entities are joined
by a dot, not a comma.
"""

GROUP = "sources"
FEEDS_TAG = "cx/feeds"
FEEDS_SEPARATOR = "."
# The pool of every step that writes the warehouse file (dlt writes it as the ingestion step does).
WRITER_POOL = "duckdb_writer"


def feeds(*entities: str) -> dict[str, str]:
    """The tag a landing asset carries for the raw entities its records become."""
    return {FEEDS_TAG: FEEDS_SEPARATOR.join(entities)}


def fed_entities(tags: dict[str, str]) -> list[str]:
    return [entity for entity in tags.get(FEEDS_TAG, "").split(FEEDS_SEPARATOR) if entity]
