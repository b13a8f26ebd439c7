"""Start/stop an isolated JupyterLab or Voila server for the browser tests.

Adapted from the tested recipe in ``../shared/recipes/jupyterlab-browser/``.

Everything Jupyter reads or writes (config, data, runtime, lab settings, workspaces,
IPython profile) goes into one temporary directory, so a developer's ~/.jupyter
cannot change the test, and we can find *our* kernels afterwards by the runtime
dir that appears in their command line.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# JupyterLab user settings seeded into JUPYTERLAB_SETTINGS_DIR
LAB_SETTINGS = {
    # No "Would you like to get notified about official Jupyter news?" toast
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # Attach every cell to the DOM (default 'contentVisibility'/'full' windowing
    # can leave off-screen outputs unattached/unpainted)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
    },
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _isolated_env(base: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
        ("IPYTHONDIR", "ipython"),
    ]:
        path = base / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    (base / "tmp").mkdir(exist_ok=True)
    env["TMPDIR"] = str(base / "tmp")  # voila puts kernel connection files under $TMPDIR
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_TOKEN", None)
    # make the venv's bin first so kernels/tools resolve to this interpreter
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _seed_lab_settings(settings_dir: Path) -> None:
    for rel, content in LAB_SETTINGS.items():
        f = settings_dir / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(content))


@dataclass
class JupyterServer:
    kind: str  # "lab" or "voila"
    root_dir: Path
    state_dir: Path
    notebook: str | None = None  # voila: notebook to serve; None serves root_dir as a tree
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    startup_s: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        common = [
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",  # fail instead of silently using another port
        ]
        if self.kind == "lab":
            cmd = [
                sys.executable, "-m", "jupyterlab",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}",  # ServerApp.token is deprecated
                "--ServerApp.open_browser=False",
                f"--ServerApp.root_dir={self.root_dir}",
                "--LabApp.expose_app_in_browser=True",  # window.jupyterapp for tests
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                *common,
            ]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                cmd.append("--allow-root")  # jupyter server refuses to run as root otherwise
            return cmd
        if self.kind == "voila":
            return [
                sys.executable, "-m", "voila",
                str(self.root_dir / self.notebook) if self.notebook else str(self.root_dir),
                "--Voila.ip=127.0.0.1",
                f"--Voila.port={self.port}",
                "--Voila.port_retries=0",
                f"--Voila.token={self.token}",
                "--Voila.open_browser=False",
                "--show_tracebacks=True",
                "--NotebookClient.timeout=300",  # voila executes via nbclient; fail, do not hang
                # jupytext's lab extension needs @jupyterlab/docmanager, which voila
                # does not provide -> console error "shared module ... RUNTIME-012"
                "--VoilaConfiguration.extension_denylist=jupyterlab-jupytext",
                "--no-browser",
            ]
        raise ValueError(self.kind)

    def start(self, timeout: float = 90.0) -> "JupyterServer":
        env = _isolated_env(self.state_dir)
        _seed_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
        self.log_path = self.state_dir / f"{self.kind}-server.log"
        log = open(self.log_path, "wb")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.command(),
            cwd=self.root_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our own process group; never signal the test runner
        )
        # lab: /api/status. voila: do NOT GET "/" (that executes the notebook in a
        # new kernel); a static file answers as soon as the server listens.
        status_url = (
            f"{self.base_url}/api/status?token={self.token}"
            if self.kind == "lab"
            else f"{self.base_url}/voila/static/voila.js"
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.kind} exited with {self.proc.returncode}:\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(status_url, timeout=2) as r:
                    if r.status == 200:
                        break
            except urllib.error.HTTPError as e:
                if self.kind == "voila" and e.code < 500:
                    break  # server is up and answering
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self.kind} did not answer on {status_url}")
            time.sleep(0.25)
        self.startup_s = time.perf_counter() - t0
        return self

    def _api(self, method: str, path: str):
        req = urllib.request.Request(
            f"{self.base_url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
            return json.loads(body) if body else None

    def _our_kernel_pids(self) -> list[int]:
        """Kernel processes whose connection file lives under OUR state dir
        (JUPYTER_RUNTIME_DIR for lab, $TMPDIR/voila_* for voila)."""
        pattern = re.compile(re.escape(str(self.state_dir)) + r"/\S*kernel-[0-9a-f-]+\.json")
        pids = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                cmdline = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if pattern.search(cmdline):
                pids.append(int(d.name))
        return pids

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None:
            return
        if self.kind == "lab" and self.proc.poll() is None:
            try:  # polite kernel shutdown through the REST API
                for k in self._api("GET", "/api/kernels") or []:
                    self._api("DELETE", f"/api/kernels/{k['id']}")
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # server shuts its kernels down on SIGTERM
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        # belt and braces: kill leftovers by PID (only processes started for this server)
        for pid in self._our_kernel_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc = None
