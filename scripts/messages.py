"""Refresh the gettext catalogs and fill Russian translations from tab-separated files.

    .venv/bin/python scripts/messages.py [translations.tsv ...]

Each TSV line is `msgid<TAB>msgstr` (use \\n for a newline inside either). The whole run holds an exclusive
lock on the catalogs, so several people (or sessions) working in one checkout never overwrite each other's
entries between `makemessages` and filling them in. Prints the msgids still untranslated.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "abonent"
DJANGO_ADMIN = [sys.executable, "-m", "django"]
LOCK = ROOT / "var" / "messages.lock"  # var/ is git-ignored


def unescape(text: str) -> str:
    return text.replace("\\n", "\n").replace("\\t", "\t")


def read_pairs(paths: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for path in paths:
        for line_number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            msgid, sep, msgstr = line.partition("\t")
            if not sep:
                sys.exit(f"{path}:{line_number}: no tab between msgid and msgstr")
            pairs[unescape(msgid)] = unescape(msgstr)
    return pairs


def fill(catalog_path: Path, pairs: dict[str, str]) -> list[str]:
    catalog = polib.pofile(str(catalog_path), wrapwidth=110)
    for entry in catalog:
        if entry.obsolete:
            continue
        if entry.msgid in pairs:
            if entry.msgid_plural:
                forms = pairs[entry.msgid].split("|")
                entry.msgstr_plural = dict(enumerate(forms))
            else:
                entry.msgstr = pairs[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    catalog.save()
    return [e.msgid for e in catalog if not e.obsolete and not e.translated()]


def main() -> None:
    pairs = read_pairs(sys.argv[1:])
    LOCK.parent.mkdir(exist_ok=True)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            [*DJANGO_ADMIN, "makemessages", "-l", "ru", "-l", "en", "--ignore", ".venv", "--no-obsolete"],
            cwd=PACKAGE,
            check=True,
        )
        missing = fill(PACKAGE / "locale" / "ru" / "LC_MESSAGES" / "django.po", pairs)
        subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            [*DJANGO_ADMIN, "compilemessages", "--ignore", ".venv", "-v", "0"], cwd=PACKAGE, check=True
        )
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"{len(missing)} untranslated")


if __name__ == "__main__":
    main()
