"""The exchange benchmark's own code with two documents (structure only, never timings): two real nodes."""

from tests.bench.exchange import exchange_measure, exchange_table


def test_two_nodes_exchange_documents_and_the_table_is_written(tmp_path, settings):
    settings.PKI_DIR = str(tmp_path / "pki")
    bench = exchange_measure(documents=2, concurrency=2, attachment_kib=100, raw_seconds=0.3, base=tmp_path)
    assert bench.documents == 2 and len(bench.latencies) == 2
    assert all(latency > 0 for latency in bench.latencies) and bench.seconds > 0
    assert bench.attachment_bytes >= 90 * 1024 and bench.package_bytes > bench.attachment_bytes
    assert set(bench.raw) == {
        "GET /healthz, 1 thread",
        "GET /healthz, 2 threads",
        "POST of the package, refused unsigned, 1 thread",
    }
    assert all(rate > 0 for rate in bench.raw.values())
    table = exchange_table(bench)
    assert table.count("\n") == 2 + 5 + 3 and len(bench.send_seconds) == 2
