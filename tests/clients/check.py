"""Calls logam through a client that openapi-python-client generated from /openapi.json.

Run by tests/clients.rs:  python check.py BASE_URL  (with the generated package on the path).
Prints one line per call; raises on anything a client's user would trip over.
"""

import sys

from logam_client import Client
from logam_client.api.datasets import datasets
from logam_client.api.indicators import indicator
from logam_client.api.rows import rows
from logam_client.api.sql import sql, sql_json, sql_post
from logam_client.models import (
    DatasetList,
    IndicatorId,
    IndicatorResult,
    RowsId,
    RowsPage,
    SqlJson,
    SqlResult,
    SqlStatementParameters,
)

client = Client(base_url=sys.argv[1], raise_on_unexpected_status=True)


def expect(value, kind, what):
    if not isinstance(value, kind):
        raise SystemExit(f"{what}: expected {kind.__name__}, got {type(value).__name__}: {value!r}")
    return value


listed = expect(datasets.sync(client=client), DatasetList, "datasets")
print("datasets", len(listed.datasets), listed.datasets[0].id)

page = expect(rows.sync(RowsId("kbli"), client=client, field_size=2), RowsPage, "rows")
print("rows", len(page.rows))

# The statement's named parameters: the operation's `params` argument used to collide with
# the generator's own variable of that name.
answer = sql.sync(
    client=client,
    sql="SELECT :nama AS nama, count(*) AS n FROM kbli",
    statement_parameters=SqlStatementParameters.from_dict({"nama": "logam"}),
)
answer = expect(answer, SqlResult, "sql")
first = answer.rows[0].to_dict()
if first != {"nama": "logam", "n": len(rows.sync(RowsId("kbli"), client=client).rows)}:
    raise SystemExit(f"sql: unexpected row {first}")
print("sql", first)

posted = sql_post.sync(client=client, body=SqlJson.from_dict({"sql": "SELECT 1 AS satu"}))
print("sql_post", expect(posted, SqlResult, "sql_post").rows[0].to_dict())

# A JSON download is a typed list of row objects, not an untyped blob.
downloaded = expect(sql_json.sync(client=client, sql="SELECT 2 AS dua"), list, "sql.json")
print("sql.json", downloaded[0].to_dict())

result = expect(indicator.sync(IndicatorId("cagr"), client=client), IndicatorResult, "indicator")
print("indicator", len(result.rows))
print("python client: every call passed")
