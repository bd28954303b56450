"""The edXML benchmark's own code, each operation once and a small large package (structure only, never timings)."""

import pytest

from tests.bench.edxml import LARGE_OPERATIONS, MEASUREMENTS, edxml_measure, edxml_table

pytestmark = pytest.mark.django_db(transaction=True)  # the child processes need no database; the seal's row does


def test_every_figure_is_measured_and_the_large_package_in_child_processes():
    bench = edxml_measure(seconds=0, warmup_seconds=0, large_mib=1)

    assert [timing.measurement for timing in bench.timings] == list(MEASUREMENTS)
    assert all(timing.count >= 1 and timing.per_second > 0 for timing in bench.timings)
    assert 100 * 1024 < bench.package_bytes < 160 * 1024
    assert [item.operation for item in bench.memory] == list(LARGE_OPERATIONS)
    assert all(item.peak_rss > 0 and item.peak_rss >= item.extra >= 0 for item in bench.memory)
    assert 1024 * 1024 < bench.large_package_bytes < 2 * 1024 * 1024
    table = edxml_table(bench)
    assert table.count("packages/s") == len(MEASUREMENTS) and table.count(" MiB |") == 2 * len(LARGE_OPERATIONS)
