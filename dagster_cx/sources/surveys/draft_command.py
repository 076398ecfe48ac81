"""`cx-warehouse survey-mapping draft`: write a first mapping of a survey for the user to check."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from dagster_cx.sources.surveys.draft import Draft, render


def add_survey_mapping_command(commands: argparse._SubParsersAction) -> None:
    """The `survey-mapping draft` command and its options, on the CLI's command parser."""
    mapping = commands.add_parser(
        "survey-mapping", help="draft the mapping of a survey from its tool's export or API",
        description="Survey mappings say what each question of a survey tool's export measures (README: 'Connect "
        "your survey tool'); `draft` writes a first one from the tool's definition or export.")
    actions = mapping.add_subparsers(dest="action", required=True, help="draft: write a first mapping (required)")
    draft = actions.add_parser(
        "draft", help="write a first mapping to check: every guess is marked GUESS",
        description="Drafts a survey mapping (README: 'Connect your survey tool') from a Qualtrics survey definition, "
        "a Qualtrics export file or a wide export (SurveyMonkey, Google Forms, Typeform...). Check every line marked "
        "GUESS, then delete `draft: true`.",
    )
    source = draft.add_mutually_exclusive_group(required=True)
    source.add_argument("--qualtrics-definition", type=Path, metavar="JSON",
                        help="a survey definition as GET /API/v3/survey-definitions/{surveyId} returns it "
                        "(one of the four sources is required)")
    source.add_argument("--qualtrics-survey", metavar="SV_ID",
                        help="fetch the survey's definition from the API (QUALTRICS_BASE_URL, QUALTRICS_API_TOKEN; "
                        "one of the four sources is required)")
    source.add_argument("--qualtrics-export", type=Path, metavar="FILE", help="a Qualtrics 'Export data' CSV or TSV (one of the four sources is required)")
    source.add_argument("--wide", type=Path, metavar="FILE", help="a wide export: one row per response (one of the four sources is required)")
    draft.add_argument("--header-rows", type=int, default=1, help="header rows of a wide export (SurveyMonkey: 2; default: %(default)s)")
    draft.add_argument("--out", type=Path, help="the mapping file to write (default: print it)")
    draft.set_defaults(handler=run_draft)


def run_draft(args: argparse.Namespace) -> int:
    """Draft from the chosen source and write or print it; a source that cannot be read says why."""
    from dagster_cx.sources.qualtrics.client import QualtricsError
    from dagster_cx.sources.surveys.wide_files import ExportFileError

    if args.out and args.out.exists():
        print(f"{args.out} exists: choose another --out, or delete it to draft it again.", file=sys.stderr)
        return 1
    try:
        draft = _draft(args)
    except (ExportFileError, QualtricsError, OSError, ValueError, KeyError) as error:
        print(f"Cannot draft a mapping: {error}", file=sys.stderr)
        return 1
    text = render(draft)
    guesses = text.count("# GUESS:")
    if not args.out:
        print(text, end="")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"Wrote {args.out}: {len(draft.questions)} question column(s), {guesses} guess(es) marked GUESS. Check "
          "them, delete `draft: true`, and put the file where its source reads it (README: 'Connect your survey "
          "tool').")
    return 0


def _draft(args: argparse.Namespace) -> Draft:
    from dagster_cx.sources.qualtrics.definition import draft_from_definition, draft_from_export
    from dagster_cx.sources.surveys.wide_draft import draft_from_wide

    if args.qualtrics_definition:
        return draft_from_definition(json.loads(args.qualtrics_definition.read_text(encoding="utf-8")))
    if args.qualtrics_survey:
        return draft_from_definition(_fetch_definition(args.qualtrics_survey))
    if args.qualtrics_export:
        return draft_from_export(args.qualtrics_export)
    return draft_from_wide(args.wide, args.header_rows)


def _fetch_definition(survey_id: str) -> dict:
    from dagster_cx.sources.qualtrics.client import (
        BASE_URL_VARIABLE,
        QualtricsError,
        QualtricsSettings,
        api_client,
        result_of,
    )

    base_url = os.environ.get(BASE_URL_VARIABLE, "").strip()
    if not base_url:
        raise QualtricsError(f"{BASE_URL_VARIABLE} is not set: set it to https://<data center>.qualtrics.com.")
    api = api_client(QualtricsSettings(base_url, Path.cwd()))
    return result_of(api.get(f"/survey-definitions/{survey_id}"), f"reading the definition of survey {survey_id}")
