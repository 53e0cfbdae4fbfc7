"""Starting a parallel sweep's points by forking one helper process, not a new interpreter each.

A fresh ``python main.py`` pays Python's start and ``import mlxp`` (tens of ms of CPU) for every
point. The helper, started once per sweep with the sweep's interpreter, imports mlxp's own
modules and nothing of the user's (CUDA and the user's imports do not survive a fork), then
forks one child per point. The child makes itself the leader of a new session and process
group, takes the point's environment, working directory, ``sys.argv``, ``sys.path[0]`` and
output files, and runs the script as ``__main__`` (``runpy``), as ``python main.py`` would.

The helper alone reaps its children, so it alone signals their groups (on the runner's
request), and only while the child that leads the group is not reaped: no other process can
then have that group id. Messages are JSON lines on two pipes; the helper runs in a session
of its own, so a Ctrl-C in the terminal reaches the runner only.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence

__all__ = ["ForkServer", "ForkedPoint"]

# mlxp's modules a point uses, loaded (and warmed) by the helper before it forks
_PRELOAD = ("mlxp", "mlxp._override_parser", "mlxp._sweep_functions")
_BOOT = "import sys; del sys.path[0]; import mlxp._forkserver as s; s.serve({}, {})"


class ForkedPoint:
    """A point's process, started by the helper: its pid (the id of its process group) and,
    once the helper has reaped it, its exit code (negative: the signal that killed it)."""

    def __init__(self, server: "ForkServer", pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: Optional[int] = None

    def poll(self) -> Optional[int]:
        return self.returncode

    def signal_group(self, signum: int) -> None:
        """Ask the helper to signal this point's group, which it does only if not reaped."""
        if self.returncode is None:
            self.server.send({"signal": self.pid, "signum": int(signum)})


class ForkServer:
    """The runner's side of the helper for ``program`` (``[python, main.py]``, or ``[python,
    -m, module]``): start points, learn when they end.

    Raises:
        OSError: the interpreter cannot be started (from the constructor).
    """

    def __init__(self, program: Sequence[str]) -> None:
        from mlxp._shell import spawn_group  # not in the helper, whose children are the points

        requests_read, self._requests = os.pipe()
        self._replies, replies_write = os.pipe()
        boot = _BOOT.format(requests_read, replies_write)
        try:  # the script on its command line: ps and pgrep -f main.py show it and its points
            self.process = spawn_group([program[0], "-c", boot, *program[1:]],
                                       pass_fds=(requests_read, replies_write))
        except BaseException:
            for fd in (self._requests, self._replies):
                os.close(fd)
            raise
        finally:
            os.close(requests_read)
            os.close(replies_write)
        self._buffer = b""
        self.points: Dict[int, ForkedPoint] = {}
        self.closed = False
        self.gone = False  # the helper ended (or could not start): no more points from it

    def wait(self, timeout: float) -> None:
        """Wait (up to ``timeout``) for the helper to end, once closed: it is reaped, and no
        process of the sweep is left when the runner returns."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)

    def fileno(self) -> int:
        """Readable when the helper has news: select on it, then call ``collect``."""
        return self._replies

    def send(self, message: Dict[str, Any]) -> None:
        try:
            os.write(self._requests, json.dumps(message).encode() + b"\n")
        except BrokenPipeError:  # the helper is gone: collect() reports its points
            pass

    def start(self, argv: Sequence[str], cwd: str, env: Mapping[str, str],
              stdout_path: Optional[str], stderr_path: Optional[str]) -> ForkedPoint:
        """Start one point; its handle once the helper has forked it.

        Raises:
            OSError: the helper could not fork, or is gone.
        """
        self.send({"argv": list(argv), "cwd": cwd, "env": dict(env),
                   "stdout": stdout_path, "stderr": stderr_path})
        while True:
            for message in self._read(block=True):
                if "started" in message:
                    return message["point"]  # type: ignore[no-any-return]
                if "error" in message:
                    raise OSError(message["error"])

    def collect(self) -> None:
        """Read what the helper has said (without blocking): the points that ended."""
        for _ in self._read(block=False):
            pass

    def _read(self, block: bool) -> List[Dict[str, Any]]:
        messages: List[Dict[str, Any]] = []
        while b"\n" not in self._buffer:
            if not block and not select.select([self._replies], [], [], 0)[0]:
                return messages
            data = os.read(self._replies, 65536)
            if not data:  # the helper died: its points cannot be followed any more
                self._lost()
                if block:
                    raise OSError("the process that starts the points has ended")
                return messages
            self._buffer += data
            block = False
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:  # in order: a point that ends at once ends after it started
            message = json.loads(line)
            if "started" in message:
                message["point"] = self.points[message["started"]] = ForkedPoint(
                    self, message["started"])
            if "ended" in message:
                point = self.points.pop(message["ended"], None)
                if point is not None:
                    point.returncode = message["code"]
            else:
                messages.append(message)
        return messages

    def _lost(self) -> None:
        self.gone = True
        for point in self.points.values():
            point.returncode = -signal.SIGKILL
        self.points.clear()

    def close(self) -> None:
        """Let the helper go: it ends once its points have (it still reaps them)."""
        if not self.closed:
            self.closed = True
            os.close(self._requests)
            os.close(self._replies)


# --- the helper's side -------------------------------------------------------------------------


def serve(requests: int, replies: int) -> None:
    """The helper's loop: fork on request, report starts and ends, signal groups on request."""
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    importlib.import_module("mlxp._yaml").load_yaml("warm: [1, 1.0, true, null]")
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    own_fds = (requests, replies, wake_read, wake_write)
    children: set = set()
    buffer, open_requests = b"", True
    while open_requests or children:
        readable = select.select([requests, wake_read] if open_requests else [wake_read],
                                 [], [])[0]
        if wake_read in readable:
            os.read(wake_read, 4096)
        _reap(children, replies)
        if requests not in readable:
            continue
        data = os.read(requests, 65536)
        if not data:
            open_requests = False
            continue
        *lines, buffer = (buffer + data).split(b"\n")
        for line in lines:
            message = json.loads(line)
            if "signal" in message:
                if message["signal"] in children:  # not reaped: the group is still its own
                    try:
                        os.killpg(message["signal"], message["signum"])
                    except ProcessLookupError:
                        pass
                continue
            ready_read, ready_write = os.pipe()
            try:
                pid = os.fork()
            except OSError as error:
                _reply(replies, {"error": f"cannot fork: {error}"})
                pid = -1
            if pid == 0:
                os.close(ready_read)
                _be_the_point(message, own_fds, ready_write)  # never returns
            os.close(ready_write)
            if pid > 0:
                os.read(ready_read, 1)  # once its group exists, it can be signalled
                children.add(pid)
                _reply(replies, {"started": pid})
            os.close(ready_read)


def _reap(children: set, replies: int) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        _reply(replies, {"ended": pid, "code": os.waitstatus_to_exitcode(status)})


def _reply(replies: int, message: Dict[str, Any]) -> None:
    try:
        os.write(replies, json.dumps(message).encode() + b"\n")
    except BrokenPipeError:  # the runner is gone; its points still run to their end
        pass


def _be_the_point(request: Dict[str, Any], own_fds: Sequence[int], ready: int) -> None:
    """In the forked child: become ``python main.py <overrides>`` for the point, run it, exit.
    ``ready`` is closed once it leads its own session and group."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in own_fds:
        os.close(fd)
    code = 1
    try:
        try:
            os.setsid()
        finally:
            os.close(ready)
        _redirect(request["stdout"], 1)
        _redirect(request["stderr"], 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        code = _run_program(request["argv"])
    except BaseException as error:  # a working directory gone, a log file it cannot open
        os.write(2, f"could not start: {error}\n".encode(errors="replace"))
    finally:
        os._exit(code)


def _redirect(path: Optional[str], fd: int) -> None:
    if path is None:
        return
    opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    os.dup2(opened, fd)
    os.close(opened)
    stream: Any = sys.stdout  # a TextIOWrapper, made when the helper started
    if fd == 1 and stream is not None and not stream.write_through:
        stream.reconfigure(line_buffering=os.isatty(fd))  # not -u: a file is block-buffered


def _run_program(argv: Sequence[str]) -> int:
    """Run ``[python, script, args...]`` or ``[python, -m, module, args...]`` as ``__main__``
    in this process, as the interpreter would; its exit code."""
    import runpy

    module = argv[2] if argv[1] == "-m" else None
    target = module or argv[1]
    sys.argv = [target if module is None else "-m", *argv[(3 if module else 2):]]
    if module is None:
        try:
            open(target, "rb").close()
        except OSError as error:
            print(f"{sys.executable}: can't open file {target!r}: [Errno {error.errno}]"
                  f" {error.strerror}", file=sys.stderr)
            return 2
        sys.path[0:0] = [os.path.dirname(os.path.realpath(target))]
    else:
        sys.path[0:0] = [os.getcwd()]
    interrupted = False
    try:
        if module is None:
            runpy.run_path(target, run_name="__main__")
        else:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit:
        code = _exit_code(exit.code)
    except BaseException as error:
        _print_uncaught(error, target)
        interrupted, code = isinstance(error, KeyboardInterrupt), 1
    _finish()
    if interrupted:  # as python does: it dies of the signal
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code


def _exit_code(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _print_uncaught(error: BaseException, target: str) -> None:
    """The traceback python prints, from the script's own frame on (not runpy's, nor ours)."""
    trace = error.__traceback__
    while trace is not None and not _in_script(trace.tb_frame, target):
        trace = trace.tb_next
    sys.excepthook(type(error), error, trace or error.__traceback__)


def _in_script(frame: Any, target: str) -> bool:
    return frame.f_code.co_filename == target or frame.f_globals.get("__name__") == "__main__"


def _finish() -> None:
    """What the interpreter does at its end: wait for the task's threads, run atexit, flush."""
    import atexit
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
