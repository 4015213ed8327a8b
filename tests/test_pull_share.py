"""The measurement behind the read-replica decision (docs/deploy.md) counts what it
says: the CPU of this run's database backends and of the server, per push op and per
pull, and every till's pull after every push."""

from bench import pull_share


def test_the_pull_share_measures_database_and_server_cpu_per_pull_and_per_op():
    figures = pull_share.run(tills=2, rounds=10, batch=5, cards=50)

    assert figures["pull_share_ops_applied"] == 50
    assert figures["pull_share_pages"] >= 2 * 10
    assert figures["pull_share_db_cpu_ms_per_pull"] > 0
    assert figures["pull_share_server_cpu_ms_per_pull"] > 0
    assert figures["pull_share_db_cpu_ms_per_push_op"] > 0
    assert 0 < figures["pull_share_of_db_cpu"] < 1
