"""The scaling bench end to end at the smallest scale, on PostgreSQL: a JSON of figures and a PNG plot."""

from __future__ import annotations

import json
import os

import pytest

from bench import scaling
from tests.conftest import PG_URL_ENV

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def server_url() -> str:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"{PG_URL_ENV} is not set")
    return url


def test_scaling_bench_measures_a_scale_writes_its_figures_and_plots_them_again_without_measuring(server_url, tmp_path, capsys):
    figures, png = tmp_path / "scaling.json", tmp_path / "scaling.png"

    scaling.main(["--scales", "0.001", "--pg-url", server_url, "--json", str(figures), "--png", str(png)])

    (point,) = json.loads(figures.read_text())["points"]
    assert point["scale"] == 0.001
    assert point["tables"]["event"]["rows"] > point["tables"]["visit"]["rows"] > 0
    assert point["database_bytes"] > point["tables"]["event"]["bytes"] > 0
    assert point["import"]["value"] > 0 and point["import"]["reference"] > 0
    assert point["city_report"]["value"] > 0 and point["city_scorecard"]["value"] > 0
    assert set(point["load_average"]) == {"start", "import", "reports", "end"}
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert "| 0.001 |" in capsys.readouterr().out

    png.unlink()
    scaling.main(["--plot-only", "--json", str(figures), "--png", str(png)])
    assert png.read_bytes().startswith(PNG_SIGNATURE)
