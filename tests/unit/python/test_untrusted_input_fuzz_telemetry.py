"""Fuzzing of untrusted input, part 1: what the feeder and the signers read from machines and from
the network. nvidia-smi CSV, DCGM scrapes (Prometheus text), a Prometheus server's answers,
recorded traces, the operator's inventory file, packed oracle reports and the signer service's
HTTP requests.

Every property has the same shape: arbitrary input, or a real sample mutated (a field replaced
with junk, NaN / inf / negative / huge numbers, wrong units, columns dropped, duplicated or
swapped, truncated lines, bytes that are not UTF-8), is either parsed into values within
physical bounds that are what the input says, or refused with the project's own error naming
the source and the field. Never a builtin exception leaking, never a 500, never a silent zero.
Valid generated input round-trips exactly. The CLI's side: test_untrusted_input_fuzz_cli.py.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import string
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from email.message import Message
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils import is_checksum_address
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from compute_rwa.errors import ComputeRwaError, InvalidInputError
from compute_rwa.oracle.inventory import parse_inventory_file
from compute_rwa.oracle.reports import REPORT_BYTES, Report, pack_reports, unpack_reports
from compute_rwa.oracle.signer_service import MAX_BODY_BYTES, SignerService, _Handler, _Server
from compute_rwa.telemetry.dcgm import POWER, UTIL, PrometheusSource, parse_exposition
from compute_rwa.telemetry.nvidia_smi import parse_query_gpu_csv
from compute_rwa.telemetry.samples import GpuSample
from compute_rwa.telemetry.traces import BUNDLED_TRACE, read_duty_cycle_trace
from compute_rwa.telemetry.units import MAX_GPU_POWER_W, UNAVAILABLE, parse_quantity

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telemetry"
SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"  # the team's data folder, when there


def _samples(folder: str, pattern: str) -> list[tuple[str, str]]:
    paths = sorted((FIXTURES / folder).glob(pattern))
    paths += sorted((SHARED / folder / "extracted").glob(pattern)) if SHARED.is_dir() else []
    return [(p.name, p.read_text()) for p in paths]


SMI_SAMPLES = _samples("nvidia_smi", "*query_gpu*.csv")
DCGM_SAMPLES = _samples("dcgm", "*.prom")
#: The head of the bundled (real) Alibaba trace.
BUNDLED_TRACE_HEAD = "\n".join(
    resources.files("compute_rwa.data.traces").joinpath(BUNDLED_TRACE).read_text().splitlines()[:40]
)


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
    )


MAX_MW = MAX_GPU_POWER_W * 1000


@pytest.fixture(autouse=True)
def isolation():
    """No chain needed here (the root conftest's isolation would start one)."""
    yield


# ------------------------------------------------------------------------------ junk

#: Values a broken or hostile exporter might print where a number belongs.
JUNK_NUMBERS = st.sampled_from(
    [
        "NaN", "nan", "+Inf", "-Inf", "inf", "Infinity", "-1", "-0.01", "-0", "1e400", "1e30", "1E3",
        "99999999999999999999999999999999", "1" * 400, "0x10", "1_000", "١٢", "12.5.3", ".5", "5.",
        "", " ", "[N/A]", "[Not Supported]", "N/A", "null", "true", "\x00", "12\x00", "42 %", "300 W",
        "300 V", "300 mW", "300 kW", "42 %%", "%", "W", "--1", "1e-400", "4,2", "٣٠٠ W", "3\u00a0W",
    ]
)  # fmt: skip
JUNK = st.one_of(JUNK_NUMBERS, st.text(max_size=12), st.floats().map(repr), st.integers().map(str))


def _assert_names(exc: ComputeRwaError, source: str, fields: set[str] | None = None) -> None:
    """The project's error, naming the source (and, when given, one of `fields`)."""
    assert isinstance(exc, InvalidInputError), repr(exc)
    assert exc.source.startswith(source), (exc.source, source)
    if fields is not None:
        assert exc.field in fields, (exc.field, fields)
    assert exc.field in str(exc) and exc.source in str(exc)


def _expected_quantity(raw: str, scale: int) -> int | None | str:
    """What a nvidia-smi cell says, worked out independently: None for unavailable, the value
    in 1/scale units, or "bad" for anything that is not `number [unit]`."""
    text = raw.strip()
    if text.lower() in UNAVAILABLE:
        return None
    found = re.fullmatch(r"(-?[0-9]+(?:\.[0-9]+)?)\s*([A-Za-z%]*)", text, re.ASCII)
    if found is None:
        return "bad"
    return int((Decimal(found.group(1)) * scale).to_integral_value(rounding=ROUND_HALF_UP))


def _check_sample_bounds(sample: GpuSample) -> None:
    assert sample.utilization_bps is None or 0 <= sample.utilization_bps <= 10_000
    assert sample.power_mw is None or 0 <= sample.power_mw <= MAX_MW
    assert math.isfinite(sample.timestamp)
    assert sample.gpu_uuid.strip() == sample.gpu_uuid and sample.gpu_uuid


# ------------------------------------------------------------------------------ nvidia-smi

SMI_FIELDS = {"header", "csv", "row", "timestamp", "uuid", "utilization.gpu", "power.draw"}

uuids = st.uuids().map(lambda u: f"GPU-{u}")
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)
percents = st.one_of(
    st.integers(0, 100).map(Decimal), st.decimals(0, 100, places=2, allow_nan=False, allow_infinity=False)
)
watts = st.decimals(0, MAX_GPU_POWER_W, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def smi_outputs(draw: st.DrawFn) -> tuple[str, list[tuple[float, str, int | None, int | None]]]:
    """A valid `nvidia-smi --query-gpu` CSV from random values (units or nounits, extra columns,
    any column order) and the samples it says."""
    units = draw(st.booleans())
    extra = draw(st.lists(st.sampled_from(["name", "pci.bus_id", "memory.used [MiB]", "fan.speed [%]"]), unique=True))
    columns = ["timestamp", "uuid", "utilization.gpu [%]", "power.draw [W]", *extra]
    columns = draw(st.permutations(columns))
    rows, expected = [], []
    for _ in range(draw(st.integers(1, 8))):
        moment, uuid = draw(moments), draw(uuids)
        util = draw(st.one_of(st.none(), percents))
        power = draw(st.one_of(st.none(), watts))
        cells = {
            "timestamp": moment.strftime("%Y/%m/%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}",
            "uuid": uuid,
            "utilization.gpu [%]": "[N/A]" if util is None else (f"{util} %" if units else str(util)),
            "power.draw [W]": "[N/A]" if power is None else (f"{power} W" if units else str(power)),
            "name": "NVIDIA H100 80GB HBM3",
            "pci.bus_id": "00000000:09:00.0",
            "memory.used [MiB]": "1 MiB" if units else "1",
            "fan.speed [%]": "[N/A]",
        }
        rows.append(", ".join(cells[c] for c in columns))
        expected.append(
            (
                moment.replace(tzinfo=UTC).timestamp(),
                uuid,
                None if util is None else int((util * 100).to_integral_value(ROUND_HALF_UP)),
                None if power is None else int((power * 1000).to_integral_value(ROUND_HALF_UP)),
            )
        )
    return ", ".join(columns) + "\n" + "\n".join(rows) + "\n", expected


@fuzz(150)
@given(smi_outputs())
def test_nvidia_smi_round_trip_of_generated_output(generated):
    text, expected = generated
    samples = parse_query_gpu_csv(text, source="gen")
    assert [(s.timestamp, s.gpu_uuid, s.utilization_bps, s.power_mw) for s in samples] == expected


def _smi_check(text: str, source: str) -> None:
    """Parse `text`: refused naming the source and a field, or every sample is what the text says
    (checked against an independent reading of the cells) and within bounds."""
    try:
        samples = parse_query_gpu_csv(text, source=source)
    except InvalidInputError as exc:
        event(f"refused: {exc.field}")
        _assert_names(exc, source, SMI_FIELDS)
        return
    event("parsed")
    rows = [r for r in csv.reader(text.splitlines(), skipinitialspace=True) if r]
    header = [c.split(" [", 1)[0].strip() for c in rows[0]]
    assert len(samples) == len(rows) - 1
    for sample, row in zip(samples, rows[1:], strict=True):
        _check_sample_bounds(sample)
        cells = dict(zip(header, row, strict=True))
        assert sample.gpu_uuid == cells["uuid"].strip()
        assert sample.utilization_bps == _expected_quantity(cells.get("utilization.gpu", "[N/A]"), 100)
        assert sample.power_mw == _expected_quantity(cells.get("power.draw", "[N/A]"), 1000)


@st.composite
def mutated_smi(draw: st.DrawFn) -> str:
    """A real nvidia-smi capture with one to three mutations."""
    _name, text = draw(st.sampled_from(SMI_SAMPLES))
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["cell", "key-cell", "drop-column", "drop-cell", "dup-column", "swap", "truncate", "line"])
        )
        header, *data = [line.split(", ") for line in lines] or [[""]]
        names = [c.split(" [", 1)[0] for c in header]
        if kind in ("cell", "key-cell") and data:
            row = draw(st.sampled_from(data))
            keys = [i for i, n in enumerate(names) if n in ("timestamp", "uuid", "utilization.gpu", "power.draw")]
            pool = [i for i in keys if i < len(row)] if kind == "key-cell" else []
            if row:
                at = draw(st.sampled_from(pool or list(range(len(row)))))
                row[at] = draw(JUNK).replace(",", ";").replace("\n", " ")
        elif kind == "drop-column":
            index = draw(st.integers(0, max(len(header) - 1, 0)))
            for row in [header, *data]:
                del row[index : index + 1]
        elif kind == "drop-cell" and data:
            row = draw(st.sampled_from(data))
            if row:
                row.pop(draw(st.integers(0, len(row) - 1)))
        elif kind == "dup-column":
            index = draw(st.integers(0, max(len(header) - 1, 0)))
            for row in [header, *data]:
                if index < len(row):
                    row.insert(index, row[index])
        elif kind == "swap" and data:
            row = draw(st.sampled_from(data))
            i, j = draw(st.integers(0, len(row) - 1)), draw(st.integers(0, len(row) - 1))
            row[i], row[j] = row[j], row[i]
        lines = [", ".join(row) for row in [header, *data]]
        if kind == "truncate":
            joined = "\n".join(lines)
            lines = joined[: draw(st.integers(0, len(joined)))].splitlines()
        elif kind == "line":
            lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=40)).replace("\n", " "))
    return "\n".join(lines) + "\n"


@fuzz(300)
@given(mutated_smi())
def test_nvidia_smi_mutated_real_captures_are_refused_or_read_as_written(text):
    _smi_check(text, "host-7")


@fuzz(200)
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(max_size=100).map(lambda t: "timestamp, uuid, utilization.gpu [%], power.draw [W]\n" + t),
        st.lists(JUNK, min_size=4, max_size=5).map(
            lambda cells: "timestamp, uuid, utilization.gpu [%], power.draw [W]\n"
            + "2026/01/01 00:00:00.000, GPU-1, "
            + ", ".join(c.replace(",", ";").replace("\n", " ") for c in cells[2:4])
        ),
    )
)
def test_nvidia_smi_arbitrary_text_never_crashes(text):
    _smi_check(text, "fuzz")


def test_nvidia_smi_refuses_an_over_long_field_and_a_duplicated_column():
    header = "timestamp, uuid, utilization.gpu [%], power.draw [W]\n"
    with pytest.raises(InvalidInputError) as info:
        parse_query_gpu_csv(header + "2026/01/01 00:00:00.000, GPU-1, 1, 1" + "x" * 200_000 + "\n", source="big")
    assert info.value.field == "csv"
    with pytest.raises(InvalidInputError) as info:
        parse_query_gpu_csv(
            "timestamp, uuid, power.draw, power.draw [W]\n2026/01/01 00:00:00.000, GPU-1, 0, 300\n", source="dup"
        )
    assert info.value.field == "power.draw"


@fuzz(200)
@given(st.text(max_size=30), st.sampled_from([("W", 1000, MAX_MW), ("%", 100, None), ("MiB", 1, None)]))
def test_quantities_are_refused_or_exactly_what_they_say(raw, unit_scale):
    unit, scale, maximum = unit_scale
    try:
        value = parse_quantity(raw, source="q", field="f", unit=unit, scale=scale, maximum=maximum)
    except InvalidInputError as exc:
        _assert_names(exc, "q", {"f"})
        return
    expected = _expected_quantity(raw, scale)
    assert value == expected
    if value is not None:
        assert value >= 0 and (maximum is None or value <= maximum)
        found = re.fullmatch(r"-?[0-9.]+\s*([A-Za-z%]*)", raw.strip(), re.ASCII)
        assert found is not None and found.group(1).lower() in ("", unit.lower())


# ------------------------------------------------------------------------------ DCGM

DCGM_FIELDS = {"exposition", UTIL, POWER, f"{UTIL}.UUID", f"{POWER}.UUID"}


def _dcgm_fields(exc: InvalidInputError) -> bool:
    return exc.field in DCGM_FIELDS or re.fullmatch(rf"({UTIL}|{POWER})\{{UUID=.*\}}", exc.field) is not None


@st.composite
def dcgm_scrapes(draw: st.DrawFn) -> tuple[str, dict[str, tuple[int | None, int | None]]]:
    """A valid DCGM exporter scrape from random values (extra labels and metrics, HELP and TYPE
    lines) and what it says per GPU."""
    gpus = draw(st.lists(uuids, min_size=1, max_size=8, unique=True))
    lines = [
        f"# HELP {UTIL} GPU utilization (in %).",
        f"# TYPE {UTIL} gauge",
        f"# HELP {POWER} Power draw (in W).",
        f"# TYPE {POWER} gauge",
    ]
    expected = {}
    for index, uuid in enumerate(gpus):
        labels = f'gpu="{index}",UUID="{uuid}",device="nvidia{index}",modelName="NVIDIA H100 80GB HBM3"'
        util = draw(st.one_of(st.none(), st.integers(0, 100), st.floats(0, 100)))
        power = draw(st.one_of(st.none(), st.floats(0, MAX_GPU_POWER_W)))
        if util is not None:
            lines.append(f"{UTIL}{{{labels}}} {util!r}")
        if power is not None:
            lines.append(f"{POWER}{{{labels}}} {power!r}")
        lines.append(f"DCGM_FI_DEV_SM_CLOCK{{{labels}}} {draw(st.integers(0, 3000))}")
        if util is not None or power is not None:
            expected[uuid] = (
                None if util is None else round(float(util) * 100),
                None if power is None else round(power * 1000),
            )
    order = draw(st.permutations(lines[4:]))
    return "\n".join(lines[:4] + list(order)) + "\n", expected


@fuzz(150)
@given(dcgm_scrapes())
def test_dcgm_round_trip_of_generated_scrapes(generated):
    text, expected = generated
    samples = parse_exposition(text, source="gen", timestamp=7.0)
    assert {s.gpu_uuid: (s.utilization_bps, s.power_mw) for s in samples} == expected
    assert all(s.timestamp == 7.0 for s in samples)


def _value_in_text(text: str, metric: str, uuid: str) -> str | None:
    for line in text.splitlines():
        if line.startswith(metric + "{") and f'UUID="{uuid}"' in line:
            return line.rsplit("}", 1)[-1].split()[0] if line.rsplit("}", 1)[-1].split() else None
    return None


def _dcgm_check(text: str, source: str) -> None:
    try:
        samples = parse_exposition(text, source=source, timestamp=0.0)
    except InvalidInputError as exc:
        event(f"refused: {exc.field}")
        _assert_names(exc, source)
        assert _dcgm_fields(exc), exc.field
        return
    event("parsed")
    assert len({s.gpu_uuid for s in samples}) == len(samples)
    for sample in samples:
        _check_sample_bounds(sample)
        # A reading of zero must be a zero in the text, never junk read as nothing.
        for metric, value, scale in ((UTIL, sample.utilization_bps, 100), (POWER, sample.power_mw, 1000)):
            raw = _value_in_text(text, metric, sample.gpu_uuid)
            if value is not None and raw is not None:
                assert round(float(raw) * scale) == value, (metric, raw, value)


@st.composite
def mutated_dcgm(draw: st.DrawFn) -> str:
    """A real DCGM scrape with one to three mutations."""
    _name, text = draw(st.sampled_from(DCGM_SAMPLES))
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "key-value", "uuid", "dup", "drop", "truncate", "line", "brace"]))
        keyed = [i for i, line in enumerate(lines) if line.startswith((UTIL + "{", POWER + "{"))]
        index = draw(st.sampled_from(keyed)) if keyed and kind != "value" else draw(st.integers(0, len(lines)))
        index = min(index, len(lines) - 1)
        if index < 0:
            break
        line = lines[index]
        if kind in ("value", "key-value") and "}" in line:
            lines[index] = line.rsplit("}", 1)[0] + "} " + draw(JUNK).replace("\n", " ")
        elif kind == "uuid":
            lines[index] = re.sub(
                r'UUID="[^"]*"', draw(st.sampled_from(['UUID=""', "", 'UUID="GPU 1"', 'UUID="x\\ty"'])), line
            )
        elif kind == "dup":
            lines.insert(index, line)
        elif kind == "drop":
            del lines[index]
        elif kind == "truncate":
            lines[index] = line[: draw(st.integers(0, len(line)))]
        elif kind == "line":
            lines.insert(index, draw(st.text(max_size=40)).replace("\n", " "))
        elif kind == "brace":
            lines[index] = line.replace("}", "", 1) if draw(st.booleans()) else line.replace("{", "", 1)
    return "\n".join(lines) + "\n"


@fuzz(300)
@given(mutated_dcgm())
def test_dcgm_mutated_real_scrapes_are_refused_or_read_as_written(text):
    _dcgm_check(text, "node-3")


@fuzz(200)
@given(
    st.one_of(
        st.text(max_size=200),
        st.sampled_from(["# HELP\n", "# TYPE x\n", "# TYPE\n", "#\n", "# HELP x\n", "x{\n", "{}\n", 'a{b="c" 1\n']),
        st.tuples(st.sampled_from([UTIL, POWER]), JUNK).map(lambda p: f'{p[0]}{{UUID="GPU-1"}} {p[1]}\n'),
    )
)
def test_dcgm_arbitrary_text_never_crashes(text):
    _dcgm_check(text, "fuzz")


def test_dcgm_refuses_infinite_and_impossible_power():
    for value in ("+Inf", "1e30", "1e400", "-1", "NaN"):
        with pytest.raises(InvalidInputError) as info:
            parse_exposition(f'{POWER}{{UUID="GPU-1"}} {value}\n', source="n", timestamp=0.0)
        assert info.value.field == POWER


# ------------------------------------------------------------------------------ Prometheus HTTP API

json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
        st.sampled_from(["NaN", "+Inf", "-1", "42", "1e400", "GPU-1"]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12,
)  # fmt: skip
prom_items = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "metric": st.one_of(st.fixed_dictionaries({"UUID": st.one_of(uuids, JUNK, json_values)}), json_values),
            "value": st.one_of(
                st.tuples(st.one_of(st.floats(), st.integers(), json_values), st.one_of(JUNK, json_values)).map(list),
                json_values,
            ),
        }
    ),
)


class _Answers(PrometheusSource):
    def __init__(self, answers: dict[str, Any]) -> None:
        super().__init__("http://prometheus.invalid:9090")
        self.answers = answers

    def _query(self, metric: str) -> list[dict[str, object]]:
        return self.answers[metric]  # type: ignore[no-any-return]


@fuzz(200)
@given(st.lists(prom_items, max_size=4), st.lists(prom_items, max_size=4))
def test_prometheus_answers_are_refused_or_within_bounds(util_items, power_items):
    source = _Answers({UTIL: util_items, POWER: power_items})
    try:
        samples = list(source.poll())
    except InvalidInputError as exc:
        _assert_names(exc, "prometheus http://prometheus.invalid:9090")
        assert exc.field.split(".")[0] in (UTIL, POWER)
        return
    for sample in samples:
        _check_sample_bounds(sample)
        assert sample.timestamp >= 0


# ------------------------------------------------------------------------------ traces


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@fuzz(100)
@given(
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 2**40), st.text(string.hexdigits, min_size=1, max_size=32)),
        min_size=1,
        max_size=20,
    )
)
def test_trace_round_trip_of_generated_files(scratch, rows):
    path = scratch / "trace.csv"
    path.write_text("value,timestamp_anon,container_ip\n" + "".join(f"{b / 100},{t},{pod}\n" for b, t, pod in rows))
    read = read_duty_cycle_trace(path)
    assert [(r.utilization_bps, r.timestamp, r.pod) for r in read] == [(b, float(t), pod) for b, t, pod in rows]


@st.composite
def mutated_trace(draw: st.DrawFn) -> bytes:
    lines = BUNDLED_TRACE_HEAD.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        cells = lines[index].split(",")
        kind = draw(st.sampled_from(["cell", "valid-cell", "drop", "dup", "swap", "truncate", "line", "blank"]))
        if kind == "cell":
            cells[draw(st.integers(0, len(cells) - 1))] = draw(JUNK).replace(",", ";").replace("\n", " ")
        elif kind == "valid-cell":  # another reading, still well formed
            cells[0] = draw(st.one_of(percents.map(str), percents.map(lambda p: f" {p} %")))
        elif kind == "drop":
            cells.pop(draw(st.integers(0, len(cells) - 1)))
        elif kind == "dup":
            cells.insert(0, cells[draw(st.integers(0, len(cells) - 1))])
        elif kind == "swap":
            cells.reverse()
        elif kind == "truncate":
            lines = lines[: index + 1]
            cells = [",".join(cells)[: draw(st.integers(0, len(",".join(cells))))]]
        lines[index] = ",".join(cells)
        if kind == "line":
            lines.insert(index, draw(st.text(max_size=30)).replace("\n", " "))
        elif kind == "blank":
            lines.insert(index + 1, "")
    data = ("\n".join(lines) + "\n").encode()
    if draw(st.integers(0, 9)) == 0:  # not UTF-8
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xfe\xff", b"\x80abc"])) + data[at:]
    return data


def _trace_check(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        rows = read_duty_cycle_trace(path)
    except InvalidInputError as exc:
        event(f"refused: {exc.field}")
        _assert_names(exc, str(path), {"file", "csv", "rows", "row", "value", "timestamp_anon", "container_ip"})
        return
    event("parsed")
    text = data.decode()
    parsed = list(csv.reader(text.splitlines()))
    header = parsed[0]
    by_line = [dict(zip(header, cells, strict=True)) for cells in parsed[1:] if cells]
    assert len(rows) == len(by_line)
    for row, cells in zip(rows, by_line, strict=True):
        assert math.isfinite(row.timestamp) and row.pod
        assert 0 <= row.utilization_bps <= 10_000
        assert row.utilization_bps == _expected_quantity(cells["value"], 100)  # never junk read as 0
        assert row.timestamp == float(cells["timestamp_anon"])


@fuzz(200)
@given(
    st.one_of(
        mutated_trace(),
        mutated_trace(),
        mutated_trace(),
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
    )
)
def test_trace_files_mutated_or_arbitrary_are_refused_or_read_as_written(scratch, data):
    _trace_check(scratch / "mutated.csv", data)


# ------------------------------------------------------------------------------ packed reports

reports = st.builds(
    Report,
    asset_id=st.integers(0, 2**64 - 1),
    epoch=st.integers(0, 2**32 - 1),
    inventory_hash=st.binary(min_size=32, max_size=32),
    utilization_bps=st.integers(0, 2**16 - 1),
    uptime_bps=st.integers(0, 2**16 - 1),
    gpu_hours_milli=st.integers(0, 2**32 - 1),
    energy_wh=st.integers(0, 2**40 - 1),
    avg_power_w=st.integers(0, 2**32 - 1),
)


@fuzz(300)
@given(st.one_of(st.binary(max_size=4 * REPORT_BYTES + 3), st.lists(st.binary(min_size=61, max_size=61)).map(b"".join)))
def test_report_bytes_unpack_and_pack_back_or_are_refused(data):
    try:
        unpacked = unpack_reports(data)
    except InvalidInputError as exc:
        _assert_names(exc, "report", {"length"})
        assert not data or len(data) % REPORT_BYTES
        return
    assert len(unpacked) == len(data) // REPORT_BYTES
    assert pack_reports(unpacked) == data


@fuzz(200)
@given(st.lists(reports, min_size=1, max_size=5))
def test_reports_round_trip(batch):
    assert unpack_reports(pack_reports(batch)) == batch


@fuzz(100)
@given(
    st.sampled_from(
        ["asset_id", "epoch", "utilization_bps", "uptime_bps", "gpu_hours_milli", "energy_wh", "avg_power_w"]
    ),
    st.one_of(st.integers(max_value=-1), st.integers(min_value=2**64), st.floats(), st.text(max_size=3), st.none()),
    reports,
)
def test_report_fields_out_of_their_width_are_refused(name, value, report):
    fields = {**report.__dict__, name: value}
    with pytest.raises(InvalidInputError) as info:
        Report(**fields)
    assert info.value.field == name


# ------------------------------------------------------------------------------ inventory file

INVENTORY_FIELDS = {"file", "entry", "asset_id", "gpu_uuids"}


def _inventory_check(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        entries = parse_inventory_file(path)
    except InvalidInputError as exc:
        event(f"refused: {exc.field}")
        _assert_names(exc, str(path), INVENTORY_FIELDS)
        return
    event("parsed")
    content = json.loads(data)
    assert [e["asset_id"] for e in content] == [a for a, _ in entries]
    assert [tuple(u.strip() for u in e["gpu_uuids"]) for e in content] == [u for _, u in entries]
    ids = [a for a, _ in entries]
    assert len(set(ids)) == len(ids) and all(0 < a < 2**64 for a in ids)
    listed = [u for _, us in entries for u in us]
    assert len(set(listed)) == len(listed) and all(listed)


inventory_entries = st.fixed_dictionaries(
    {"asset_id": st.integers(1, 2**64 - 1), "gpu_uuids": st.lists(uuids, min_size=1, max_size=4, unique=True)}
)


@st.composite
def mutated_inventory(draw: st.DrawFn) -> bytes:
    entries = draw(st.lists(inventory_entries, min_size=1, max_size=4, unique_by=lambda e: e["asset_id"]))
    entry = draw(st.sampled_from(entries))
    kinds = ["asset_id", "gpu_uuids", "uuid", "drop-key", "dup-id", "dup-uuid", "entry", "ok", "ok", "ok", "padded"]
    kind = draw(st.sampled_from(kinds))
    if kind in ("asset_id", "gpu_uuids"):
        entry[kind] = draw(json_values)
    elif kind == "uuid":
        entry["gpu_uuids"][0] = draw(st.one_of(json_values, st.just(""), st.just("  ")))
    elif kind == "drop-key":
        del entry[draw(st.sampled_from(["asset_id", "gpu_uuids"]))]
    elif kind == "dup-id":
        entries.append({**entry, "gpu_uuids": [draw(uuids)]})
    elif kind == "dup-uuid":
        draw(st.sampled_from(entries))["gpu_uuids"].append(entry["gpu_uuids"][0])
    elif kind == "entry":
        entries[entries.index(entry)] = draw(json_values)
    elif kind == "padded":  # blanks around a UUID are not part of it
        entry["gpu_uuids"][0] = f"  {entry['gpu_uuids'][0]}\t"
    return json.dumps(entries).encode()


@fuzz(250)
@given(
    st.one_of(
        mutated_inventory(),
        mutated_inventory(),
        mutated_inventory(),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=60),
        st.just(b"[" * 100_000),
        st.just(b'[{"asset_id": 1, "gpu_uuids": ["GPU-1"]}, {"asset_id": 1e400, "gpu_uuids": ["GPU-2"]}]'),
    )
)
def test_inventory_files_are_refused_naming_entry_and_field_or_read_as_written(scratch, data):
    _inventory_check(scratch / "inventory.json", data)


# ------------------------------------------------------------------------------ signer service


def _observe(epoch: int, asset_ids: list[int]) -> list[Report]:
    return [Report(a, epoch, b"\x11" * 32, 5_000, 10_000, 1_000, 700, 700) for a in asset_ids if a % 2]


@pytest.fixture(scope="module")
def signer():
    service = SignerService(Account.from_key("0x" + "42" * 32), _observe)
    yield service
    service.close()


def _request(service: SignerService, path: str, body: bytes, length: str | None = "auto") -> tuple[int, dict]:
    """One POST through the signer's real request handler, without a socket."""
    server = _Server.__new__(_Server)
    server.signer = service
    handler = _Handler.__new__(_Handler)
    handler.server = server
    handler.client_address = ("127.0.0.1", 1)
    handler.command, handler.path, handler.request_version = "POST", path, "HTTP/1.1"
    handler.requestline = f"POST {path} HTTP/1.1"
    handler.headers = Message()
    if length is not None:
        handler.headers["Content-Length"] = str(len(body)) if length == "auto" else length
    handler.rfile, handler.wfile = io.BytesIO(body), io.BytesIO()
    handler.do_POST()
    head, _, payload = handler.wfile.getvalue().partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(payload)


def _ints(bits: int) -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(0, 2**bits - 1), st.integers(), json_values)


sign_bodies = st.fixed_dictionaries(
    {},
    optional={
        "chain_id": st.one_of(st.integers(1, 2**256 - 1), _ints(256)),
        "oracle": st.one_of(
            st.just("0x" + "ab" * 20),
            st.just("0x" + "aB" * 20),
            st.text(max_size=44),
            st.just("0x" + "g" * 40),
            json_values,
        ),
        "config_version": _ints(24),
        "reports": st.one_of(
            st.lists(reports, min_size=1, max_size=3).map(lambda rs: "0x" + pack_reports(rs).hex()),
            st.binary(max_size=130).map(lambda b: "0x" + b.hex()),
            st.text(max_size=20),
            json_values,
        ),
    },
)
observe_bodies = st.fixed_dictionaries(
    {},
    optional={"epoch": _ints(32), "asset_ids": st.one_of(st.lists(st.integers(0, 2**64 - 1), max_size=5), json_values)},
)


def _valid_sign_field(name: str, value: Any) -> bool:
    """What /sign accepts, written out independently of the service."""
    if name in ("chain_id", "config_version"):
        low, bits = (1, 256) if name == "chain_id" else (0, 24)
        return isinstance(value, int) and not isinstance(value, bool) and low <= value < 2**bits
    if name == "oracle":
        if not isinstance(value, str) or not re.fullmatch(r"0[xX][0-9a-fA-F]{40}", value):
            return False
        digits = value[2:]
        return digits in (digits.lower(), digits.upper()) or is_checksum_address(value)
    if not isinstance(value, str):
        return False
    try:
        packed = bytes.fromhex(value[2:] if value[:2].lower() == "0x" else value)
    except ValueError:
        return False
    return bool(packed) and len(packed) % REPORT_BYTES == 0


SIGN_FIELDS = {"body", "chain_id", "oracle", "config_version", "reports", "Content-Length", "path"}
OBSERVE_FIELDS = {"body", "epoch", "asset_ids", "Content-Length", "path"}


@fuzz(300)
@given(
    st.sampled_from(["/sign", "/observe", "/sign/", "/nope", "/"]),
    st.one_of(
        st.one_of(sign_bodies, observe_bodies, json_values).map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=80),
        st.sampled_from([b"[" * 50_000, b'{"epoch": 1' + b"1" * 5000 + b"}", b'{"epoch": NaN}', b"\xff\xfe{}"]),
    ),
    st.one_of(
        st.just("auto"), st.none(), st.sampled_from(["-1", "abc", "", "99999999999999999999", str(MAX_BODY_BYTES + 1)])
    ),
)
def test_signer_requests_are_answered_4xx_never_500(signer, path, body, length):
    status, payload = _request(signer, path, body, length)
    assert status in (200, 400, 404, 409, 413), (status, payload)
    if status >= 400 and status != 409:
        assert payload["error"] and payload["field"] in (SIGN_FIELDS | OBSERVE_FIELDS)
    if path in ("/nope", "/"):
        assert status == 404


@fuzz(150)
@given(sign_bodies)
def test_signer_sign_bodies_are_signed_refused_409_or_named_400(signer, body):
    status, payload = _request(signer, "/sign", json.dumps(body).encode())
    assert status in (200, 400, 409), (status, payload)
    verdicts = {
        name: _valid_sign_field(name, body.get(name)) for name in ("chain_id", "oracle", "config_version", "reports")
    }
    if status == 400:  # the first invalid field, in the order they are read, is the one named
        assert payload["field"] == next(name for name, ok in verdicts.items() if not ok), (payload, verdicts)
        return
    assert all(verdicts.values()), verdicts
    if status == 200:
        assert re.fullmatch(r"0x[0-9a-f]{130}", payload["signature"])
    else:
        assert payload["refused"]


@fuzz(100)
@given(observe_bodies)
def test_signer_observe_bodies_answer_reports_or_name_the_field(signer, body):
    status, payload = _request(signer, "/observe", json.dumps(body).encode())
    assert status in (200, 400), (status, payload)
    if status == 400:
        assert payload["field"] in OBSERVE_FIELDS
        return
    got = [Report.unpack(bytes.fromhex(r[2:])) for r in payload["reports"]]
    assert {r.asset_id for r in got} == {a for a in body["asset_ids"] if a % 2}
    assert all(r.epoch == body["epoch"] for r in got)


def test_deeply_nested_signer_body_is_a_400(signer):
    status, payload = _request(signer, "/sign", b"[" * 100_000)
    assert (status, payload["field"]) == (400, "body")
