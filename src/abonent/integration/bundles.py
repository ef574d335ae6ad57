"""Where a documents manifest's files are: a run's own bundle folder, or the profile's watched folder.

A manifest lists files by paths relative to its own folder. A watched folder brings the files with the
manifest, so a run from the folder reads them there. An upload brings one file, so a documents import is
uploaded as a ZIP (the manifest and its files): the files are unpacked into the run's bundle folder
before the run starts and stay there, so a resumed run and a fixed quarantined row find them again.
A command-line run's bundle is a link to the manifest's own folder instead of a copy.

Bundles are pruned (`prune_bundles`, daily): a bundle of a run finished longer ago than
INTEGRATION_BUNDLE_RETENTION_DAYS goes, and with it the chance to fix the run's quarantined rows in place;
a bundle of a run still pending or running (a run that may be resumed) is never touched.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.core.errors import DomainError
from abonent.integration.fields import FileKind
from abonent.integration.models import ImportProfile, ImportRun

MANIFEST_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")
# A ZIP may not unpack to more than this, nor hold more members: a small archive can inflate enormously.
MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_MEMBERS = 100_000


class BadBundle(DomainError):
    code = "bad_bundle"
    default_message = _("The ZIP cannot be read.")


class BundleNeedsManifest(DomainError):
    code = "bundle_needs_manifest"
    default_message = _("The ZIP must hold exactly one manifest (a CSV or XLSX file) beside the documents.")


class BundleTooLarge(DomainError):
    code = "bundle_too_large"
    default_message = _("The ZIP unpacks to more than 4 GB or holds more than 100,000 files.")


class BundleForDocumentsOnly(DomainError):
    code = "bundle_for_documents_only"
    default_message = _("A ZIP is accepted for a documents manifest with its files only.")


def bundle_dir(run_id: int) -> Path:
    from abonent.integration.services import imports_dir

    return imports_dir() / "bundles" / str(run_id)


def manifest_folder(run: ImportRun) -> Path | None:
    """Return the folder the run's manifest paths are relative to, or None when its files never came."""
    bundle = bundle_dir(run.pk)
    if bundle.is_dir():
        return bundle
    if run.channel == ImportRun.Channel.FOLDER and run.profile.watch_folder:
        return Path(run.profile.watch_folder)
    return None


def is_unsafe_path(name: str) -> bool:
    """Tell whether a listed path could leave its folder: absolute, a drive, or a ".." step."""
    posix = PurePosixPath(name.replace("\\", "/"))
    return (
        posix.is_absolute()
        or bool(PureWindowsPath(name).drive)
        or ".." in posix.parts
        or name.startswith("~")
    )


def start_bundle_import(
    *,
    profile: ImportProfile,
    path: Path,
    channel: str,
    created_by: Any = None,
    original_name: str = "",
    enqueue: bool = True,
) -> ImportRun:
    """Start the import of a ZIP holding a documents manifest and its files (call inside a transaction)."""
    from abonent.integration.services import start_import

    if profile.kind != FileKind.DOCUMENTS:
        raise BundleForDocumentsOnly()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadBundle() from exc
    with archive, tempfile.TemporaryDirectory() as work:
        manifest = _manifest(archive)
        _check_size(archive)
        base = PurePosixPath(manifest.filename).parent
        unpacked = Path(work) / "manifest" / PurePosixPath(manifest.filename).name
        unpacked.parent.mkdir()
        unpacked.write_bytes(archive.read(manifest))
        run = start_import(
            profile=profile,
            path=unpacked,
            channel=channel,
            created_by=created_by,
            original_name=original_name,
            enqueue=enqueue,
        )
        try:
            _unpack(archive, base, skip=manifest.filename, into=bundle_dir(run.pk))
        except BaseException:
            shutil.rmtree(bundle_dir(run.pk), ignore_errors=True)
            raise
    return run


def start_manifest_import(*, profile: ImportProfile, path: Path, channel: str) -> ImportRun:
    """Start a documents manifest named on the server: a ZIP with its files, or a manifest beside them.

    Call inside a transaction; the run is not queued: the caller runs it in its own process.
    """
    from abonent.integration.services import start_import

    if path.suffix.lower() == ".zip":
        return start_bundle_import(profile=profile, path=path, channel=channel, enqueue=False)
    run = start_import(profile=profile, path=path, channel=channel, enqueue=False)
    link_manifest_folder(run, path.parent)
    return run


def link_manifest_folder(run: ImportRun, folder: Path) -> None:
    """Let a run started from the command line read the manifest's files where they lie.

    The operator named the manifest on the server, so its own folder is trusted as a watched folder is;
    the run's bundle folder becomes a link to it (no copy of what may be gigabytes of scans), and a resumed
    run finds the files through the same link.
    """
    link = bundle_dir(run.pk)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(folder.resolve(), target_is_directory=True)


def _manifest(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    candidates = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and info.filename.lower().endswith(MANIFEST_SUFFIXES)
        and not is_unsafe_path(info.filename)
        and not PurePosixPath(info.filename).name.startswith(".")
    ]
    if len(candidates) != 1:
        raise BundleNeedsManifest()
    return candidates[0]


def _check_size(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS or sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
        raise BundleTooLarge()


def _unpack(archive: zipfile.ZipFile, base: PurePosixPath, *, skip: str, into: Path) -> None:
    """Unpack the members under the manifest's folder; members that would leave it are left out.

    Left-out members simply are not there: the manifest rows naming them are quarantined as missing.
    """
    into.mkdir(parents=True, exist_ok=True)
    for info in archive.infolist():
        if info.is_dir() or info.filename == skip or is_unsafe_path(info.filename):
            continue
        inner = PurePosixPath(info.filename)
        if base.parts and inner.parts[: len(base.parts)] != base.parts:
            continue
        target = into.joinpath(*inner.parts[len(base.parts) :])
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)


def prune_bundles(*, now: datetime | None = None) -> list[int]:
    """Remove the bundles of runs finished before the retention; return the run ids whose bundle went.

    A linked bundle loses only its link, never the operator's folder it points to. A bundle whose run
    is gone (deleted, or its upload rolled back) goes once it is older than the retention, so a bundle
    being unpacked for a run not yet committed is left alone.
    """
    root = bundle_dir(0).parent
    if not root.is_dir():
        return []
    cutoff = (now or timezone.now()) - timedelta(days=settings.INTEGRATION_BUNDLE_RETENTION_DAYS)
    bundles = {int(path.name): path for path in root.iterdir() if path.name.isdigit()}
    runs = ImportRun.objects.filter(pk__in=bundles).only("status", "finished_at").in_bulk()
    pruned = []
    for run_id, path in sorted(bundles.items()):
        run = runs.get(run_id)
        if run is not None and not run.done:  # pending or running: it may yet be resumed
            continue
        ended = run.finished_at if run is not None and run.finished_at else _modified(path)
        if ended < cutoff:
            _remove(path)
            pruned.append(run_id)
    return pruned


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.lstat().st_mtime, tz=timezone.get_current_timezone())


def _remove(path: Path) -> None:
    if path.is_symlink():  # a command-line run's link: the folder it points to is the operator's
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)
