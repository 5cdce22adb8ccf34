"""Case list SQL: the newest-first shortcut returns exactly the rows of a full sort."""

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pytest

from cases import CaseQuery, CaseSort
from cases.case_list import count_sql, page_sql
from cases.migrations import migrate


@pytest.fixture(scope="module")
def summaries():
    connection = duckdb.connect(":memory:")
    migrate(connection, label=":memory:")
    rng = np.random.default_rng(7)
    start = datetime(2025, 1, 1)
    # Mostly increasing creation times (as imports arrive), with ties and a few late rows.
    minutes = np.sort(rng.integers(0, 5000, 1000))
    minutes[rng.integers(0, 1000, 30)] = rng.integers(0, 5000, 30)
    rows = [
        (
            f"C{i:06d}",
            start + timedelta(minutes=int(m)),
            int(rng.integers(0, 3)),
            int(rng.integers(0, 2)),
        )
        for i, m in enumerate(minutes, start=1)
    ]
    connection.executemany(
        "INSERT INTO case_summaries VALUES (?, ?, 1, 'DX', 'PA', 'PixelSpacing', ?, ?, 0, NULL, [], [])",
        rows,
    )
    return connection, rows


@pytest.mark.parametrize("page", [1, 2, 7, 19, 20])
@pytest.mark.parametrize("has_warnings", [None, True])
def test_newest_first_pages_match_a_full_sort(summaries, page, has_warnings):
    connection, rows = summaries
    query = CaseQuery(
        sort=CaseSort.NEWEST, page=page, page_size=50, has_warnings=has_warnings
    )
    matching = [r for r in rows if has_warnings is None or r[2] > 0]
    expected = sorted(matching, key=lambda r: (r[1], r[0]), reverse=True)[
        (page - 1) * 50 : page * 50
    ]
    total = connection.execute(*count_sql(query)).fetchone()[0]
    assert total == len(matching)

    shortcut = connection.execute(*page_sql(query, total)).fetchall()
    plain = connection.execute(*page_sql(query)).fetchall()

    assert [r[0] for r in shortcut] == [r[0] for r in expected]
    assert shortcut == plain
    assert "quantile_disc" in page_sql(query, total)[0] or total <= 4 * page * 50
