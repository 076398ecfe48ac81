"""The rendered contract (dbt sources, data README) matches `dagster_cx.contract`."""

from __future__ import annotations

from dagster_cx import contract_docs


def test_dbt_sources_are_rendered_from_the_contract():
    assert contract_docs.SOURCES_YAML.read_text(encoding="utf-8") == contract_docs.render_sources_yaml(), (
        "dbt sources drifted from the contract: run `python -m dagster_cx.contract_docs`"
    )


def test_data_readme_is_rendered_from_the_contract():
    current = contract_docs.DATA_README.read_text(encoding="utf-8")
    assert current == contract_docs.render_data_readme(current), (
        "data/README.md drifted from the contract: run `python -m dagster_cx.contract_docs`"
    )
