"""``casebook serve``, ``casebook status`` and ``casebook stop``: run the dashboard.

``serve`` starts ``streamlit run dashboard/asgi_app.py`` (``app.py`` behind one
middleware: see that file) from the repository root with ``CASEBOOK_DB`` set. In the
background it writes, beside the database, a PID file (``<db>.serve.pid``, JSON) and a
log (``<db>.serve.log``); in the foreground it writes the same PID file and copies the
server's output to the terminal and the log.

The server opens the DuckDB file only while it works (``cases.connection``), so other
commands run beside it; ``status`` still reads the server's ``<db>.serve.json`` (counts
and sizes, refreshed every 15 s) rather than competing with it for the file.

A foreground ``serve`` passes SIGTERM and SIGHUP (a service manager's stop) on to its
Streamlit child and removes its PID file; ``stop`` checkpoints the database once the
server is gone, so no ``.wal`` is left beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from cli.main import EXIT_FAILED, EXIT_OK, CommandError, db_path, print_json
from services.serving import STATUS_ENV, ServePaths, serve_paths

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "asgi_app.py"
DEFAULT_PORT = 8501
DEFAULT_ADDRESS = "127.0.0.1"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0
LOG_TAIL = 15


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add the serve, status and stop subcommands."""
    serve = subparsers.add_parser(
        "serve",
        parents=[common],
        help="start the dashboard on the database (foreground, or --background)",
        description="Start the Streamlit dashboard for --db. With --background it detaches and "
        "writes a PID file and a log beside the database; `casebook stop` ends it.",
    )
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    serve.add_argument(
        "--address",
        default=DEFAULT_ADDRESS,
        help=f"address to listen on (default {DEFAULT_ADDRESS}); another address needs "
        "sign-in ([auth] in .streamlit/secrets.toml) or --allow-unauthenticated",
    )
    serve.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        help="serve a non-loopback address without sign-in: everyone who reaches it reads "
        "every case and acts as $CASEBOOK_ROLE",
    )
    serve.add_argument(
        "--background",
        action="store_true",
        help="detach and return once the server answers",
    )
    serve.set_defaults(handler=run_serve)

    status = subparsers.add_parser(
        "status",
        parents=[common],
        help="say whether the dashboard runs, with counts, backends, GPU and the last log lines",
    )
    status.set_defaults(handler=run_status)

    stop = subparsers.add_parser(
        "stop", parents=[common], help="stop the dashboard serving --db"
    )
    stop.set_defaults(handler=run_stop)


# --------------------------------------------------------------------------- process helpers


def read_pid_file(paths: ServePaths) -> dict[str, Any] | None:
    """Return the PID file's record, or None when there is none or it is unreadable."""
    try:
        record = json.loads(paths.pid.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return (
        record
        if isinstance(record, dict) and isinstance(record.get("pid"), int)
        else None
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        try:
            raw = cmdline.read_bytes()
        except OSError:
            return True
        from cases.connection import is_dashboard_command

        words = [w.decode("utf-8", "replace") for w in raw.split(b"\0") if w]
        # A reused PID that is not our server does not count.
        return is_dashboard_command(words)
    return True


def running_server(paths: ServePaths) -> dict[str, Any] | None:
    """Return the PID record of a live server for this database; clear a stale one."""
    record = read_pid_file(paths)
    if record is None:
        return None
    if _alive(int(record["pid"])):
        return record
    paths.pid.unlink(missing_ok=True)
    return None


def _port_free(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # Streamlit (tornado) binds with SO_REUSEADDR, so a port whose last server just
        # stopped (connections in TIME_WAIT) is free for it; probe the same way, or a
        # restart right after `casebook stop` is refused for a minute.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def _url(address: str, port: int) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}"


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(
            f"{url}/_stcore/health", timeout=timeout
        ) as response:
            return bool(response.read().strip() == b"ok")
    except OSError:
        return False


def tail(path: Path, lines: int = LOG_TAIL) -> list[str]:
    """Return the last lines of a text file ([] when it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in data.splitlines() if line.strip()][-lines:]


def _check_database(db: Path, paths: ServePaths) -> None:
    """Open (create or migrate) the database once, so its problems show before serving.

    Also writes the first status file: the server refreshes it once a page has loaded.
    """
    from dataclasses import asdict

    from cases import open_store

    store = open_store(db)
    try:
        stats = store.stats()
    finally:
        store.close()
    body = {
        "pid": None,
        "db": str(db),
        "written_at": time.time(),
        "stats": asdict(stats),
    }
    paths.status.write_text(json.dumps(body), encoding="utf-8")


def server_command(address: str, port: int) -> list[str]:
    """Return the command line that runs the dashboard."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", address, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip


def _environment(db: Path, paths: ServePaths) -> dict[str, str]:
    env = dict(os.environ)
    env["CASEBOOK_DB"] = str(db)
    env[STATUS_ENV] = str(paths.status)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


# --------------------------------------------------------------------------- serve


def run_serve(args: argparse.Namespace) -> int:
    db = db_path(args).expanduser().resolve()
    paths = serve_paths(db)
    record = running_server(paths)
    if record is not None:
        message = (
            f"the dashboard already serves {db} at {record.get('url')} (PID {record['pid']}); "
            "open that address, or end it with `casebook stop`"
        )
        if args.json:
            print_json({"already_running": True, **record})
        else:
            print(message)
        return EXIT_OK
    if not 1 <= args.port <= 65535:
        raise CommandError(f"--port must be 1..65535, got {args.port}")
    exposure = _unauthenticated_exposure(args.address, args.allow_unauthenticated)
    if not _port_free(args.address, args.port):
        raise CommandError(
            f"port {args.port} on {args.address} is in use; pass another --port"
        )
    _check_database(db, paths)
    if exposure:
        print(f"warning: {exposure}", file=sys.stderr)
    url = _url(args.address, args.port)
    command = server_command(args.address, args.port)
    if args.background:
        return _serve_background(command, db, paths, url, args)
    return _serve_foreground(command, db, paths, url, args)


SECRETS_FILES = (
    ROOT / ".streamlit" / "secrets.toml",
    Path.home() / ".streamlit" / "secrets.toml",
)


def sign_in_configured() -> bool:
    """Whether a secrets file Streamlit reads configures ``[auth]`` (OIDC sign-in)."""
    import tomllib

    for path in SECRETS_FILES:
        try:
            secrets = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if secrets.get("auth"):
            return True
    return False


def _unauthenticated_exposure(address: str, allowed: bool) -> str | None:
    """Refuse, or describe, serving a non-loopback address without sign-in.

    Returns the warning to print when the exposure was allowed, else None.

    Raises:
        CommandError: a non-loopback address without sign-in and without the flag.
    """
    from services.access import DEFAULT_LOCAL_ROLE, is_loopback

    if is_loopback(address) or sign_in_configured():
        return None
    role = os.environ.get("CASEBOOK_ROLE") or DEFAULT_LOCAL_ROLE.value
    exposure = (
        f"without sign-in, everyone who reaches {address} can read every case, its "
        f"conversations and images, and act as role {role!r} in the audit log"
    )
    if not allowed:
        raise CommandError(
            f"{exposure}; configure sign-in ([auth] in .streamlit/secrets.toml, see "
            "docs/trust.md) or pass --allow-unauthenticated"
        )
    return exposure


def _write_pid(
    paths: ServePaths,
    pid: int,
    url: str,
    args: argparse.Namespace,
    db: Path,
    *,
    group: bool,
) -> dict[str, Any]:
    record = {
        "pid": pid,
        "url": url,
        "address": args.address,
        "port": args.port,
        "db": str(db),
        "log": str(paths.log),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "process_group": group,
    }
    tmp = paths.pid.with_name(paths.pid.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2), encoding="utf-8")
    tmp.replace(paths.pid)
    return record


def _serve_background(
    command: list[str], db: Path, paths: ServePaths, url: str, args: argparse.Namespace
) -> int:
    with paths.log.open("ab") as log:
        log.write(
            f"\n--- casebook serve {db} at {url} ({time.strftime('%Y-%m-%d %H:%M:%S')}) ---\n".encode()
        )
        log.flush()
        process = subprocess.Popen(
            command, cwd=ROOT, env=_environment(db, paths), stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    record = _write_pid(paths, process.pid, url, args, db, group=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            paths.pid.unlink(missing_ok=True)
            last = "\n".join(tail(paths.log, 8))
            raise CommandError(
                f"the dashboard exited with code {process.returncode}; last log lines:\n{last}"
            )
        if _healthy(url, timeout=1.0):
            break
        time.sleep(0.3)
    else:
        _terminate(process.pid, group=True)
        paths.pid.unlink(missing_ok=True)
        raise CommandError(
            f"the dashboard did not answer within {START_TIMEOUT_S:.0f} s; see {paths.log}"
        )
    if args.json:
        print_json({"already_running": False, **record})
    else:
        print(
            f"serving {db} at {url} (PID {process.pid}); log: {paths.log}; stop it with `casebook stop`"
        )
    return EXIT_OK


def _serve_foreground(
    command: list[str], db: Path, paths: ServePaths, url: str, args: argparse.Namespace
) -> int:
    print(f"serving {db} at {url}; Ctrl-C stops it", flush=True)
    with paths.log.open("ab") as log:
        log.write(
            f"\n--- casebook serve {db} at {url} ({time.strftime('%Y-%m-%d %H:%M:%S')}) ---\n".encode()
        )
        process = subprocess.Popen(
            command, cwd=ROOT, env=_environment(db, paths), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        _write_pid(paths, process.pid, url, args, db, group=False)
        copier = threading.Thread(target=_tee, args=(process, log), daemon=True)
        copier.start()
        previous = _forward_termination()
        try:
            code = process.wait()
        except (KeyboardInterrupt, _Terminated):
            _terminate(process.pid, group=False)
            code = 0
        finally:
            _restore_handlers(previous)
            copier.join(timeout=2)
            record = read_pid_file(paths)
            if record is not None and record.get("pid") == process.pid:
                paths.pid.unlink(missing_ok=True)
            paths.status.unlink(missing_ok=True)
    return EXIT_OK if code in (0, -signal.SIGTERM) else EXIT_FAILED


class _Terminated(Exception):
    """``casebook serve`` itself received SIGTERM or SIGHUP (a service manager stops it)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated(signum)


_FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _forward_termination() -> dict[int, Any]:
    """Turn SIGTERM/SIGHUP into an exception, so the child is stopped and files removed.

    Without this a service manager's SIGTERM ends ``casebook serve`` at once, leaving
    the Streamlit child serving (and holding the port) and a stale PID file behind.
    """
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous  # signal handlers can only be set from the main thread
    for signum in _FORWARDED_SIGNALS:
        previous[signum] = signal.signal(signum, _raise_terminated)
    return previous


def _restore_handlers(previous: dict[int, Any]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def checkpoint_database(db: Path) -> bool:
    """Write the write-ahead log into the database file; True when it was done.

    A plain copy of the ``.duckdb`` file without its ``.wal`` would lose the last
    writes, so ``stop`` leaves no log behind once the server is gone.
    """
    from cases import CasesError, checkpoint

    try:
        checkpoint(db)
    except CasesError:
        return False
    return True


def _tee(process: subprocess.Popen[bytes], log: Any) -> None:
    if process.stdout is None:
        return
    for line in iter(process.stdout.readline, b""):
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
        log.write(line)
        log.flush()


def _terminate(pid: int, *, group: bool) -> bool:
    """End a server: SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``. True when it ended."""
    send = (
        (lambda sig: os.killpg(pid, sig)) if group else (lambda sig: os.kill(pid, sig))
    )
    try:
        send(signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not _exists(pid):
            return True
        time.sleep(0.2)
    try:
        send(signal.SIGKILL)
    except ProcessLookupError:
        return True
    time.sleep(0.5)
    return not _exists(pid)


def _exists(pid: int) -> bool:
    try:
        # Reap it if it is our child; a zombie would otherwise look alive.
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().split(") ", 1)[1][:1] != "Z"
        except (OSError, IndexError):
            return True
    return True


# --------------------------------------------------------------------------- stop


def run_stop(args: argparse.Namespace) -> int:
    db = db_path(args).expanduser().resolve()
    paths = serve_paths(db)
    record = running_server(paths)
    if record is None:
        result = {
            "stopped": False,
            "db": str(db),
            "message": f"no dashboard is serving {db}",
        }
        if args.json:
            print_json(result)
        else:
            print(result["message"])
        return EXIT_OK
    pid = int(record["pid"])
    ended = _terminate(pid, group=bool(record.get("process_group")))
    if not ended:
        raise CommandError(f"PID {pid} did not stop; end it by hand (kill {pid})")
    paths.pid.unlink(missing_ok=True)
    paths.status.unlink(missing_ok=True)
    checkpointed = db.exists() and checkpoint_database(db)
    if args.json:
        print_json(
            {"stopped": True, "db": str(db), "pid": pid, "checkpointed": checkpointed}
        )
    else:
        note = "; database checkpointed" if checkpointed else ""
        print(f"stopped the dashboard serving {db} (PID {pid}){note}")
    return EXIT_OK


# --------------------------------------------------------------------------- status


def _sizes(db: Path) -> dict[str, int]:
    wal = db.with_name(db.name + ".wal")
    return {
        "database_bytes": sum(p.stat().st_size for p in (db, wal) if p.exists()),
    }


def _counts_from_heartbeat(paths: ServePaths) -> dict[str, Any] | None:
    try:
        body = json.loads(paths.status.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stats = body.get("stats") if isinstance(body, dict) else None
    if not isinstance(stats, dict):
        return None
    return {
        **stats,
        "as_of_s_ago": round(
            max(0.0, time.time() - float(body.get("written_at", 0))), 1
        ),
    }


def _counts_from_database(db: Path) -> dict[str, Any]:
    from cases import CasesError, open_store

    try:
        store = open_store(db)
    except CasesError as exc:
        return {"error": str(exc)}
    try:
        stats = store.stats()
    finally:
        store.close()
    return {
        "cases": stats.cases, "images": stats.images, "conversations": stats.conversations,
        "turns": stats.turns, "annotations": stats.annotations, "audit_records": stats.audit_records,
        "database_bytes": stats.database_bytes, "store_bytes": stats.store_bytes,
    }  # fmt: skip


def _backends() -> list[dict[str, Any]]:
    from engine.backends.registry import list_backends

    return [
        {"name": b.name, "available": b.available, "reason": b.reason}
        for b in list_backends()
    ]


def gpu_status() -> list[dict[str, Any]]:
    """Return each GPU's name and memory in use (nvidia-smi, else a CUDA build of torch)."""
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run(
                [smi, "--query-gpu=name,memory.used,memory.total", "--format=csv,noheader,nounits"],
                capture_output=True, text=True, timeout=10, check=True,
            ).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            out = ""
        gpus = []
        for line in out.strip().splitlines():
            parts = [p.strip() for p in line.split(",")]
            if len(parts) == 3:
                gpus.append(
                    {
                        "name": parts[0],
                        "memory_used_mib": _int(parts[1]),
                        "memory_total_mib": _int(parts[2]),
                        "source": "nvidia-smi",
                    }
                )
        if gpus:
            return gpus
    return _torch_gpus()


def _torch_gpus() -> list[dict[str, Any]]:
    import importlib.util

    # Importing torch takes seconds; only a CUDA build on a machine with a driver can answer.
    if (
        importlib.util.find_spec("torch") is None
        or not Path("/proc/driver/nvidia").exists()
    ):
        return []
    import torch

    if not torch.cuda.is_available():
        return []
    return [
        {
            "name": torch.cuda.get_device_name(i),
            "memory_used_mib": round(torch.cuda.memory_reserved(i) / 2**20),
            "memory_total_mib": round(
                torch.cuda.get_device_properties(i).total_memory / 2**20
            ),
            "source": "torch (this process only)",
        }
        for i in range(torch.cuda.device_count())
    ]


def _int(text: str) -> int | None:
    try:
        return int(float(text))
    except ValueError:
        return None


def run_status(args: argparse.Namespace) -> int:
    db = db_path(args).expanduser().resolve()
    paths = serve_paths(db)
    record = running_server(paths)
    status: dict[str, Any] = {
        "running": record is not None,
        "pid": None if record is None else record["pid"],
        "url": None if record is None else record.get("url"),
        "healthy": None,
        "db": str(db),
        "db_exists": db.exists(),
        **_sizes(db),
        "counts": None,
        "backends": _backends(),
        "gpus": gpu_status(),
        "log": str(paths.log),
        "log_tail": tail(paths.log),
    }
    if record is not None:
        status["healthy"] = _healthy(str(record.get("url")))
        status["counts"] = _counts_from_heartbeat(paths)
    elif db.exists():
        status["counts"] = _counts_from_database(db)
    if args.json:
        print_json(status)
    else:
        _print_status(status)
    return EXIT_OK


def _print_status(status: dict[str, Any]) -> None:
    if status["running"]:
        health = "answering" if status["healthy"] else "not answering yet"
        print(f"running: yes, PID {status['pid']}, {status['url']} ({health})")
    else:
        print("running: no")
    size = status["database_bytes"] / 2**20
    print(
        f"database: {status['db']} ({size:.1f} MiB{'' if status['db_exists'] else ', does not exist yet'})"
    )
    counts = status["counts"]
    if counts and "error" not in counts:
        age = (
            f" (as of {counts['as_of_s_ago']:.0f} s ago)"
            if "as_of_s_ago" in counts
            else ""
        )
        print(
            f"cases: {counts.get('cases')}, turns: {counts.get('turns')}, conversations: "
            f"{counts.get('conversations')}, annotations: {counts.get('annotations')}{age}"
        )
    elif counts:
        print(f"counts: unavailable ({counts['error']})")
    elif status["running"]:
        print(
            "counts: the server has not written its status file yet; try again in a few seconds"
        )
    for b in status["backends"]:
        print(
            f"backend {b['name']}: {'loads' if b['available'] else 'unavailable'} ({b['reason']})"
        )
    if status["gpus"]:
        for g in status["gpus"]:
            print(
                f"GPU: {g['name']}, {g['memory_used_mib']} of {g['memory_total_mib']} MiB in use ({g['source']})"
            )
    else:
        print("GPU: none found")
    if status["log_tail"]:
        print(f"last log lines ({status['log']}):")
        for line in status["log_tail"]:
            print(f"  {line}")
