"""docs/deploy.md's answer to "does today's schema have the distribution column in
every key" is read from the models, and cannot go stale."""

from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint

from tools import distribution_keys
from tools.architecture import rewritten


def test_the_doc_holds_the_table_of_todays_schema():
    text = distribution_keys.DOC.read_text()
    fresh = rewritten(
        text,
        distribution_keys.generated_block(),
        distribution_keys.BEGIN,
        distribution_keys.END,
    )

    assert fresh == text, "docs/deploy.md is stale: run `python -m tools.distribution_keys`"


def _table(*extra: Column[int] | Column[str] | UniqueConstraint) -> Table:
    return Table("t", MetaData(), Column("id", Integer, primary_key=True), *extra)


def test_a_key_without_the_merchant_must_be_widened():
    keys = distribution_keys.table_keys(
        _table(
            Column("merchant_id", Integer),
            Column("code", String, unique=True),
            Column("email", String),
            UniqueConstraint("merchant_id", "email"),
        )
    )

    assert keys.lacking == [("id",), ("code",)]
    assert keys.verdict == "widen: (id), (code)"


def test_a_table_keyed_by_the_merchant_is_ready():
    table = Table(
        "t", MetaData(), Column("merchant_id", Integer, primary_key=True), Column("x", String)
    )

    assert distribution_keys.table_keys(table).verdict == "ready"


def test_a_table_without_the_merchant_column_says_so():
    keys = distribution_keys.table_keys(_table(Column("key", String, unique=True)))

    assert keys.column is None
    assert keys.verdict == "no merchant: decide"


def test_every_table_of_the_schema_is_in_the_doc():
    block = distribution_keys.generated_block()

    for table in distribution_keys.schema():
        assert f"| `{table.name}` |" in block
