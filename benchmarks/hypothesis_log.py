"""Benchmark of rca.hypotheses: write throughput and view latency, each against a
baseline run in the same process (raw sqlite3 with the same pragmas and
transactions; raw SELECT + json.loads of every record)."""
import json, sqlite3, tempfile, time, uuid
from pathlib import Path
from rca.hypotheses import HypothesisLog

N_WRITES = 2000
N_RECORDS = 10_000
folder = Path(tempfile.mkdtemp())

# --- writes: HypothesisLog.add_why vs raw insert, one transaction per write
raw = sqlite3.connect(folder / "raw.sqlite", isolation_level=None)
raw.execute("PRAGMA journal_mode=WAL"); raw.execute("PRAGMA synchronous=FULL")
raw.execute("CREATE TABLE r (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT UNIQUE, clock INT, payload TEXT)")
t = time.perf_counter()
for i in range(N_WRITES):
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("INSERT INTO r (entry_id, clock, payload) VALUES (?, ?, ?)",
                (str(uuid.uuid4()), time.time_ns() // 1000, json.dumps({"text": f"why {i}"})))
    raw.execute("COMMIT")
base_w = time.perf_counter() - t

log = HypothesisLog.open(folder / "log.sqlite", author="bench", team="OT")
h = log.add_hypothesis("bench")
t = time.perf_counter()
for i in range(N_WRITES):
    log.add_why(h, f"why {i}")
lib_w = time.perf_counter() - t
print(f"writes: {N_WRITES} add_why {lib_w:.3f} s ({1e3*lib_w/N_WRITES:.2f} ms each); "
      f"raw sqlite3 baseline {base_w:.3f} s ({1e3*base_w/N_WRITES:.2f} ms each); ratio {lib_w/base_w:.2f}")

# --- views on a log of N_RECORDS records
for i in range(N_RECORDS - N_WRITES - 1):
    if i % 3 == 0:
        h2 = log.add_hypothesis(f"h{i}")
    elif i % 3 == 1:
        log.set_status(h2, "supported", reason=f"r{i}")
    else:
        log.add_evidence(h2, kind="note", note=f"n{i}")
log.close()
path = folder / "log.sqlite"

conn = sqlite3.connect(path)
t = time.perf_counter()
rows = conn.execute("SELECT seq, entry_id, clock, recorded_at, author, entity, entity_id, op, payload, origin FROM records ORDER BY clock, entry_id").fetchall()
parsed = [json.loads(r[8]) for r in rows]
base_r = time.perf_counter() - t
conn.close()

reader = HypothesisLog.open(path)
t = time.perf_counter(); v = reader.hypotheses(); cold = time.perf_counter() - t
t = time.perf_counter(); reader.hypotheses(); warm = time.perf_counter() - t
with HypothesisLog.open(path, author="other", team="IT") as other:
    other.add_hypothesis("written by another notebook")
t = time.perf_counter(); v2 = reader.hypotheses(); incr = time.perf_counter() - t
assert len(v2) == len(v) + 1
t = time.perf_counter(); reader.history(); hist = time.perf_counter() - t
t = time.perf_counter(); doc = reader.to_dict(); exp = time.perf_counter() - t
fresh = HypothesisLog.open(folder / "import.sqlite")
t = time.perf_counter(); fresh.import_json(doc); imp = time.perf_counter() - t
t = time.perf_counter(); fresh.import_json(doc); imp2 = time.perf_counter() - t
print(f"views on {len(rows)} records: raw SELECT+json.loads baseline {1e3*base_r:.1f} ms; "
      f"first hypotheses() {1e3*cold:.1f} ms (ratio {cold/base_r:.2f}); unchanged {1e3*warm:.1f} ms; "
      f"after one write elsewhere {1e3*incr:.1f} ms (ratio {incr/base_r:.2f}); history() {1e3*hist:.1f} ms")
print(f"to_dict {1e3*exp:.1f} ms; import into empty log {1e3*imp:.1f} ms; re-import (all present) {1e3*imp2:.1f} ms")
