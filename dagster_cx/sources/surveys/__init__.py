"""Survey tools' exports mapped onto the contract by a declarative mapping file, whatever the tool.

A survey mapping (YAML, one per survey: mapping.py) says which column holds what: the
response's id, time, customer, channel, touchpoint and language, and per question column what
it measures, on which scale, with which labels. records.py turns records (one per response,
column -> text, from a Qualtrics export, the Qualtrics API or any wide export) into the
contract's questions, responses and answers; wide_files.py reads one-row-per-response files
(SurveyMonkey, Google Forms, Typeform, Medallia...); exports.py is the file-drop source;
draft.py writes a first mapping for the user to check.
"""
