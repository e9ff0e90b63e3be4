"""Outbox: idempotent adds, conflicting bytes, state transitions, replacement chains, WAL mode,
a reopened file keeps everything, read-only readers beside the writer, the sample buffer and
measured epochs (no chain needed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from compute_rwa.errors import InvalidInputError
from compute_rwa.oracle.outbox import SCHEMA_VERSION, Outbox
from compute_rwa.oracle.reports import Report
from compute_rwa.telemetry.samples import GpuSample

INVENTORY = bytes(range(32))


def report(asset_id: int, epoch: int, utilization_bps: int = 7_500) -> Report:
    return Report(asset_id, epoch, INVENTORY, utilization_bps, 9_900, 6_000, 4_500, 4_500)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.sqlite"


@pytest.fixture
def outbox(path: Path):
    with Outbox(path) as box:
        yield box


def test_add_is_idempotent_and_pending_is_ordered_by_epoch_then_asset(outbox):
    reports = [report(2, 11), report(1, 11), report(2, 10), report(1, 10)]
    assert outbox.add(reports) == 4
    assert outbox.add(reports) == 0
    assert outbox.add([report(1, 10), report(3, 10)]) == 1
    assert [r.key for r in outbox.pending()] == [(1, 10), (2, 10), (3, 10), (1, 11), (2, 11)]
    assert [r.key for r in outbox.pending(limit=2)] == [(1, 10), (2, 10)]
    assert outbox.pending()[0] == report(1, 10)
    assert outbox.counts() == {"pending": 5, "sent": 0, "done": 0, "rejected": 0}


def test_same_key_with_different_bytes_is_refused_and_nothing_of_the_call_is_stored(outbox):
    outbox.add([report(1, 10)])
    with pytest.raises(InvalidInputError) as info:
        outbox.add([report(2, 10), report(1, 10, utilization_bps=1)])
    assert info.value.source == "outbox"
    assert info.value.field == "asset/epoch"
    assert "1/10" in info.value.problem
    assert [r.key for r in outbox.pending()] == [(1, 10)]  # (2, 10) rolled back with the call


def test_a_sent_report_still_refuses_other_bytes(outbox):
    outbox.add([report(1, 10)])
    outbox.mark_sent([(1, 10)], b"\x01" * 32, 0, b"raw")
    assert outbox.add([report(1, 10)]) == 0
    with pytest.raises(InvalidInputError, match="sent"):
        outbox.add([report(1, 10, utilization_bps=1)])


def test_state_transitions(outbox):
    outbox.add([report(1, 10), report(2, 10), report(3, 10), report(4, 10)])
    tx = b"\xaa" * 32
    outbox.mark_sent([(1, 10), (2, 10)], tx, 7, b"raw-1", data=b"calldata", gas=100_000, max_fee=30, tip=2)
    row = outbox.get((1, 10))
    assert row is not None and row.state == "sent" and row.tx_hash == tx and row.attempts == 1

    (batch,) = outbox.in_flight()
    assert batch.keys == ((1, 10), (2, 10))
    assert batch.nonce == 7 and batch.raw_tx == b"raw-1" and batch.tx_hashes == (tx,)
    assert batch.latest.data == b"calldata" and batch.latest.max_fee == 30 and batch.latest.tip == 2

    with pytest.raises(InvalidInputError, match="not pending"):  # already in a transaction
        outbox.mark_sent([(1, 10)], b"\xbb" * 32, 8, b"raw-2")
    with pytest.raises(InvalidInputError, match="unknown"):
        outbox.mark_sent([(9, 9)], b"\xbb" * 32, 8, b"raw-2")

    assert outbox.mark_done([(1, 10)], tx) == 1
    assert outbox.release([(2, 10)], "dropped") == 1
    outbox.mark_rejected((3, 10), "OracleValueOutOfBounds(...)")
    assert outbox.mark_done([(4, 10)], None) == 1  # found on chain already

    assert outbox.counts() == {"pending": 1, "sent": 0, "done": 2, "rejected": 1}
    assert outbox.in_flight() == []
    released = outbox.get((2, 10))
    assert released is not None and released.state == "pending" and released.error == "dropped"
    assert released.attempts == 1 and released.tx_hash is None
    rejected = outbox.get((3, 10))
    assert rejected is not None and rejected.error == "OracleValueOutOfBounds(...)"
    assert outbox.get((4, 10)).tx_hash is None  # type: ignore[union-attr]
    assert outbox.get((1, 10)).tx_hash == tx  # type: ignore[union-attr]

    # Final states stay final.
    assert outbox.mark_done([(3, 10)], None) == 0
    assert outbox.release([(1, 10)]) == 0
    outbox.mark_rejected((1, 10), "late")
    assert outbox.get((1, 10)).state == "done"  # type: ignore[union-attr]
    assert [r.key for r in outbox.rows("done")] == [(1, 10), (4, 10)]


def test_a_replacement_joins_its_nonce_chain(outbox):
    outbox.add([report(1, 10), report(2, 10)])
    first, second = b"\x01" * 32, b"\x02" * 32
    outbox.mark_sent([(1, 10), (2, 10)], first, 3, b"raw-1", data=b"cd", gas=90_000, max_fee=100, tip=10)
    outbox.mark_replaced(first, second, b"raw-2", max_fee=113, tip=12)
    with pytest.raises(InvalidInputError, match="already replaced"):
        outbox.mark_replaced(first, b"\x03" * 32, b"raw-3")

    (batch,) = outbox.in_flight()
    assert batch.tx_hashes == (first, second)
    assert batch.latest.nonce == 3 and batch.latest.data == b"cd" and batch.latest.gas == 90_000
    assert batch.latest.max_fee == 113 and batch.txs[0].replaced_by == second
    assert outbox.get((1, 10)).tx_hash == second  # type: ignore[union-attr]
    assert [t.tx_hash for t in outbox.transactions()] == [first, second]


def test_in_flight_groups_by_nonce(outbox):
    outbox.add([report(1, 10), report(2, 10), report(1, 11)])
    outbox.mark_sent([(1, 11)], b"\x02" * 32, 5, b"b")
    outbox.mark_sent([(1, 10), (2, 10)], b"\x01" * 32, 4, b"a")
    assert [(b.nonce, b.keys) for b in outbox.in_flight()] == [(4, ((1, 10), (2, 10))), (5, ((1, 11),))]


def test_the_file_is_wal_with_full_sync_and_a_schema_version(outbox, path):
    assert outbox.journal_mode() == "wal"
    assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert outbox.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file


def test_a_newer_schema_is_refused(path):
    Outbox(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(InvalidInputError, match="knows up to"):
        Outbox(path)


def test_reopening_keeps_everything(path):
    samples = [GpuSample(1000.0, "GPU-a", 5000, 300_000), GpuSample(1000.0, "GPU-b", None, None, False, "nvml")]
    with Outbox(path) as box:
        box.bind(31337, "0x" + "ab" * 20)
        box.add([report(1, 10), report(2, 10), report(3, 10)], measured_epoch=10)
        box.mark_sent([(1, 10)], b"\x01" * 32, 0, b"raw", data=b"cd", gas=1, max_fee=5, tip=1)
        box.mark_rejected((2, 10), "bounds")
        box.record_samples(samples)
    with Outbox(path) as box:
        assert box.counts() == {"pending": 1, "sent": 1, "done": 0, "rejected": 1}
        (batch,) = box.in_flight()
        assert batch.raw_tx == b"raw" and batch.keys == ((1, 10),)
        assert box.get((2, 10)).error == "bounds"  # type: ignore[union-attr]
        assert box.samples_between(0, 2000) == samples
        assert box.is_measured(10) and box.last_measured() == 10
        box.bind(31337, "0x" + "AB" * 20)  # same oracle (case-insensitive): fine
        with pytest.raises(InvalidInputError, match="belongs to"):
            box.bind(1, "0x" + "ab" * 20)
    with Outbox(path, read_only=True) as reader:  # no writer open: the status CLI alone
        assert reader.counts() == {"pending": 1, "sent": 1, "done": 0, "rejected": 1}


def test_a_read_only_reader_beside_the_writer(path):
    with Outbox(path) as writer:
        writer.add([report(1, 10)])
        with Outbox(path, read_only=True) as reader:
            assert reader.counts()["pending"] == 1
            writer.add([report(2, 10)])  # the reader does not block the writer
            assert reader.counts()["pending"] == 2
            with pytest.raises(InvalidInputError, match="read-only"):
                reader.add([report(3, 10)])
    with pytest.raises(InvalidInputError, match="does not exist"):
        Outbox(path.with_name("missing.sqlite"), read_only=True)


def test_sample_buffer(outbox):
    samples = [GpuSample(float(t), f"GPU-{g}", 100 * t, 1000 * t, True, "nvml") for t in range(10) for g in "ab"]
    assert outbox.record_samples(samples) == 20
    assert outbox.record_samples(samples[:4]) == 0  # re-read after a restart: not counted twice
    window = outbox.samples_between(2, 5)
    assert [(s.timestamp, s.gpu_uuid) for s in window] == [(t, f"GPU-{g}") for t in (2.0, 3.0, 4.0) for g in "ab"]
    assert window[0] == samples[4]
    assert outbox.prune_samples(5) == 10
    assert outbox.samples_between(0, 100) == samples[10:]


def test_measured_epochs(outbox):
    assert outbox.last_measured() is None and not outbox.is_measured(5)
    outbox.mark_measured(5)
    outbox.mark_measured(5)
    outbox.add([report(1, 7)], measured_epoch=7)
    outbox.add([report(1, 7)], measured_epoch=7)
    assert outbox.is_measured(5) and outbox.is_measured(7) and not outbox.is_measured(6)
    assert outbox.last_measured() == 7


def test_a_refused_add_does_not_mark_its_epoch_measured(outbox):
    outbox.add([report(1, 7)])
    with pytest.raises(InvalidInputError):
        outbox.add([report(1, 7, utilization_bps=1)], measured_epoch=7)
    assert not outbox.is_measured(7)


def test_asset_ids_beyond_sqlite_integers_are_refused(outbox):
    with pytest.raises(InvalidInputError, match="asset_id"):
        outbox.add([report(2**63, 1)])


def test_unknown_state_filter_is_refused(outbox):
    with pytest.raises(InvalidInputError, match="state"):
        outbox.rows("lost")
