"""Shared fixtures: small, tz-aware, messy incident folders written as real export files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

def _find_shared_datasets() -> Path:
    """The shared labelled datasets: $RCA_SHARED_DATASETS, else ../shared/datasets beside the
    checkout, else /work/shared/datasets (where the development machines keep them)."""
    if os.environ.get("RCA_SHARED_DATASETS"):
        return Path(os.environ["RCA_SHARED_DATASETS"])
    for candidate in (Path(__file__).resolve().parents[2] / "shared" / "datasets", Path("/work/shared/datasets")):
        if candidate.exists():
            return candidate
    return Path(__file__).resolve().parents[2] / "shared" / "datasets"


SHARED_DATASETS = _find_shared_datasets()
ARTIFACTS = Path(os.environ.get("RCA_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))


def shared_dataset(name: str) -> Path:
    """Path of a shared labelled dataset, or skip the test with the reason."""
    path = SHARED_DATASETS / name
    if not path.exists():
        pytest.skip(f"shared dataset {name!r} not found at {path} (set RCA_SHARED_DATASETS)")
    return path


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


OT_OFFSET = pd.Timedelta("40s")  # the OT clock runs 40 s ahead in the mini incident
T0 = pd.Timestamp("2026-03-04 08:00", tz="UTC")


def write_mini_incident(folder: Path, *, seed: int = 0, ot_clock_offset: str = "auto") -> Path:
    """A two-hour incident with OT historian (local time, ';' and decimal comma, quality flags,
    a duplicate, a conflicting duplicate, a text value), OT alarms with ACT/RTN pairs, IT metrics
    (wide, epoch ms) and IT events (ISO with Z). Gateway moments appear in both OT alarms and IT
    events so the OT clock offset can be estimated. Returns the manifest path."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for tag, base in (("TI101.PV", 80.0), ("FI201.PV", 12.0), ("TIC101.SP", 80.0)):
        t = T0
        while t < T0 + pd.Timedelta("2h"):
            t += pd.Timedelta(seconds=float(rng.integers(2, 15)))
            value = base if tag.endswith(".SP") else base + rng.normal(0, 0.5)
            if tag == "TI101.PV" and t > T0 + pd.Timedelta("70min"):
                value += 5.0
            local = (t + OT_OFFSET).tz_convert("Europe/Berlin").tz_localize(None)
            rows.append([local.strftime("%d.%m.%Y %H:%M:%S"), tag, f"{value:.3f}".replace(".", ","), "Good"])
    rows.append(["04.03.2026 09:30:00", "TI101.PV", "I/O Timeout", "Bad"])
    rows.append(["04.03.2026 09:31:00", "FI201.PV", "I/O Timeout", "Good"])
    rows.append(rows[10])  # exact duplicate
    dup = list(rows[20])
    dup[2] = "99,000"  # conflicting duplicate: same tag and time, other value (later row wins)
    rows.append(dup)
    rows.append(["not a time", "TI101.PV", "1,0", "Good"])
    hist = pd.DataFrame(rows, columns=["Timestamp", "TagName", "Value", "Quality"])
    hist.to_csv(folder / "historian.csv", sep=";", index=False)

    shared = T0 + pd.to_timedelta(np.sort(rng.uniform(60, 7000, 25)), unit="s")
    alarms, it_events = [], []
    for s in shared:
        loc = (s + OT_OFFSET).tz_convert("Europe/Berlin").tz_localize(None)
        back = (s + OT_OFFSET + pd.Timedelta("20s")).tz_convert("Europe/Berlin").tz_localize(None)
        alarms.append([loc.strftime("%Y-%m-%d %H:%M:%S"), "GW01", "COMMFAIL", "ACT", "1", "Gateway comm failure"])
        alarms.append([back.strftime("%Y-%m-%d %H:%M:%S"), "GW01", "COMMFAIL", "RTN", "1", "Gateway comm failure"])
        it_events.append([s.strftime("%Y-%m-%dT%H:%M:%SZ"), "gw-opc-01", "link_down", "warning", "OPC link down"])
    alarms.append(["2026-03-04 10:05:00", "GW01", "COMMFAIL", "RTN", "1", "return without alarm"])
    pd.DataFrame(alarms, columns=["Time", "Source", "Condition", "State", "Priority", "Message"]).to_csv(
        folder / "alarms.csv", index=False
    )
    for s in T0 + pd.to_timedelta(np.sort(rng.uniform(0, 7000, 80)), unit="s"):
        it_events.append([s.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "ad-01", "login", "info", "user login"])
    it_events.append(["2026-03-04T09:40:00Z", "fw-core-02", "change", "info", "CHG0042 <b>Firewall</b> policy update"])
    pd.DataFrame(it_events, columns=["timestamp", "host", "type", "severity", "summary"]).to_csv(
        folder / "it_events.csv", index=False
    )
    grid = pd.date_range(T0, T0 + pd.Timedelta("2h"), freq="30s")
    metrics = pd.DataFrame(
        {
            "time": (grid.as_unit("ns").asi8 // 1_000_000),
            "gw-opc-01.cpu_pct": np.round(20 + rng.normal(0, 2, len(grid)), 2),
            "gw-opc-01.latency_ms": np.round(5 + rng.gamma(2, 1, len(grid)), 2),
            # Same name as an OT tag: a clash that must be resolved visibly.
            "FI201.PV": np.round(rng.normal(0, 1, len(grid)), 2),
        }
    )
    metrics = metrics.drop(index=range(100, 110))  # a collection gap of 5 minutes
    metrics.to_csv(folder / "it_metrics.csv", index=False)

    manifest = f'''
title = "Mini incident"
timezone = "Europe/Berlin"

[incident]
start = "2026-03-04 10:20:00"
symptom = "TI101.PV"
lookback = "1h"

[[source]]
name = "historian"
domain = "OT"
kind = "signals"
path = "historian.csv"
layout = "long"
timezone = "Europe/Berlin"
time_format = "%d.%m.%Y %H:%M:%S"
columns = {{ time = "Timestamp", tag = "TagName", value = "Value", quality = "Quality" }}
good_quality = ["Good"]
clock_offset = "{ot_clock_offset}"

[[source]]
name = "alarms"
domain = "OT"
kind = "events"
path = "alarms.csv"
timezone = "Europe/Berlin"
columns = {{ time = "Time", source = "Source", kind = "Condition", state = "State", severity = "Priority", message = "Message" }}
active_states = ["ACT"]
return_states = ["RTN"]
clock_offset = "{ot_clock_offset}"

[[source]]
name = "it-metrics"
domain = "IT"
kind = "signals"
path = "it_metrics.csv"
layout = "wide"
time_unit = "ms"
columns = {{ time = "time" }}

[[source]]
name = "it-events"
domain = "IT"
kind = "events"
path = "it_events.csv"
columns = {{ time = "timestamp", source = "host", kind = "type", message = "summary", severity = "severity" }}
'''
    path = folder / "investigation.toml"
    path.write_text(manifest)
    return path


@pytest.fixture
def mini_incident(tmp_path) -> Path:
    return write_mini_incident(tmp_path / "mini")
