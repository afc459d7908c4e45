"""The ``duban`` command: one entry point for setting up, serving, importing and exporting.

Each sub-command is a thin adapter: the work is done by services and modules that the web
pages and tests call too. ``duban --help`` is reproduced in ``docs/cli.md`` and a test keeps
the two in step.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from duban import __version__
from duban.conf import setup_django


@click.group(
    context_settings={
        "help_option_names": ["-h", "--help"],
        # A fixed width keeps `--help` identical everywhere, so docs/cli.md can quote it.
        "terminal_width": 100,
        "max_content_width": 100,
    }
)
@click.version_option(__version__, "--version", prog_name="duban")
def main() -> None:
    """督办 duban: turn a government report into a supervised task book.

    Settings come from DUBAN_* environment variables (see docs/operations.md);
    by default data lives in ./var with an SQLite database.
    """


@main.command()
def migrate() -> None:
    """Create or upgrade the database tables."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@main.command()
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="Display name (姓名).")
@click.option("--unit", default="", help="Unit name or short name for the role.")
@click.option(
    "--role",
    type=click.Choice(["office", "leader", "unit_leader", "clerk", "viewer"]),
    default=None,
    help="Role in --unit.",
)
@click.option("--superuser", is_flag=True, help="Also a Django superuser (admin site).")
def createuser(
    username: str, password: str, display_name: str, unit: str, role: str | None, superuser: bool
) -> None:
    """Create a login, optionally with a role in a unit (the password policy applies)."""
    setup_django()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from duban.org.models import User
    from duban.org.services import create_user

    try:
        validate_password(password, User(username=username))
    except ValidationError as exc:
        raise click.ClickException(" ".join(exc.messages)) from exc
    try:
        user = create_user(
            username,
            password=password,
            display_name=display_name,
            unit=unit or None,
            role=role,
            superuser=superuser,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created user {user.username}")


@main.command()
@click.argument("username")
@click.option(
    "--scope",
    type=click.Choice(["read", "write"]),
    default="read",
    show_default=True,
    help="read: GET only; write: may also report, reply and change.",
)
@click.option("--days", default=365, show_default=True, type=int, help="Days until it expires.")
@click.option("--rotate", is_flag=True, help="Revoke the user's other tokens first.")
def token(username: str, scope: str, days: int, rotate: bool) -> None:
    """Issue an API token for a user and print it once (Authorization: Token <key>).

    Only a hash is stored: a lost token cannot be shown again, issue a new one.
    """
    setup_django()
    from duban.org.models import User
    from duban.org.tokens import issue_token

    user = User.objects.filter(username=username).first()
    if user is None:
        raise click.ClickException(f"找不到用户“{username}” (no such user)")
    try:
        row, key = issue_token(user, scope=scope, days=days, replace=rotate)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(key)
    click.echo(f"scope {row.scope}, expires {row.expires_at:%Y-%m-%d}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(min=1),
    help="Worker processes.  [default: one per CPU core]",
)
@click.option(
    "--threads",
    # Four: more threads in one process contend for its interpreter lock (case d of
    # docs/benchmarks.md served 380 req/s at 8 threads, 500 at 4 and 2, on two cores).
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="Threads in each worker process.",
)
@click.option(
    "--timeout",
    default=120,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds before a silent worker is restarted.",
)
def serve(host: str, port: int, workers: int | None, threads: int, timeout: int) -> None:
    """Serve the web app with gunicorn: several processes, threads in each."""
    setup_django()
    from duban.server import default_workers
    from duban.server import serve as run_server

    for line in startup_warnings():
        click.echo(line, err=True)
    count = workers or default_workers()
    click.echo(f"duban serving on http://{host}:{port}/ ({count} processes × {threads} threads)")
    run_server(host=host, port=port, workers=count, threads=threads, timeout=timeout)


def startup_warnings() -> list[str]:
    """The start-up checks ``serve`` prints before it listens (gunicorn runs none itself).

    Why: a database or backup other accounts can read should be said at every start, not
    only when someone runs ``duban manage check`` (issue 14).
    """
    from duban.core.checks import data_folder_is_private

    return [f"warning {w.id}: {w.msg} (fix: {w.hint})" for w in data_folder_is_private()]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up the demo data and exit.")
@click.option(
    "--scale",
    type=click.Choice(["city", "province"]),
    default="city",
    show_default=True,
    help="province: add a generated plan of 300 units, 20,000 tasks, 500,000 reports.",
)
@click.option(
    "--size",
    default=None,
    metavar="UNITS,TASKS,REPORTS",
    help="With --scale province: another size, e.g. 50,2000,20000.",
)
def demo(host: str, port: int, no_serve: bool, scale: str, size: str | None) -> None:
    """Migrate, load the demo city and its sample report, then serve.

    Two-factor log-in is off in the demo unless DUBAN_REQUIRE_2FA=true is set.
    """
    # The demo's logins are shared by everyone trying it; two-factor would stop them at a
    # QR code. A real deployment keeps the default (required for the office and admins).
    os.environ.setdefault("DUBAN_REQUIRE_2FA", "false")
    setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    from duban.demo.loader import DEMO_PASSWORD, load_demo
    from duban.supervision.workdays import WARNED_ENV, warn_uncovered_years, warned_years

    call_command("migrate", interactive=False, verbosity=0)
    if scale == "province":
        from duban.demo.loader import PROVINCE_SIZE, load_province_scale

        counts = dict(PROVINCE_SIZE)
        if size:
            try:
                counts = dict(zip(counts, (int(n) for n in size.split(",")), strict=True))
            except ValueError as exc:
                raise click.BadParameter(
                    "需要三个整数：单位数,任务数,报告数", param_hint="--size"
                ) from exc
            if min(counts.values()) < 1:
                raise click.BadParameter("单位数、任务数、报告数都须大于 0", param_hint="--size")
        click.echo(
            "loading the province-sized plan ({units} units, {tasks} tasks, {reports} reports)"
            "; this takes a minute or two the first time".format(**counts)
        )
        summary = load_province_scale(**counts)
        click.echo(
            f"province plan: {summary['province_tasks']} tasks, "
            f"{summary['province_reports']} reports"
        )
    else:
        summary = load_demo()
    this_year = timezone.localdate().year
    warn_uncovered_years(range(this_year, this_year + 2))
    click.echo(
        f"demo city: {summary['city']}: {summary['units']} units, "
        f"{summary['tasks']} tasks from the sample report"
    )
    click.echo(f"logins (password for all: {DEMO_PASSWORD}):")
    for username, label in summary["users"]:
        click.echo(f"  {username:<12} {label}")
    if os.environ.get("DUBAN_REQUIRE_2FA", "").lower() in {"1", "true", "yes", "on"}:
        click.echo("two-factor: on; office logins enrol an authenticator app at first log-in")
    else:
        click.echo("two-factor: off for the demo (DUBAN_REQUIRE_2FA=true duban demo to try it)")
    if no_serve:
        return
    import subprocess

    # The worker runs beside the server for as long as the demo does.
    worker_proc = subprocess.Popen(
        [sys.executable, "-m", "duban", "worker", "--poll", "2"],
        env={
            **os.environ,
            "DUBAN_WORKER_PARENT": str(os.getpid()),
            WARNED_ENV: ",".join(str(y) for y in warned_years()),
        },
    )
    click.echo(f"worker started (pid {worker_proc.pid}); open http://{host}:{port}/")
    from duban.server import serve as run_server

    try:
        run_server(host=host, port=port)
    finally:
        worker_proc.terminate()


@main.command()
@click.option("--once", is_flag=True, help="Run the due jobs, then exit.")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between queue checks.")
def worker(once: bool, poll: float) -> None:
    """Run background jobs: nightly light recompute, reminders and escalation, bulletins."""
    setup_django()
    from duban.core.jobs import work

    parent = os.environ.get("DUBAN_WORKER_PARENT")
    # Started by `duban demo`: stop when the demo's process is gone, however it ended.
    stop = (lambda: str(os.getppid()) != parent) if parent else None
    ran = work(once=once, poll=poll, stop=stop)
    if once:
        click.echo(f"ran {ran} jobs")


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Archive path (default: DUBAN_HOME/backups/duban-<time>.tar.gz).",
)
def backup(output: Path | None) -> None:
    """Write one archive of the database and uploaded files, with SHA-256 manifest."""
    setup_django()
    from duban.core.backup import BackupError
    from duban.core.backup import backup as do_backup

    try:
        path = do_backup(output)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(path))


@main.command()
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(archive: Path, yes: bool) -> None:
    """Verify an archive, then replace the database and files with its contents."""
    setup_django()
    from duban.core.backup import BackupError
    from duban.core.backup import restore as do_restore

    if not yes:
        click.confirm("这将覆盖当前数据库和上传文件 (this replaces all data). 继续？", abort=True)
    try:
        manifest = do_restore(archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {len(manifest.files)} files from {archive}")


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command (check, makemigrations, shell …)."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["duban manage", *args])


def cli_reference() -> str:
    """The Markdown of ``docs/cli.md``: every command's ``--help``, as the program prints it."""
    parts = [
        "# The `duban` command\n",
        "Generated by `make docs` from the program itself; a test fails when this page and",
        "the program disagree.\n",
    ]
    ctx = click.Context(main, info_name="duban", **main.context_settings)
    parts += ["## duban\n", "```text", main.get_help(ctx).rstrip(), "```\n"]
    for name in sorted(main.commands):
        command = main.commands[name]
        sub = click.Context(
            command,
            info_name=name,
            parent=ctx,
            # As when run under `duban`: the group's settings (-h) apply to every command.
            **{**main.context_settings, **command.context_settings},
        )
        parts += [f"## duban {name}\n", "```text", command.get_help(sub).rstrip(), "```\n"]
    return "\n".join(parts)


def _register_subsystems() -> None:
    """Sub-commands that live beside their subsystem: every package of duban with a
    ``cli`` module adds its ``COMMANDS`` (so this entry point names no subsystem)."""
    import importlib
    import importlib.util
    import pkgutil

    import duban

    for info in sorted(pkgutil.iter_modules(duban.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        name = f"duban.{info.name}.cli"
        if importlib.util.find_spec(name) is None:
            continue
        for command_name, command in getattr(importlib.import_module(name), "COMMANDS", {}).items():
            main.add_command(command, command_name)
    # Every command answers -h too, however it is invoked (through `duban` or directly in a
    # test), so its help, and docs/cli.md, read the same everywhere.
    for command in main.commands.values():
        command.context_settings.setdefault("help_option_names", ["-h", "--help"])


_register_subsystems()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
