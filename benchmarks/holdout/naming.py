"""Names: how one scenario spells its OT tags, alarm sources, IT hosts and metrics.

Each scenario draws one OT convention and one IT convention, so a ranking cannot lean on
a name pattern (``.SP`` suffixes, ``/`` paths, a host prefix) to find the root cause.

OT conventions (ISA-5.1 letters and loop numbers underneath):

* ``pi``:    ``HTST2:TT131.PV``, ``HTST2:TIC131.SP``; alarm source ``HTST2:TT131``
* ``path``:  ``Pasteuriser/HTST2/TT-131`` (exported as three columns joined with ``/``),
  setpoints ``Pasteuriser/HTST2/TIC-131.SP``; alarm source as the PV name
* ``dcs``:   ``L2.HTST2.TT131.PV``; alarm source ``L2.HTST2.TT131``
* ``plain``: ``TT_131``, ``TIC_131_SP``; alarm source ``TT_131``
* ``kks``:   ``2PAB10CT131`` (KKS-like system/equipment/data codes), setpoints
  ``2PAB10CT131_SW``; alarm source ``2PAB10CT131``
"""

from __future__ import annotations

from dataclasses import dataclass

OT_STYLES = ("pi", "path", "dcs", "plain", "kks")

# KKS-like data characters by ISA measured variable
_KKS_DATA = {"F": "CF", "L": "CL", "P": "CP", "T": "CT", "A": "CQ", "V": "CY", "S": "CS", "Z": "CG", "I": "CE",
             "X": "CX"}
_KKS_SYS = {
    "Reception": "PAA", "Pasteuriser": "PAB", "Cooling": "PGC", "Filling": "PKF",
    "Intake": "GAA", "Coagulation": "GCB", "Filtration": "GCF", "Disinfection": "GCK", "Clearwell": "GCL",
}


@dataclass(frozen=True)
class OTNames:
    style: str
    site: str
    line: str

    def signal(self, tag) -> str:
        """Signal name of a :class:`~benchmarks.holdout.process.TagSpec` as the historian exports it."""
        letters, loop, attr = tag.letters, tag.loop, tag.attr
        sp = attr == "SP"
        if self.style == "pi":
            return f"{self.site}:{letters}{loop}.{'SP' if sp else ('OUT' if attr == 'OUT' else 'PV')}"
        if self.style == "path":
            base = f"{tag.area}/{tag.unit_name}/{letters}-{loop}"
            return base + (".SP" if sp else "")
        if self.style == "dcs":
            return f"{self.line}.{tag.unit_name}.{letters}{loop}.{'SP' if sp else ('OUT' if attr == 'OUT' else 'PV')}"
        if self.style == "plain":
            return f"{letters}_{loop}" + ("_SP" if sp else "")
        return self._kks(tag) + ("_SW" if sp else "")

    def path_parts(self, tag) -> tuple[str, str, str]:
        """(area, unit, point) for the ``path`` style, whose export splits the name in columns."""
        return tag.area, tag.unit_name, f"{tag.letters}-{tag.loop}" + (".SP" if tag.attr == "SP" else "")

    def alarm_source(self, tag) -> str:
        """Source name of alarms raised on this tag in the alarm & event log."""
        if self.style == "pi":
            return f"{self.site}:{tag.letters}{tag.loop}"
        if self.style == "path":
            return f"{tag.area}/{tag.unit_name}/{tag.letters}-{tag.loop}"
        if self.style == "dcs":
            return f"{self.line}.{tag.unit_name}.{tag.letters}{tag.loop}"
        if self.style == "plain":
            return f"{tag.letters}_{tag.loop}"
        return self._kks(tag)

    def loop_object(self, letters: str, loop: str, tag) -> str:
        """Name of a controller object (``TIC-131``) as the operator journal writes it."""
        if self.style in ("pi", "dcs"):
            return f"{letters}{loop}" if self.style == "pi" else f"{self.line}.{tag.unit_name}.{letters}{loop}"
        if self.style == "path":
            return f"{tag.area}/{tag.unit_name}/{letters}-{loop}"
        if self.style == "plain":
            return f"{letters}_{loop}"
        return self._kks(tag)

    def point(self, area: str, unit: str, text: str) -> str:
        """Name of a point that is not a historised signal (a switch, a PLC connection)."""
        if self.style == "pi":
            return f"{self.site}:{text.replace('-', '')}"
        if self.style == "path":
            return f"{area}/{unit}/{text}"
        if self.style == "dcs":
            return f"{self.line}.{unit}.{text.replace('-', '')}"
        if self.style == "plain":
            return text.replace("-", "_")
        return f"{self.line[-1]}{_KKS_SYS.get(area, 'XXX')}90{text.replace('-', '')[:6].upper()}"

    def _kks(self, tag) -> str:
        first = tag.letters[0]
        data = _KKS_DATA.get(first, "CX")
        if tag.letters.startswith("PD"):
            data = "CP"
        if tag.letters.endswith("IC"):
            data = "D" + data[1]  # closed-loop control function, not the measurement
        sysc = _KKS_SYS.get(tag.area, "XXX")
        return f"{self.line[-1]}{sysc}{10 + int(tag.loop[0]) * 10 % 90:02d}{data}{tag.loop}"


def draw_ot_names(rng, plant: str) -> OTNames:
    style = str(rng.choice(OT_STYLES))
    if plant == "dairy":
        site = str(rng.choice(["DRY", "MLK", "DAIRY1", "PAST", "CRM2"]))
    else:
        site = str(rng.choice(["WTW", "WTP2", "AQ1", "RWT", "KWW"]))
    line = f"L{int(rng.integers(1, 5))}"
    return OTNames(style, site, line)


# ---------------------------------------------------------------------------------------------
# IT estate
# ---------------------------------------------------------------------------------------------

IT_ROLES = ("gw", "scada", "fw", "sw", "hist", "mesdb", "fs", "dc", "bkp", "av", "wsus", "ews", "hmi1", "hmi2",
            "hmi3", "fwcorp", "prn")

_ROLE_WORDS = {
    "gw": ["opcgw", "kepware", "uagw", "edgegw", "mbgw"],
    "scada": ["scada", "linectl", "ignition", "wincc", "ifix"],
    "fw": ["fw-ot", "pa-ot", "fgt-ot", "asa-ot"],
    "sw": ["sw-core", "cs-ot", "ie-dist", "sw-l2"],
    "hist": ["hist", "pi", "canary", "aveva-hist"],
    "mesdb": ["mesdb", "sql-mes", "mes-db"],
    "fs": ["fs", "files", "nas"],
    "dc": ["dc", "ad", "adds"],
    "bkp": ["veeam", "bkp", "backup"],
    "av": ["epo", "av", "sep"],
    "wsus": ["wsus", "patch", "sccm"],
    "ews": ["ews", "eng", "tia-ws"],
    "hmi1": ["hmi"], "hmi2": ["hmi"], "hmi3": ["hmi"],
    "fwcorp": ["fw-corp", "pa-it", "fgt-it", "asa-it"],
    "prn": ["prn", "print", "mfp"],
}


@dataclass(frozen=True)
class ITNames:
    hosts: dict  # role -> host name
    vocab: str  # "telegraf", "zabbix" or "prom"

    def metric(self, role: str, what: str) -> str:
        """Signal name of metric ``what`` (cpu, mem, disk, io, latency, sessions, backlog, conns, util,
        discards, net) of the host with ``role``."""
        return f"{self.hosts[role]}/{METRIC_NAMES[self.vocab][what]}"

    def scale(self, what: str) -> float:
        """Factor from the model's unit (% for ratios, ms for latency) to this vocabulary's unit."""
        if self.vocab == "prom" and what in ("cpu", "mem", "disk", "io", "util"):
            return 0.01
        if self.vocab == "prom" and what == "latency":
            return 0.001
        return 1.0


METRIC_NAMES = {
    "telegraf": {"cpu": "cpu_usage_active", "mem": "mem_used_percent", "disk": "disk_used_percent",
                 "io": "diskio_util", "latency": "opcua_publish_latency_ms", "sessions": "opcua_sessions",
                 "backlog": "opcua_sf_backlog", "conns": "fw_sessions_active", "util": "if_uplink_util",
                 "discards": "if_out_discards_rate", "net": "net_tx_mbps"},
    "zabbix": {"cpu": "system.cpu.util", "mem": "vm.memory.utilization", "disk": "vfs.fs.pused",
               "io": "vfs.dev.util", "latency": "opcua.publish.latency", "sessions": "opcua.sessions",
               "backlog": "opcua.queue.size", "conns": "fw.sessions.active", "util": "net.if.util[uplink]",
               "discards": "net.if.out.discards[uplink]", "net": "net.if.out.mbps"},
    "prom": {"cpu": "node_cpu_busy_ratio", "mem": "node_memory_used_ratio", "disk": "node_filesystem_used_ratio",
             "io": "node_disk_io_util_ratio", "latency": "opcua_publish_latency_seconds",
             "sessions": "opcua_sessions_active", "backlog": "opcua_queue_items", "conns": "fw_sessions_active",
             "util": "if_uplink_util_ratio", "discards": "if_out_discards_per_second", "net": "node_net_tx_mbps"},
}

METRIC_UNITS = {"cpu": "%", "mem": "%", "disk": "%", "io": "%", "latency": "ms", "sessions": "", "backlog": "items",
                "conns": "", "util": "%", "discards": "1/s", "net": "Mbit/s"}


def draw_it_names(rng, plant: str, site: str) -> ITNames:
    style = int(rng.integers(0, 3))
    prefix = str(rng.choice({"dairy": ["dry", "mlk", "pst", "dai"], "water": ["wtw", "wtp", "aqu", "rwt"]}[plant]))
    num = int(rng.integers(1, 4))
    hosts = {}
    for role in IT_ROLES:
        words = _ROLE_WORDS[role]
        word = str(words[int(rng.integers(0, len(words)))])
        if role.startswith("hmi"):
            n = int(role[-1])
        elif role in ("prn",):
            n = int(rng.integers(1, 30))
        else:
            n = num if rng.random() < 0.7 else int(rng.integers(1, 5))
        if style == 0:
            name = f"{word.replace('-', '')}{n:02d}"
        elif style == 1:
            name = f"{prefix}-{word}-{n:02d}"
        else:
            name = f"{prefix}{word.replace('-', '')}{n:02d}".upper()
        while name in hosts.values():
            n += 1
            name = name[:-2] + f"{n:02d}"
        hosts[role] = name
    vocab = str(rng.choice(["telegraf", "zabbix", "prom"]))
    return ITNames(hosts, vocab)


def it_metric_roles() -> list[tuple[str, str]]:
    """(role, metric) pairs every scenario exports, whatever the cause."""
    return [
        ("gw", "cpu"), ("gw", "mem"), ("gw", "disk"), ("gw", "latency"), ("gw", "sessions"), ("gw", "backlog"),
        ("scada", "cpu"), ("scada", "mem"),
        ("fw", "cpu"), ("fw", "conns"),
        ("sw", "util"), ("sw", "discards"),
        ("hist", "cpu"), ("hist", "io"),
        ("mesdb", "cpu"), ("mesdb", "mem"),
        ("fs", "disk"),
        ("bkp", "net"),
    ]


def pick(rng, seq):
    """One element of a sequence (keeps Python types, unlike ``rng.choice`` on mixed lists)."""
    return seq[int(rng.integers(0, len(seq)))]


__all__ = ["OTNames", "ITNames", "draw_ot_names", "draw_it_names", "it_metric_roles", "pick", "METRIC_UNITS",
           "METRIC_NAMES", "OT_STYLES"]
