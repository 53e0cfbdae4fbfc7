"""``mlxp ui [LOGDIR]``: a local web dashboard of the runs, served until Ctrl-C.

Prints one line, ``mlxp ui: serving LOGDIR at http://127.0.0.1:PORT/?token=T``, flushed so
that a script (or a test) can wait for it; the token in that URL is what lets a browser in.
"""

from __future__ import annotations

import argparse
import signal
import sys
import urllib.parse
from typing import Any

from mlxp.commands._common import add_logdir, check_logdir
from mlxp.errors import UsageError

NAME = "ui"


def register(commands: Any) -> None:
    """Add ``mlxp ui`` to the subparsers ``commands``."""
    parser = commands.add_parser(
        NAME,
        help="a local web dashboard of the runs: table, run pages, curves, groups, live",
        description="Serve a web dashboard of the runs of LOGDIR on this machine (read-only):"
        " the runs table with a filter, each run's page, curves compared or grouped, live"
        " updates of running runs. Open the printed URL (over SSH: forward the port with"
        " ssh -L PORT:localhost:PORT). Ctrl-C stops it.",
    )
    add_logdir(parser)
    parser.add_argument("--port", "-p", type=int, default=0, metavar="N",
                        help="the port to listen on (default 8765; a free one if taken)")
    parser.add_argument("--host", default="127.0.0.1", metavar="H",
                        help="the address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--open", action="store_true", help="also open the URL in a browser")
    parser.add_argument("--no-token", action="store_true",
                        help="let in every request without the URL's token (only on a machine"
                        " no one else uses: on a shared node anyone can reach 127.0.0.1)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="log every request on stderr")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; 130 after Ctrl-C, 143 after SIGTERM, as the other commands."""
    import warnings

    from mlxp.ui.server import DEFAULT_PORT, serve

    check_logdir(args.log_dir)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {args.port}")
    # A damaged run is shown as DAMAGED in the pages; the Reader's warning about it, at every
    # request, would only fill the terminal (and the list mlxp keeps to print at exit).
    warnings.simplefilter("ignore")
    wanted = args.port or DEFAULT_PORT

    def ready(url: str) -> None:
        port = urllib.parse.urlsplit(url).port
        if port != wanted:
            print(f"mlxp ui: port {wanted} is taken; using {port}", file=sys.stderr)
        if args.no_token and args.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"mlxp ui: warning: without a token, anyone who can reach {args.host}"
                  " can read these runs", file=sys.stderr)
        print(f"mlxp ui: serving {args.log_dir} at {url}", flush=True)

    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        serve(args.log_dir, args.port, args.host, token="" if args.no_token else None,
              open_browser=args.open, ready=ready, verbose=args.verbose)
    except KeyboardInterrupt as stop:
        print("mlxp ui: stopped", flush=True)
        return int(getattr(stop, "exit_code", 128 + signal.SIGINT))
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


class _Terminated(KeyboardInterrupt):
    """SIGTERM, stopping the server the way Ctrl-C does."""

    exit_code = 128 + signal.SIGTERM


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()
