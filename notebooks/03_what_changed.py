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
# # 3. What changed, and when
#
# **Goal of this notebook:** find every change in every signal, plant and IT, in the hours
# before the incident, the strongest first, and look at them yourself with the signal explorer.

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
# ## Changes in every signal
#
# A *change* is a moment after which a signal behaves differently: its level moves (a step, a
# new operating point) or its noise grows or shrinks. Slow wandering and single spikes are
# **not** changes; a gap in the data is not a change either. The threshold adapts to each
# signal's own noise, so a temperature and a CPU load are judged fairly. The bar shows the
# progress over all signals of the analysis window.

# %%
changes = rw.run_with_progress(rw.detect_changes_stepwise, inv.signals_in(),
                               label="Looking for changes in every signal")

# %% [markdown]
# The strongest changes. *size* is the step in units of the signal's normal noise (0.5 is
# hidden in the noise, 5 is a jump you see by eye); *strength* is how sure we are that
# something changed.

# %%
rw.changes_in_words(changes, inv)

# %% [markdown]
# ## All changes on the timeline
#
# Change points are marked in their signal's lane; events are underneath. Look for changes that
# come *before* the symptom and for events just before the first changes.

# %%
rw.ChartView(timeline_chart(inv.signals_in(), inv.events_in(), changes, signal_info=inv.signal_info,
                            incident_start=inv.incident.start, timezone=inv.timezone,
                            title="Changes across OT and IT before the incident"))

# %% [markdown]
# ## Signal explorer
#
# - **Threshold**: slide right for fewer, clearer changes; left for more, smaller ones (x 1 is
#   the automatic setting). The list, the table and the chart update.
# - **Window**: narrow the time range.
# - **Domain / Unit / Name**: filter the signals (e.g. `IT`, or `*latency*`); pick signals in the
#   list to chart them (Ctrl/Shift for several). The symptom and the strongest changes come first.
#
# In each panel the dots are the change points (hover for the time and the size), the dashed
# lines the level before and after, the band how certain the time is.

# %%
explorer = rw.ChangeExplorer(inv)
explorer

# %% [markdown]
# ## What you should have now, and what to do next

# %%
rw.checkpoint("03 what changed", inv, changes=changes, next_steps=[
    "Note the earliest strong changes and the signals they are in.",
    "Open 04_relate_ot_it to see which signals move together and which events come first.",
])

# %% [markdown]
# **You should now have** the list of changes, strongest first, and an idea which signals moved
# first. Changes are not causes yet: a change can be a consequence.
#
# **Next:** `04_relate_ot_it.ipynb`.
