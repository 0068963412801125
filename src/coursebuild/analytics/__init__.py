"""Learner analytics: `coursebuild report`.

This package owns everything between xAPI statements and the analytics report:

- `sources.py` reads statements from an LRS (xAPI Statements API), a JSON or JSON-lines export, or a
  ClickHouse table that an LRS already keeps (read in place);
- `store.py` is the one small interface over chDB (embedded ClickHouse, the default) and a ClickHouse
  server or cluster (`clickhouse-connect`); both run the same SQL;
- `queries.py` holds that SQL: the schema, the parsing of raw statements, data-quality classification
  and every figure of the report (aggregation happens in ClickHouse, never in Python);
- `quality.py` names and explains the data-quality classes;
- `charts.py` draws the charts (Vega-Lite through altair, rendered to inline SVG by vl-convert);
- `report.py` runs it all and writes the HTML page (Jinja2), plus CSV and JSON of every table.

The command line (`cli/__init__.py`) only parses options and calls `report.run`.

May import: `coursebuild.tracking` (the vocabulary the statements use), `catalogue`, `coverage`, `errors`
and, to know a course's activities, `pipeline.build`; never a target, the inspector or the CLI.
"""
