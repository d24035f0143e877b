"""Serving the planners' web app (``cqsim app``) on this machine, with nothing from the network.

The Solara server runs in this process (uvicorn). Solara's page loads its JavaScript, CSS and
fonts from a CDN path that the server answers itself from the files of the ``solara-assets``
package; the server is told never to fetch a missing file from the network instead, and
Solara's usage statistics are switched off, so the app works on a machine without internet.
"""

from __future__ import annotations

import os
import signal
import warnings
from pathlib import Path

APP = "sim.app.views:Page"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def _offline() -> None:
    """Configure Solara before it is imported: production mode, no telemetry, no CDN fetches."""
    os.environ["SOLARA_APP"] = APP
    os.environ["SOLARA_MODE"] = "production"
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    os.environ["SOLARA_ASSETS_PROXY"] = "true"  # serve the CDN files from solara-assets
    os.environ.setdefault("MPLBACKEND", "agg")
    # Solara warns on every page load that a plain-http local server gets a lax cookie: expected
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    import solara.server.cdn_helper as cdn
    import solara.server.settings as settings
    import solara.settings

    settings.main.mode = "production"
    settings.telemetry.mixpanel_enable = False
    solara.settings.assets.proxy = True

    def refuse(url: str) -> bytes:
        raise RuntimeError(f"cqsim app works offline: {url} is not in solara-assets")

    cdn.fetch_from_cdn = refuse


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, save_dir: Path | None = None) -> int:
    """Serve the app until interrupted; print its address once it accepts connections."""
    if save_dir is not None:
        from sim.app.levers import SAVE_DIR_ENV

        os.environ[SAVE_DIR_ENV] = str(save_dir.resolve())
    _offline()
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                bound = self.servers[0].sockets[0].getsockname()[1] if self.servers else port
                shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
                print(f"cqsim app at http://{shown}:{bound}  (Ctrl-C stops it)", flush=True)

        def handle_exit(self, sig: int, frame: object) -> None:
            # Ctrl-C or SIGTERM: shut down cleanly (a second Ctrl-C forces it). Unlike uvicorn's
            # own handler, the signal is not raised again afterwards: that would interrupt the
            # shutdown of Solara's lifespan and print a traceback.
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            self.should_exit = True

    config = uvicorn.Config(
        "solara.server.starlette:app", host=host, port=port, log_level="warning", lifespan="on"
    )
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    try:
        Server(config).run()
    except KeyboardInterrupt:  # Ctrl-C before the server took over the signal
        pass
    print("cqsim app stopped", flush=True)
    return 0
