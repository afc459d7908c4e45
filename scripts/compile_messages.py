#!/usr/bin/env python3
"""Compile every ``duban/locale/*/LC_MESSAGES/django.po`` into its ``django.mo`` with polib.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``; this does not, so the
committed catalogs can be rebuilt (and checked by the tests) on any machine with the
``test`` extra installed. Fuzzy and untranslated entries are left out, as msgfmt does.

    .venv/bin/python scripts/compile_messages.py          # write the .mo files
    .venv/bin/python scripts/compile_messages.py --check  # exit 1 if one is stale
"""

from __future__ import annotations

import argparse
import gettext
import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "duban" / "locale"


def catalogs(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """The .po files of the Django catalogs, one per language."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/django.po"))


def compile_po(po_path: Path) -> Path:
    """Write ``django.mo`` next to ``po_path`` and return its path."""
    mo_path = po_path.with_suffix(".mo")
    polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
    return mo_path


def expected(po: polib.POFile) -> dict[str | tuple[str, int], str]:
    """What a correct .mo must map each msgid to, keyed as ``GNUTranslations._catalog``."""
    out: dict[str | tuple[str, int], str] = {}
    for entry in po.translated_entries():
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for n, text in entry.msgstr_plural.items():
                out[(msgid, int(n))] = text
        else:
            out[msgid] = entry.msgstr
    return out


def stale(po_path: Path) -> list[str]:
    """The msgids whose translation in the committed .mo differs from the .po."""
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return [f"{mo_path} is missing"]
    with mo_path.open("rb") as fh:
        found = gettext.GNUTranslations(fh)._catalog
    found = {k: v for k, v in found.items() if k != ""}
    want = expected(polib.pofile(str(po_path)))
    return sorted(str(k) for k in set(want) | set(found) if want.get(k) != found.get(k))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    args = parser.parse_args(argv)
    paths = catalogs()
    if not paths:
        print(f"no catalogs under {LOCALE_DIR}", file=sys.stderr)
        return 1
    status = 0
    for po_path in paths:
        if args.check:
            diff = stale(po_path)
            if diff:
                status = 1
                print(f"{po_path}: {len(diff)} entries differ from the .mo", file=sys.stderr)
            continue
        po = polib.pofile(str(po_path))
        mo_path = compile_po(po_path)
        print(f"{mo_path}: {len(po.translated_entries())} of {len(po)} entries")
    return status


if __name__ == "__main__":
    sys.exit(main())
