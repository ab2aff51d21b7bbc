"""The benchmark suite runs end to end on tiny sizes (``python -m benchmarks --smoke``).

Only that results are produced and that every engine computes the same demo loss: no
time is asserted (the machine is shared; speed is what ``python -m benchmarks`` reports).
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_smoke_run_produces_every_table_and_the_same_demo_loss(tmp_path):
    out, data = tmp_path / "RESULTS.md", tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--out", str(out), "--json", str(data)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(data.read_text())
    rows = results["rows"]
    assert {r["workload"] for r in rows} == {"chain", "wide", "demo step", "draw / trace"}
    ours = [r for r in rows if r["engine"].startswith("glassgrad")]
    assert ours and all(r["failed"] is None for r in ours)
    assert all(len([t for t in r["runs"] if t]) == 2 for r in ours)   # two repetitions each
    assert all(r["memory"]["nodes"] > 0 for r in ours
               if r["workload"] in ("chain", "wide") and "GC paused" not in r["engine"])
    assert results["checks"]["demo_losses_agree"], results["checks"]
    assert len(results["checks"]["demo_losses"]) >= 2   # unfused and fused at least
    text = out.read_text()
    assert "## Targets" in text and "## Results" in text and "| workload | N | engine |" in text


def test_the_benchmarks_are_not_collected_as_tests():
    config = (ROOT / "pyproject.toml").read_text()
    testpaths = config.split("testpaths", 1)[1].split("\n", 1)[0]
    assert "benchmarks" not in testpaths
