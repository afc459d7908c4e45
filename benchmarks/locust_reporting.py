"""The users of benchmarks/reporting_day.py (run by it; see its docstring).

A clerk files one report and then idles; an office user reloads the battle map. Accounts
come from the plan file the driver wrote (``RDAY_PLAN``), one per simulated user.
"""

from __future__ import annotations

import itertools
import json
import os
import re

from locust import HttpUser, between, task

PLAN = json.load(open(os.environ["RDAY_PLAN"], encoding="utf-8"))
PASSWORD = os.environ["RDAY_PASSWORD"]
CLERKS = iter(PLAN["clerks"])
OFFICES = itertools.cycle(PLAN["offices"])
# A 1 MB attachment, as a PDF would arrive (the upload checks the name, not the body).
ATTACHMENT = b"%PDF-1.4\n" + os.urandom(1024 * 1024 - 9)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version"[^>]*value="(\d*)"|value="(\d*)"[^>]*name="version"')


def post_form(user: HttpUser, url: str, name: str, data: dict, **kw: object) -> None:
    """POST a page's form as a browser does; anything but the redirect is a failure."""
    with user.client.post(
        url,
        data=data,
        headers={"Referer": user.host + url},
        name=name,
        catch_response=True,
        allow_redirects=False,
        **kw,
    ) as resp:
        if resp.status_code != 302:
            resp.failure(f"{name} answered {resp.status_code}")


def log_in(user: HttpUser, username: str) -> None:
    page = user.client.get("/accounts/login/", name="login page")
    token = TOKEN.search(page.text).group(1)
    post_form(
        user,
        "/accounts/login/",
        "log in",
        {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
    )


class Clerk(HttpUser):
    wait_time = between(1, 3)
    weight = 15

    def on_start(self) -> None:
        self.account = next(CLERKS, None)
        self.done = self.account is None
        if not self.done:
            log_in(self, self.account["username"])

    @task
    def file_the_report(self) -> None:
        if self.done:
            return
        self.client.get("/desk/", name="desk")
        url = f"/desk/report/{self.account['task']}/"
        form = self.client.get(url, name="report form")
        token = TOKEN.search(form.text).group(1)
        found = VERSION.search(form.text)
        version = (found.group(1) or found.group(2) or "") if found else ""
        post_form(
            self,
            url,
            "submit report (1 MB)",
            {
                "csrfmiddlewaretoken": token,
                "progress": "按计划推进，本月完成阶段目标。",
                "percent": "60",
                "problems": "",
                "next_steps": "下月继续推进。",
                "version": version,
            },
            files={"files": ("佐证材料.pdf", ATTACHMENT, "application/pdf")},
        )
        self.done = True


class Office(HttpUser):
    wait_time = between(3, 8)
    fixed_count = 20

    def on_start(self) -> None:
        log_in(self, next(OFFICES))

    @task
    def battle_map(self) -> None:
        self.client.get("/battlemap/", name="battle map")
