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
# # 4. Relate OT and IT
#
# **Goal of this notebook:** see which signals move *with* the symptom and how much *earlier*,
# whether some events (alarms, logons, change records, log messages) come before changes more
# often than chance, and test the most promising pairs.

# %% tags=["parameters"]
investigation = "../sample_data/line3_scrap_spike/investigation.toml"

# %%
import rca
from rca import widgets as rw
from rca.charts import timeline_chart
from rca.relate import event_association, granger_causality

rw.offline_charts()
inv = rca.open_investigation(investigation)
changes = inv.changes()
print(inv.summary())

# %% [markdown]
# ## Which signals move with the symptom, and how much earlier?
#
# Each signal is compared with the target (by default the symptom) at every delay. Process
# signals drift slowly, and two slow drifts look related by accident; so each signal's own
# rhythm is filtered out first ("pre-whitening"), and the p-values are corrected for testing
# many signals. A **positive lag** means the signal moves *before* the target.
# Pick another target or lag range to compare, e.g. a gateway latency against a flow.

# %%
lags = rw.LagExplorer(inv)
lags

# %% [markdown]
# ## Do events come before changes more often than chance?
#
# For each event source and kind: how many of its events were followed by a change within
# 10 minutes, how many chance would give (`expected`), the ratio (`lift`) and a p-value from
# shifting the events around the window (keeping bursts together). A lift well above 1 with a
# small p-value is worth a look; it is not a proof (an early *symptom* also comes first).

# %%
assoc = event_association(inv.events_in(), changes, within="10min", window=inv.window)
rw.local_times(assoc, inv.timezone).head(12)

# %% [markdown]
# ## Events against changes
#
# Only the events and the change points of the window, to see what happened right before the
# first changes. Hover an event for its message.

# %%
rw.ChartView(timeline_chart(None, inv.events_in(), changes, signal_info=inv.signal_info,
                            incident_start=inv.incident.start, timezone=inv.timezone,
                            title="Events and change points"))

# %% [markdown]
# ## Does one signal help predict another? (Granger test)
#
# For the three signals most related to the target: do their past values improve the
# prediction of the target beyond its own past? A small p-value says "yes"; like the
# correlations, it is evidence about timing, not proof of a physical link.

# %%
pairs = [(s, lags.target.value) for s in lags.table_frame["signal"].head(3)]
granger_causality(inv.signals_in(), pairs=pairs, max_lag="5min")

# %% [markdown]
# ## What you should have now, and what to do next

# %%
rw.checkpoint("04 relate OT and IT", inv, lags=lags.table_frame, associations=assoc, next_steps=[
    "Write down the signals that lead the symptom and the events that come before the first changes.",
    "Open 05_root_cause_candidates for the ranking that combines all of this.",
])

# %% [markdown]
# **You should now have** the signals that move with the symptom (and by how much earlier),
# the event groups that precede changes, and Granger tests of the strongest pairs.
#
# **Next:** `05_root_cause_candidates.ipynb`.
