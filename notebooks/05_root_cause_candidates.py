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
# # 5. Root-cause candidates
#
# **Goal of this notebook:** the ranked list of likely root causes with the evidence for each,
# a closer look at every candidate, the path the disturbance took, and the team's hypotheses
# recorded next to the evidence.

# %% tags=["parameters"]
investigation = "../sample_data/line3_scrap_spike/investigation.toml"
# Your name and team, recorded with what you add on the hypothesis board.
author = "workshop"
team = ""

# %%
import rca
from rca import widgets as rw
from rca.charts import candidates_chart, propagation_chart
from rca.hypotheses import open_hypothesis_log
from rca.hypothesis_board import HypothesisBoard
from rca.ranking import propagation_edges, rank_candidates

rw.offline_charts()
inv = rca.open_investigation(investigation)
print(inv.summary())

# %% [markdown]
# ## The ranking
#
# Signals and event sources are ranked together. A candidate scores high when it changed
# **before** the symptom, when a chain of changes leads from it to the symptom (each link a
# change followed by another that moves with it), and, for events, when it came right before
# the first change of that chain. The evidence column says why, in words.

# %%
ranking = rw.run_with_progress(rank_candidates, inv, label="Ranking root-cause candidates")
rw.candidates_in_words(ranking, inv)

# %% [markdown]
# Scores on the left, when each candidate first changed or occurred on the right (the red line
# is when the incident was noticed). Hover a bar for the evidence.

# %%
rw.ChartView(candidates_chart(ranking, incident_start=inv.incident.start, timezone=inv.timezone))

# %% [markdown]
# ## The hypothesis board
#
# What the team suspects, checks and decides is kept in a small file next to the manifest,
# shared by everyone who opens this incident. Add a hypothesis ("the firewall change broke the
# OPC link"), then attach candidates to it below.

# %%
log = open_hypothesis_log(inv, author=author, team=team or None)
board = HypothesisBoard(log)
board

# %% [markdown]
# ## Candidate by candidate
#
# Step through the candidates: the evidence, and the candidate next to the symptom (for an
# event source: its events on the timeline). *Attach* adds the candidate you are looking at to
# the hypothesis selected on the board, as supporting or contradicting evidence.

# %%
browser = rw.CandidateBrowser(inv, ranking, board=board)
browser

# %% [markdown]
# ## How the disturbance travelled
#
# Each row is a signal, each dot one of its changes; a line joins a change to the later change
# it most likely caused (thicker = stronger evidence). Read from left to right.

# %%
rw.ChartView(propagation_chart(propagation_edges(ranking), signal_info=inv.signal_info,
                               incident_start=inv.incident.start, timezone=inv.timezone))

# %% [markdown]
# ## What you should have now, and what to do next

# %%
rw.checkpoint("05 root-cause candidates", inv, candidates=ranking, next_steps=[
    "Discuss the top candidates with both teams; check each one against what people saw.",
    "Record hypotheses and attach the evidence on the board; it is what the report is written from.",
])

# %% [markdown]
# **You should now have** the ranked candidates with their evidence, a look at each, the
# propagation picture, and the team's hypotheses with attached evidence.
#
# **Next:** confirm the top candidate on site (the change record, the valve, the operator's
# log) and write the report from the hypothesis log.
