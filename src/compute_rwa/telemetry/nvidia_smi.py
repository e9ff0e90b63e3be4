"""`nvidia-smi --query-gpu ... --format=csv` output, as printed (units in the header and in
the values, `[N/A]` where unsupported), and a live source that runs nvidia-smi."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo

from compute_rwa.errors import InvalidInputError, ToolchainError
from compute_rwa.telemetry.samples import GpuSample
from compute_rwa.telemetry.units import UNAVAILABLE, percent_to_bps, power_to_mw

#: The fields the feeder asks nvidia-smi for.
QUERY_FIELDS = ("timestamp", "uuid", "utilization.gpu", "power.draw")
_TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S.%f"


def _column(header: list[str], name: str, source: str) -> int | None:
    """Index of `name` in a header whose cells may carry units (`power.draw [W]`); a field
    named twice is ambiguous and refused."""
    found = [index for index, cell in enumerate(header) if cell.split(" [", 1)[0].strip() == name]
    if len(found) > 1:
        raise InvalidInputError(f"{source}:1", name, f"column appears {len(found)} times in the header")
    return found[0] if found else None


def _is_gpu_uuid(text: str) -> bool:
    """`GPU-…` or `MIG-…` with something after the prefix, printable, without blanks."""
    return (
        text.startswith(("GPU-", "MIG-"))
        and len(text) > 4
        and text.isprintable()
        and not any(c.isspace() for c in text)
        and text.lower() not in UNAVAILABLE
    )


def parse_query_gpu_csv(text: str, *, source: str, tz: tzinfo = UTC) -> list[GpuSample]:
    """Samples from `nvidia-smi --query-gpu` CSV (with or without `nounits`).

    nvidia-smi prints local time without a zone: `tz` says which zone the host uses. Under MIG
    the whole-GPU utilization is `[N/A]`: the sample keeps `utilization_bps=None` (unknown).
    """
    try:
        rows = [row for row in csv.reader(text.splitlines(), skipinitialspace=True) if row]
    except csv.Error as exc:  # an over-long field (> 128 KiB), a stray NUL, a broken quote
        raise InvalidInputError(source, "csv", f"not CSV ({exc})") from None
    if not rows:
        raise InvalidInputError(source, "header", "empty output")
    header = rows[0]
    columns = {name: _column(header, name, source) for name in QUERY_FIELDS}
    for required in ("timestamp", "uuid"):
        if columns[required] is None:
            raise InvalidInputError(source, required, f"column missing (header has {len(header)} cells)")
    samples = []
    for line, row in enumerate(rows[1:], start=2):
        where = f"{source}:{line}"
        if len(row) != len(header):
            raise InvalidInputError(where, "row", f"{len(row)} cells, header has {len(header)}")

        def cell(name: str, row: list[str] = row) -> str:
            index = columns[name]
            return row[index] if index is not None else "[N/A]"

        raw_time = cell("timestamp").strip()
        try:
            timestamp = datetime.strptime(raw_time, _TIMESTAMP_FORMAT).replace(tzinfo=tz).timestamp()
        except ValueError:
            raise InvalidInputError(where, "timestamp", f"not YYYY/MM/DD HH:MM:SS.mmm: {raw_time!r}") from None
        uuid = cell("uuid").strip()
        if not _is_gpu_uuid(uuid):
            raise InvalidInputError(where, "uuid", f"not a GPU UUID: {uuid!r}")
        samples.append(
            GpuSample(
                timestamp=timestamp,
                gpu_uuid=uuid,
                utilization_bps=percent_to_bps(cell("utilization.gpu"), source=where, field="utilization.gpu"),
                power_mw=power_to_mw(cell("power.draw"), source=where, field="power.draw"),
                source="nvidia-smi",
            )
        )
    return samples


class NvidiaSmiSource:
    """Polls the local GPUs by running `nvidia-smi --query-gpu=... --format=csv`."""

    name = "nvidia-smi"

    def __init__(self, binary: str = "nvidia-smi", timeout: float = 10.0, tz: tzinfo = UTC) -> None:
        found = shutil.which(binary)
        if found is None:
            raise ToolchainError(f"{binary}: not found; install the NVIDIA driver or use another source")
        self.binary, self.timeout, self.tz = found, timeout, tz

    def poll(self) -> Iterable[GpuSample]:
        command = [self.binary, f"--query-gpu={','.join(QUERY_FIELDS)}", "--format=csv"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout, check=True)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise ToolchainError(f"nvidia-smi failed: {exc}") from None
        return parse_query_gpu_csv(result.stdout, source="nvidia-smi", tz=self.tz)
