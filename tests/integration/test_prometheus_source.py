"""The Prometheus path for real: a Prometheus server (Debian package `prometheus`) started here
scrapes a DCGM-exporter endpoint served by the test from a real 8x H100 scrape, and the
feeder's PrometheusSource reads the values back through the HTTP API."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from compute_rwa.chain import free_port
from compute_rwa.telemetry.dcgm import PrometheusSource, parse_exposition

SCRAPE = Path(__file__).resolve().parents[1] / "fixtures" / "telemetry" / "dcgm" / "nvidia-aicr__8xH100_sampled.prom"

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="needs the `prometheus` binary (apt-get install prometheus)"
)


@pytest.fixture
def exporter():
    body = SCRAPE.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def prometheus(exporter, tmp_path):
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        f"scrape_configs:\n  - job_name: dcgm\n    static_configs:\n      - targets: ['127.0.0.1:{exporter}']\n"
    )
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                query = f"{url}/api/v1/query?query=DCGM_FI_DEV_GPU_UTIL"
                with urllib.request.urlopen(query, timeout=2) as response:
                    if len(json.loads(response.read())["data"]["result"]) == 8:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("prometheus did not scrape the exporter within 60 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_prometheus_source_reads_what_the_dcgm_exporter_served(prometheus):
    samples = PrometheusSource(prometheus, job="dcgm").poll()
    expected = {s.gpu_uuid: s for s in parse_exposition(SCRAPE.read_text(), source="file", timestamp=0.0)}
    assert {s.gpu_uuid for s in samples} == set(expected)
    for sample in samples:
        assert sample.utilization_bps == expected[sample.gpu_uuid].utilization_bps
        assert sample.power_mw == expected[sample.gpu_uuid].power_mw
        assert abs(sample.timestamp - time.time()) < 120


def test_prometheus_source_names_an_unreachable_server():
    from compute_rwa import ToolchainError

    with pytest.raises(ToolchainError, match="prometheus http://127.0.0.1:1"):
        PrometheusSource("http://127.0.0.1:1", timeout=1).poll()
