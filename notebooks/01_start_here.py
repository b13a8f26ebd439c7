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
# # 1. Start here
#
# **Goal of this notebook:** know what `rca` does for you, describe your incident in one small
# file (the *manifest*), and open it. At the end you have the incident loaded and know which
# notebook to open next.
#
# **What `rca` does.** When something goes wrong on a production line (scrap, a quality
# excursion, a trip), the cause can sit in the plant (a valve, a setpoint, a pump) or in IT
# (a network change, an overloaded server between the control system and the line). The data
# that could show it live in different places and on different clocks. `rca`
#
# 1. puts plant (OT) and IT histories on **one UTC clock** and says what it could not use and why,
# 2. finds **what changed, and when**, in every signal,
# 3. relates the changes across OT and IT (who moved first, what moves with what),
# 4. **ranks the likely root causes** with the evidence for each,
#
# and walks you through it in five notebooks. You run each cell with *Shift+Enter*; you do not
# need to change any code.
#
# **Words used in these notebooks**
#
# | word | for the IT side | for the plant side |
# |---|---|---|
# | OT (operational technology) | the plant's control systems: DCS/PLC, SCADA, historian, alarm journal | your control system and its data |
# | IT | servers, network, logs, change records, tickets | the office/company systems, including the network your control system talks through |
# | historian | a time-series database of plant measurements (like a metrics store, but it only writes a value when it moves) | your trend archive |
# | tag | the name of one measurement, e.g. `FIC101.PV` (flow controller 101, process value) | your tag |
# | PV / SP / OUT | measured value / target value / controller output to the valve | as usual |
# | metric | the IT word for a measured time series, e.g. `cpu_pct` of a host | like a tag, for a server |
# | change record | IT's documented change to a system (firewall rule, patch) | a planned modification with a ticket number |

# %% tags=["parameters"]
# The incident to open: the path of its manifest (relative to this notebook, or absolute).
investigation = "../sample_data/line3_scrap_spike/investigation.toml"
# Optional: a folder with your own exports, to draft a manifest for them (leave "" for the sample).
exports_folder = ""

# %%
from pathlib import Path

import rca
from rca import widgets as rw
from rca.drafting import draft_manifest

rw.offline_charts()

# %% [markdown]
# ## How an incident is described: the manifest
#
# One small text file, `investigation.toml`, kept next to the exports, says which files there
# are, what is in which column, in which time zone the times were written, when the problem was
# noticed and which signal showed it. This is the one for the incident we open:

# %%
print(Path(investigation).read_text())

# %% [markdown]
# ## Drafting a manifest from a folder of exports
#
# You do not have to write it by hand. `draft_manifest` looks at every export in a folder
# (CSV, CSV.GZ, TSV, Parquet) and guesses the rest: measurements or events, which column is
# the time, the tag, the value, the quality flag; how the time is written; OT or IT. It says
# **why** it guessed each thing. What it cannot know from the files becomes a **question**:
# usually the time zone of plant times written without one, and when the problem was noticed.
#
# Here it looks at the folder of the incident above (or at `exports_folder` if you set it):

# %%
draft = draft_manifest(exports_folder or Path(investigation).parent)
draft.to_frame()

# %% [markdown]
# Everything it guessed, with the reasons, and the questions it has:

# %%
print(draft.describe())

# %% [markdown]
# To use a draft for your own incident, answer the questions and write the file (the keys are
# the ones in square brackets above), then put its path in the `investigation` parameter:
#
# ```python
# draft.answer(timezone="Europe/Berlin", start="2026-03-04 10:15", symptom="PK5.AI301.PV")
# draft.answer("source.changes.timezone", "UTC")     # one source differs
# path = draft.write()                                # <folder>/investigation.toml
# ```
#
# Then check it with `rca check path/to/investigation.toml` in a terminal, or simply open it below.

# %% [markdown]
# ## Open the incident
#
# This reads every file, estimates clock offsets that are marked `auto`, and puts everything on
# one time grid. Times are shown in the plant's time zone; inside, everything is UTC.

# %%
inv = rca.open_investigation(investigation)
print(inv.summary())

# %% [markdown]
# ## What you should have now, and what to do next

# %%
rw.checkpoint("01 start here", inv, draft=draft, next_steps=[
    "Open 02_load_and_align: what was read, what was set aside and why, and a first timeline.",
    "For your own incident: draft, answer, write the manifest and set `investigation` to its path.",
])

# %% [markdown]
# **You should now have** the incident open (its title, window and the number of signals and
# events are in the box above) and know how its files are described.
#
# **Next:** open `02_load_and_align.ipynb`. With papermill any notebook runs on another incident:
# `papermill notebooks/02_load_and_align.ipynb out.ipynb -p investigation path/to/investigation.toml`.
