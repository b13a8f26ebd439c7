# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Load and align
#
# **Goal of this notebook:** trust the data before drawing conclusions from it. You will see,
# source by source, how many rows were read, how many were used and why the others were set
# aside; how far the plant's clock was off; and a first timeline of everything on one clock.

# %% tags=["parameters"]
investigation = "../sample_data/line3_scrap_spike/investigation.toml"

# %%
import rca
from rca import widgets as rw
from rca.charts import timeline_chart

rw.offline_charts()
inv = rca.open_investigation(investigation)
print(inv.summary())

# %% [markdown]
# ## The data-quality ledger
#
# Every row of every file is either **used** or **set aside with a reason** — nothing
# disappears silently, so *read = used + set aside* for every source. Typical reasons:
#
# - *bad quality*: the historian itself flagged the value (a sensor fault, a communication
#   loss). For IT readers: historians store a quality flag next to every value.
# - *duplicate* / *superseded*: the same sample exported twice, or twice with different values
#   (the later one is kept). Common when an export block is repeated or data are back-filled.
# - *text instead of a number*: e.g. `I/O Timeout` written into the value column.
# - *a time that does not exist or occurs twice*: the daylight-saving change in local time.
#   For plant readers: IT systems usually log in UTC, which has no such jumps.

# %%
rw.ledger_in_words(inv)

# %% [markdown]
# The same in sentences, with every reason spelled out:

# %%
print(inv.ledger.describe())

# %% [markdown]
# ## Clocks
#
# Plant control systems often run on their own clock, not synchronised with the IT network
# time (NTP). A few minutes off is enough to put a cause *after* its effect. Sources marked
# `clock_offset = "auto"` in the manifest are compared with the IT clock using moments that
# both sides recorded (an HMI logon appears in the alarm journal *and* in the Windows log; a
# gateway drop raises an OT alarm *and* an IT message). The estimated offset is removed.
# The grid is the common time step every signal is placed on (no value is ever invented
# between samples: gaps stay gaps).

# %%
print(inv.alignment.describe())

# %% [markdown]
# ## The signals
#
# One row per signal: OT (plant measurements) or IT (server and network metrics), where it
# came from, its unit and how many valid samples it has.

# %%
inv.signal_info

# %% [markdown]
# ## A first timeline of everything
#
# Each lane is one signal, scaled to its own range (hover for values), plant (OT) lanes first,
# then IT; below them the events (alarms, operator actions, logons, change records, logs)
# by kind; the red line is when the incident was noticed. **Drag across the small overview
# at the bottom to zoom** every panel at once.

# %%
rw.ChartView(timeline_chart(inv.signals, inv.events, signal_info=inv.signal_info,
                            incident_start=inv.incident.start, timezone=inv.timezone,
                            title=f"{inv.title}: everything on one clock"))

# %% [markdown]
# ## What you should have now, and what to do next

# %%
rw.checkpoint("02 load and align", inv, next_steps=[
    "If many rows of a source were set aside, check its manifest entry (time format, quality values).",
    "If a clock offset could not be estimated, set it in the manifest if you know it.",
    "Open 03_what_changed to find the changes in every signal.",
])

# %% [markdown]
# **You should now have** a balanced ledger for every source (read = used + set aside), the
# clock offsets that were applied, and a feeling for the incident from the timeline.
#
# **Next:** `03_what_changed.ipynb`.
