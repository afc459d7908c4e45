"""``duban serve``: the web app on gunicorn, several processes with threads in each.

One Python process serves one request at a time on the CPU (the GIL), so a single
waitress process used one core of two. gunicorn's ``gthread`` workers give one process
per core (the default) with a pool of threads each: threads wait for the database and
slow clients, processes use the cores. The same WSGI application runs in every worker.

The master process loads no application and holds no database connection: each worker
imports Django and opens its own connections after the fork, so no SQLite handle or
PostgreSQL socket is ever shared between processes.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication


def default_workers() -> int:
    """One worker process per CPU core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class DubanServer(BaseApplication):
    """gunicorn configured from our options instead of its command line."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from duban.project.wsgi import application

        return application


def serve(
    *,
    host: str,
    port: int,
    workers: int | None = None,
    threads: int = 4,
    timeout: int = 120,
) -> None:
    """Run the server until it is stopped (SIGINT or SIGTERM: finish requests, then exit)."""
    from django.db import connections

    # Whatever the caller did before (``duban demo`` migrates and loads data) must not leave
    # a connection for the workers to inherit.
    connections.close_all()
    # Page bodies kept by an earlier run were drawn by templates that may have changed since
    # (an upgrade): start with none (duban/core/pagecache.py).
    from duban.core import pagecache

    pagecache.clear()
    DubanServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers or default_workers(),
            "worker_class": "gthread",
            "threads": threads,
            # An inline import or a PDF upload may take a minute; a stuck worker is replaced.
            "timeout": timeout,
            "graceful_timeout": 30,
            # Recycle workers now and then so a slow leak never grows without bound. Not
            # too often: a new worker imports Django and warms its templates again (about a
            # second of CPU); at 2,000 a busy morning recycled each worker every few seconds.
            "max_requests": 10000,
            "max_requests_jitter": 1000,
            "proc_name": "duban",
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
        }
    ).run()
