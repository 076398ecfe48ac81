"""The Qualtrics API as a dlt source: surveys, their definitions and their responses, landed as Qualtrics shapes them.

Which surveys: those whose mapping (QUALTRICS_MAPPINGS_DIR/*.yml) names a qualtrics_survey_id,
read when the source runs. Three resources, all merged on Qualtrics' keys, so a response
exported twice is one row:
- `surveys`: the account's survey list (paged by dlt), the configured ones;
- `survey_definitions`: a survey's definition (questions, types, choices with recode values,
  matrix sub-questions), fetched again only when the survey's lastModified changed;
- `responses`: the asynchronous response export of each survey, continued from the last
  export's continuation token, so a run fetches only responses recorded or changed since.
Nested values (a response's `values` and `labels`, a definition) stay JSON, keyed by ImportId.
dlt commits the tokens (its state) with the responses they came with: a run that fails or is
killed half-way commits neither, and the next one exports again from the last committed
token, so nothing is missed and the merge on responseId leaves no duplicate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dlt

from dagster_cx.sources.qualtrics.client import QualtricsError, QualtricsSettings, api_client, raising_hooks, result_of
from dagster_cx.sources.qualtrics.export import export_responses
from dagster_cx.sources.surveys.mapping import MappingError, SurveyMapping, load_mapping

SOURCE = "qualtrics"


def api_mappings(folder: Path) -> dict[str, SurveyMapping]:
    """The surveys to pull, by Qualtrics survey id, from the mapping files of the folder."""
    if not folder.is_dir():
        raise MappingError(f"QUALTRICS_MAPPINGS_DIR={folder} is not a folder; create it with one mapping per survey "
                           "(`cx-warehouse survey-mapping draft --qualtrics-definition ...` writes a first one).")
    mappings: dict[str, SurveyMapping] = {}
    for path in sorted(folder.glob("*.yml")):
        mapping = load_mapping(path)
        if mapping.format != "qualtrics" or not mapping.qualtrics_survey_id:
            raise MappingError(f"{path}: a mapping of the Qualtrics API needs `format: qualtrics` and "
                               "`qualtrics_survey_id: SV_...` (the survey's id in Qualtrics).")
        if mapping.qualtrics_survey_id in mappings:
            raise MappingError(f"{path}: survey {mapping.qualtrics_survey_id} is mapped twice (also in "
                               f"{mappings[mapping.qualtrics_survey_id].path.name}); keep one mapping per survey.")
        mappings[mapping.qualtrics_survey_id] = mapping
    if not mappings:
        raise MappingError(f"{folder}: holds no survey mapping (*.yml); add one per survey to pull.")
    return mappings


@dlt.source(name=SOURCE, max_table_nesting=0)
def qualtrics_source(settings: QualtricsSettings):
    """The three resources; built without any secret (the token is read per request)."""
    listed = surveys(settings)
    return listed, listed | survey_definitions(settings), responses(settings)


@dlt.resource(name="surveys", primary_key="id", write_disposition="merge")
def surveys(settings: QualtricsSettings) -> Iterator[dict]:
    """The configured surveys as the account's survey list shows them (id, name, lastModified, isActive)."""
    wanted = set(api_mappings(settings.mappings_dir))
    found = set()
    for page in api_client(settings).paginate("/surveys", hooks=raising_hooks("listing the surveys")):
        for survey in page:
            if survey["id"] in wanted:
                found.add(survey["id"])
                yield survey
    if wanted - found:
        raise QualtricsError(f"Survey(s) {', '.join(sorted(wanted - found))} named in {settings.mappings_dir} are not "
                             "in the survey list this API token sees: check the ids (SV_...) and that the token's "
                             "user owns or shares the surveys.")


@dlt.transformer(name="survey_definitions", primary_key="survey_id", write_disposition="merge")
def survey_definitions(survey: dict, settings: QualtricsSettings) -> Iterator[dict]:
    """A survey's definition, when the survey changed since the one kept (or none is)."""
    seen = dlt.current.resource_state().setdefault("last_modified", {})
    if seen.get(survey["id"]) == survey.get("lastModified"):
        return
    definition = result_of(api_client(settings).get(f"/survey-definitions/{survey['id']}"),
                           f"reading the definition of survey {survey['id']}")
    yield {"survey_id": survey["id"], "last_modified": survey.get("lastModified"), "definition": definition}
    seen[survey["id"]] = survey.get("lastModified")


@dlt.resource(name="responses", primary_key="response_id", write_disposition="merge")
def responses(settings: QualtricsSettings) -> Iterator[dict]:
    """Each configured survey's responses since its last continuation token, then the new token into dlt's state."""
    tokens = dlt.current.resource_state().setdefault("continuation_tokens", {})
    api = api_client(settings)
    for survey_id in api_mappings(settings.mappings_dir):
        exported, token = export_responses(api, settings, survey_id, tokens.get(survey_id))
        for response in exported:
            yield {"survey_id": survey_id, **response}
        tokens[survey_id] = token
