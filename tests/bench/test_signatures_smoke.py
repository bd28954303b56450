"""The signature benchmark's own code, one operation per figure (structure only, never timings).

No ``django_db`` mark: the benchmark must not need the database.
"""

from tests.bench.run import BENCHES, _arguments
from tests.bench.signatures import (
    KEY_LOAD,
    KEYS,
    PDF_INVISIBLE,
    PDF_INVISIBLE_KEPT_KEY,
    PDF_TIMESTAMPED,
    PDF_VERIFY,
    PDF_VERIFY_TIMESTAMPED,
    PDF_VISIBLE,
    RAW_SIGN,
    RAW_VERIFY,
    XML_SIGN,
    XML_VERIFY,
    signatures_machine,
    signatures_measure,
    signatures_table,
)

MEASUREMENTS = [
    RAW_SIGN,
    RAW_VERIFY,
    KEY_LOAD,
    PDF_INVISIBLE,
    PDF_INVISIBLE_KEPT_KEY,
    PDF_VISIBLE,
    PDF_TIMESTAMPED,
    PDF_VERIFY,
    PDF_VERIFY_TIMESTAMPED,
    XML_SIGN,
    XML_VERIFY,
]


def test_every_figure_is_measured_for_both_keys_and_compared_with_its_raw_operation():
    # Before timing, the bench checks that every signed document verifies as valid (B-T with its time stamp).
    bench = signatures_measure(seconds=0, warmup_seconds=0)

    assert [(timing.key, timing.measurement) for timing in bench.timings] == [
        (key, measurement) for key in KEYS for measurement in MEASUREMENTS
    ]
    assert all(timing.count >= 1 and timing.seconds > 0 and timing.per_second > 0 for timing in bench.timings)
    documents = [timing for timing in bench.timings if timing.baseline]
    assert {timing.measurement for timing in documents} == set(MEASUREMENTS) - {RAW_SIGN, RAW_VERIFY, KEY_LOAD}
    assert all(timing.baseline in (RAW_SIGN, RAW_VERIFY) for timing in documents)
    assert all(timing.heap_peak is not None and timing.heap_peak > 0 for timing in documents)
    assert 20_000 < bench.pdf_bytes < 40_000 and 15_000 < bench.xml_bytes < 30_000

    table = signatures_table(bench.timings)
    assert table.count("\n") == 2 + len(KEYS) * len(MEASUREMENTS)
    assert table.count("× raw sign") == len(KEYS) * 5 and table.count("× raw verify") == len(KEYS) * 3
    assert "cores" in signatures_machine()


def test_one_part_of_the_benchmark_can_be_run_alone():
    assert BENCHES == (
        "foundation",
        "signatures",
        "edxml",
        "exchange",
        "notifications",
        "dossiers",
        "payments",
        "feedback",
    )
    assert _arguments(["--only", "signatures"]).only == "signatures"
    arguments = _arguments(["--postgres"])
    assert arguments.postgres and arguments.only is None
