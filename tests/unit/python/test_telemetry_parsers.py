"""Parsers on real outputs: nvidia-smi CSV with units in values, [N/A] and MIG; DCGM exporter
scrapes. Malformed input raises InvalidInputError naming the source and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compute_rwa import InvalidInputError
from compute_rwa.telemetry.dcgm import parse_exposition
from compute_rwa.telemetry.nvidia_smi import parse_query_gpu_csv
from compute_rwa.telemetry.units import parse_quantity, percent_to_bps

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "telemetry"
SMI = FIXTURES / "nvidia_smi"


def _smi(name: str) -> str:
    return (SMI / name).read_text()


def test_h200_under_load_reads_full_utilization_and_power_in_milliwatts():
    (sample,) = parse_query_gpu_csv(_smi("linux-x86_64__nvidia-h200__590.48.01__query_gpu_load.csv"), source="h200")
    assert sample.utilization_bps == 10_000
    assert sample.power_mw == 627_400
    assert sample.gpu_uuid.startswith("GPU-")
    assert sample.timestamp == pytest.approx(1783116669.763)  # 2026/07/03 22:11:09.763 UTC


def test_mig_gpu_has_unknown_utilization_not_zero():
    (sample,) = parse_query_gpu_csv(_smi("linux-x86_64__nvidia-h100-mig__590.48.01__query_gpu_load.csv"), source="mig")
    assert sample.utilization_bps is None
    assert sample.power_mw == 433_780


def test_l40s_reported_idle_at_full_utilization_is_taken_as_measured():
    (sample,) = parse_query_gpu_csv(_smi("linux-x86_64__nvidia-l40s__595.80__query_gpu_idle.csv"), source="l40s")
    assert sample.utilization_bps == 10_000
    assert 100_000 < sample.power_mw < 200_000


def test_nounits_output_parses_too():
    text = "timestamp, uuid, utilization.gpu [%], power.draw [W]\n2026/01/01 00:00:00.000, GPU-1, 42, 300.5\n"
    (sample,) = parse_query_gpu_csv(text, source="nounits")
    assert (sample.utilization_bps, sample.power_mw) == (4_200, 300_500)


HEADER = "timestamp, uuid, utilization.gpu [%], power.draw [W]\n"


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("2026-01-01 00:00:00, GPU-1, 42 %, 300 W", "timestamp"),
        ("2026/01/01 00:00:00.000, 0000, 42 %, 300 W", "uuid"),
        ("2026/01/01 00:00:00.000, GPU-1, 142 %, 300 W", "utilization.gpu"),
        ("2026/01/01 00:00:00.000, GPU-1, forty %, 300 W", "utilization.gpu"),
        ("2026/01/01 00:00:00.000, GPU-1, 42 %, 300 V", "power.draw"),
        ("2026/01/01 00:00:00.000, GPU-1, 42 %, -3 W", "power.draw"),
        ("2026/01/01 00:00:00.000, GPU-1, 42 %", "row"),
    ],
)
def test_malformed_nvidia_smi_rows_name_the_line_and_field(row, field):
    with pytest.raises(InvalidInputError) as info:
        parse_query_gpu_csv(HEADER + row + "\n", source="host-7")
    assert info.value.field == field
    assert info.value.source == "host-7:2"


def test_nvidia_smi_output_without_uuid_column_is_refused():
    with pytest.raises(InvalidInputError, match="uuid"):
        parse_query_gpu_csv("timestamp, utilization.gpu [%]\n2026/01/01 00:00:00.000, 1 %\n", source="x")


def test_dcgm_scrape_of_eight_h100s():
    text = (FIXTURES / "dcgm" / "nvidia-aicr__8xH100_sampled.prom").read_text()
    samples = parse_exposition(text, source="aicr", timestamp=1000.0)
    assert len(samples) == 8
    by_uuid = {s.gpu_uuid: s for s in samples}
    first = by_uuid["GPU-c4529c8d-69c4-b61d-e0bc-7b2460096005"]
    assert (first.utilization_bps, first.power_mw, first.timestamp) == (0, 113_611, 1000.0)


def test_dcgm_scrape_of_a_loaded_t4():
    text = (FIXTURES / "dcgm" / "cncf__ericsson-ccd_T4_load.prom").read_text()
    (sample,) = parse_exposition(text, source="t4", timestamp=0.0)
    assert (sample.utilization_bps, sample.power_mw) == (9_100, 68_244)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('DCGM_FI_DEV_GPU_UTIL{gpu="0"} 5\n', "DCGM_FI_DEV_GPU_UTIL.UUID"),
        (
            'DCGM_FI_DEV_GPU_UTIL{UUID="GPU-1"} 5\nDCGM_FI_DEV_GPU_UTIL{UUID="GPU-1"} 6\n',
            "DCGM_FI_DEV_GPU_UTIL{UUID=GPU-1}",
        ),
        ('DCGM_FI_DEV_GPU_UTIL{UUID="GPU-1"} 105\n', "DCGM_FI_DEV_GPU_UTIL"),
        ('DCGM_FI_DEV_POWER_USAGE{UUID="GPU-1"} -1\n', "DCGM_FI_DEV_POWER_USAGE"),
        ("this is { not prometheus\n", "exposition"),
    ],
)
def test_malformed_dcgm_scrapes_name_the_field(text, field):
    with pytest.raises(InvalidInputError) as info:
        parse_exposition(text, source="node-3", timestamp=0.0)
    assert info.value.field == field


@given(st.text(max_size=24))
def test_quantity_parser_never_crashes_or_invents_zero(text):
    try:
        value = parse_quantity(text, source="fuzz", field="power.draw", unit="W", scale=1000)
    except InvalidInputError as exc:
        assert exc.field == "power.draw"
        return
    if value == 0:
        assert text.strip().rstrip("Ww").strip().strip("0").strip(".").strip("0") in ("", "-")


@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_percentages_become_basis_points(value):
    assert percent_to_bps(f"{value:.2f} %", source="fuzz", field="util") == round(float(f"{value:.2f}") * 100)


def test_live_sources_explain_a_machine_without_gpus():
    from compute_rwa import ToolchainError
    from compute_rwa.telemetry.nvidia_smi import NvidiaSmiSource
    from compute_rwa.telemetry.nvml import NvmlSource

    with pytest.raises(ToolchainError, match="nvidia-smi"):
        NvidiaSmiSource(binary="nvidia-smi-that-does-not-exist")
    try:
        source = NvmlSource()
    except ToolchainError as exc:
        assert "nvml" in str(exc)
    else:  # a machine with a GPU: the source must read every GPU it sees
        samples = list(source.poll())
        source.close()
        assert all(s.gpu_uuid.startswith("GPU-") for s in samples)
