"""The benchmark says where it ran and how sure it is; peers are chosen and explained."""
import json
import subprocess
import sys

import pytest

from pyramidkit import bench as _bench
from pyramidkit.bench import harness
from pyramidkit.__main__ import main

QUICK = ["bench", "--quick", "--rounds", "3", "--block", "0.001"]


def test_results_say_where_they_ran():
    res = _bench.run(ops=["pyr_up"], quick=True, rounds=3, target_s=0.001, progress=False, peers=["opencv"])
    m = res["machine"]
    assert m["processor"] and m["cpus"] >= 1 and m["isa"] == res["config"]["simd"]["active"]
    assert m["platform"] and m["python"]
    assert m["versions"]["pyramidkit"] and m["versions"]["numpy"]
    if sys.platform.startswith("linux"):
        assert m["vendor"] and m["family"] and m["model"]
        assert "L1d" in m["caches"] and "L2" in m["caches"]
    assert res["date"] and res["method"]["noisy_above"] == harness.NOISY_SPREAD
    assert harness.describe_machine(m).startswith(m["processor"])


def test_rows_carry_their_spread():
    pytest.importorskip("cv2")
    res = _bench.run(ops=["pyr_up"], quick=True, rounds=3, target_s=0.001, progress=False, peers=["opencv"])
    for r in res["results"]:
        assert r["speedup_min"] <= r["speedup"] <= r["speedup_max"]
        assert r["spread"] == pytest.approx((r["speedup_max"] - r["speedup_min"]) / r["speedup"])
        assert r["noisy"] == (r["spread"] > harness.NOISY_SPREAD)
    table = _bench.format_table(res)
    assert "min-max" in table and "machine:" in table


def test_a_noisy_row_is_flagged():
    row = dict(op="pyr_down", workload="8x8 uint8", peer="opencv", pyramidkit_ms=1.0, peer_ms=2.0, speedup=2.0,
               speedup_min=1.5, speedup_max=2.6, spread=0.55, noisy=True, copy_fraction=None, matches_peer=True,
               threads=2)
    res = dict(config=dict(simd=dict(active="avx2")), results=[row])
    line = [ln for ln in _bench.format_table(res).splitlines() if ln.startswith("pyr_down")][0]
    assert "1.50-2.60!" in line
    quiet = dict(row, speedup_min=1.9, speedup_max=2.1, spread=0.1, noisy=False)
    line = [ln for ln in _bench.format_table(dict(res, results=[quiet])).splitlines() if ln.startswith("pyr_down")][0]
    assert "1.90-2.10" in line and "!" not in line


def test_peers_choose_which_libraries_run():
    """--peers torch: the OpenCV rows time pyramidkit alone, say so, and cv2 stays unimported."""
    code = ("import sys; from pyramidkit import bench; "
            "r = bench.run(ops=['pyr_down'], quick=True, rounds=1, target_s=0.001, progress=False, peers=['torch']); "
            "print(sorted({x['peer'] for x in r['results']}), 'cv2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['opencv (not selected)'] False"


def test_unknown_peer_is_refused(capsys):
    with pytest.raises(ValueError, match="peers: unknown"):
        _bench.run(ops=["pyr_down"], quick=True, peers=["tensorflow"])
    with pytest.raises(SystemExit):
        main(QUICK + ["--ops", "pyr_down", "--peers", "tensorflow"])
    assert "invalid choice" in capsys.readouterr().err


def test_missing_torch_is_explained_once_at_the_top(monkeypatch, capsys):
    real = harness._import_peer
    monkeypatch.setattr(harness, "_import_peer", lambda name, threads: None if name == "torch" else real(name, threads))
    assert main(QUICK + ["--ops", "max_pool2d", "avg_pool2d"]) == 0
    captured = capsys.readouterr()
    hints = [ln for ln in captured.out.splitlines() if ln.startswith("note: torch is not installed")]
    assert len(hints) == 1 and captured.out.startswith("note: torch")
    assert "torch==2.13.0" in hints[0] and "CPU" in hints[0]
    assert "note: torch" not in captured.err
    assert "torch (missing)" in captured.out


def test_results_per_machine_and_the_comparison_table(tmp_path, capsys):
    pytest.importorskip("cv2")
    assert main(QUICK + ["--ops", "pyr_up", "--peers", "opencv", "--results", str(tmp_path)]) == 0
    capsys.readouterr()
    saved = sorted(p.name for p in tmp_path.iterdir())
    slug = harness.machine_slug(harness.machine_info())
    assert f"{slug}.json" in saved
    res = json.loads((tmp_path / f"{slug}.json").read_text())
    other = dict(res, machine=dict(res["machine"], processor="Other CPU", family="25", model="17"),
                 results=[dict(r, speedup=r["speedup"] * 2, speedup_min=r["speedup_min"] * 2,
                               speedup_max=r["speedup_max"] * 2) for r in res["results"]])
    (tmp_path / "other.json").write_text(json.dumps(other))
    assert main(["bench", "--compare", str(tmp_path / f"{slug}.json"), str(tmp_path / "other.json")]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].count("|") == 6 and "Other CPU f25m17" in table[0]
    body = [ln for ln in table[2:] if ln.startswith("| pyr_up")]
    assert len(body) == len(res["results"]) and all(ln.count("x (") == 2 for ln in body)
    assert main(["bench", "--compare", f"First CPU={tmp_path / (slug + '.json')}", str(tmp_path / "other.json")]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("| op | workload | peer | First CPU | Other CPU")
    assert main(["bench", "--compare", str(tmp_path / "nothing.json")]) == 2


def test_machine_slug():
    assert harness.machine_slug(dict(processor="Intel(R) Xeon(R) Processor", family="6", model="167")) == \
        "intel-xeon-f6m167"
    assert harness.machine_slug(dict(processor="AMD EPYC 9R14 96-Core Processor", family="25", model="17")) == \
        "amd-epyc-9r14-96-core-f25m17"
    assert harness.machine_slug(dict(processor="")) == "cpu"


def test_first_call_rows(capsys):
    """--first-call: each op's first call in a fresh process against its steady median."""
    from pyramidkit.bench import first_call
    rows = first_call.run(quick=True, threads=1, ops=["pyr_up"], progress=False)
    assert rows and all(r["op"] == "pyr_up" for r in rows)
    for r in rows:
        assert "error" not in r, r
        assert r["first_ms"] > 0 and r["steady_ms"] > 0
        assert r["ratio"] == pytest.approx(r["first_ms"] / r["steady_ms"])
        assert r["over_limit"] == (r["ratio"] > first_call.FIRST_CALL_LIMIT)
    assert "first/steady" in first_call.format_table(rows)


def test_copy_level_names_the_cache_the_yardstick_runs_from():
    caches = {"L1d": "48 KiB", "L2": "2 MiB", "L3": "105 MiB"}
    assert harness.copy_level(1 << 20, caches, 2) == "L2"
    assert harness.copy_level(32 << 20, caches, 2) == "L3"
    assert harness.copy_level(224 << 20, caches, 2) == "DRAM"
    assert harness.copy_level(1 << 20, {}, 2) == "?"
    res = _bench.run(ops=["pyr_up"], quick=True, rounds=1, target_s=0.001, progress=False, peers=[])
    assert all(r["copy_level"] in ("L2", "L3", "DRAM", "?") for r in res["results"] if r["copy_fraction"] is not None)
