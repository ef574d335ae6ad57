"""Building an import profile from a sample file: a suggested mapping, a cleaned preview, a checked save.

The builder never reads or cleans a file its own way: the sample goes through the importer's own
`reading.read_file`, `cleaning.map_columns` and `cleaning.clean`, so what the preview shows is what
an import of the same rows would do. A profile the builder saves is explicit: each column the admin
chose is named, and a field the importer would otherwise pick up by its usual column name from a
column the admin left out (or gave to another field) is pinned to an empty constant.

Samples are kept under `imports_dir()/samples/` named by a random token (the session holds the
token, never a path), limited in size, and swept after a day.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abonent.core.audit import record_audit_event
from abonent.core.errors import DomainError, NotFound
from abonent.core.models import AuditEvent, Branch
from abonent.integration.cleaning import DUPLICATE_OF, REASONS, WARNINGS, clean, map_columns
from abonent.integration.fields import FileKind, fields_for, known_column_names
from abonent.integration.models import ImportProfile, ImportRun, SourceSystem
from abonent.integration.reading import ROW_INDEX, Table, read_file
from abonent.integration.reasons import describe_reason, describe_rule, field_label
from abonent.integration.services import imports_dir

PREVIEW_ROWS = 10
SAMPLE_VALUES = 3
SAMPLE_MAX_BYTES = 20 * 1024 * 1024
SAMPLE_LIFETIME_S = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

# The transformations ImportProfile.mapping supports, as the builder offers them: (code, label,
# takes an argument). See ImportProfile's docstring for what each does.
TRANSFORMS: tuple[tuple[str, Any, bool], ...] = (
    ("strip", _("Trim spaces"), False),
    ("upper", _("Upper case"), False),
    ("lower", _("Lower case"), False),
    ("digits", _("Digits only"), False),
    ("word", _("The N-th word (N)"), True),
    ("prefix", _("Add a prefix (text)"), True),
    ("replace", _("Replace text (from=to)"), True),
    ("map", _("Recode values (theirs=ours; …)"), True),
    ("regex", _("Take a part (regular expression with one group)"), True),
    ("default", _("Value when empty (text)"), True),
)
_TRANSFORM_CODES = {code for code, _label, _arg in TRANSFORMS}
_WITH_ARGUMENT = {code for code, _label, takes in TRANSFORMS if takes}
# Steps that take a part of a column: with these, one column may feed several fields.
_PART_STEPS = {"word", "regex"}
ENCODINGS = ("utf-8", "utf-8-sig", "cp1251", "koi8_r")
DELIMITERS = (";", ",", "\t", "|")


# --- errors ---------------------------------------------------------------------------------------------
class ProfileInvalid(DomainError):
    code = "profile_invalid"
    default_message = _("The profile has errors.")

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


class SampleTooLarge(DomainError):
    code = "sample_too_large"
    default_message = _("The sample file is too large.")

    def __init__(self, limit: int) -> None:
        super().__init__(
            gettext("The sample file is larger than %(size)s MB: cut it to its first rows.")
            % {"size": limit // (1024 * 1024)}
        )


class SampleExpired(NotFound):
    code = "sample_expired"
    default_message = _("The sample file is gone (it is kept for a day): upload it again.")


# --- the input of the builder ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnRule:
    """One of our fields taken from one column of the file; `field` empty: the column is not imported.

    `steps` are the transformations as the builder's form gives them: (code, argument) pairs.
    """

    column: str
    field: str = ""
    steps: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProfileSettings:
    """Everything about a profile except its mapping."""

    name: str
    kind: str
    encoding: str = ""
    delimiter: str = ""
    watch_folder: str = ""
    file_pattern: str = "*.csv"
    schedule: str = ""
    is_active: bool = True


@dataclass(frozen=True)
class NewSource:
    code: str
    name: str
    branch_id: int | None = None


# --- suggestions ----------------------------------------------------------------------------------------
def normalise_column(name: str) -> str:
    """Return a column name as compared with the aliases: lower case, ё as е, one space, no end dots."""
    text = name.replace("\ufeff", "").lower().replace("ё", "е")
    text = re.sub(r"[\s_\-\u00a0]+", " ", text).strip()
    return text.strip(" .:*\"'")


def suggest_mapping(columns: Sequence[str], kind: str) -> dict[str, str]:
    """Return {column: our field} for the columns whose names are a field's name or alias.

    Each field goes to the first column that names it; a column gets at most one field.
    """
    by_name: dict[str, str] = {}
    for spec in fields_for(kind):
        for alias in (spec.name, *spec.aliases):
            by_name.setdefault(normalise_column(alias), spec.name)
    suggested: dict[str, str] = {}
    for column in columns:
        target = by_name.get(normalise_column(column))
        if target and target not in suggested.values():
            suggested[column] = target
    return suggested


def rules_from_profile(profile: ImportProfile, columns: Sequence[str]) -> tuple[list[ColumnRule], dict]:
    """Return the builder's rules and constants for an existing profile over a sample's columns.

    Fields the profile does not name are suggested by their usual column names, as an import would.
    """
    rules: list[ColumnRule] = []
    constants: dict[str, str] = {}
    named: set[str] = set()
    for name, rule in (profile.mapping or {}).items():
        if isinstance(rule, dict) and "constant" in rule:
            if str(rule["constant"]):
                constants[name] = str(rule["constant"])
            named.add(name)
            continue
        column = _column_in(rule.get("column") if isinstance(rule, dict) else rule, columns)
        if column is not None:
            steps = rule.get("transform", []) if isinstance(rule, dict) else []
            rules.append(ColumnRule(column, name, tuple(step_as_pair(step) for step in steps)))
            named.add(name)
    taken = {rule.column for rule in rules}
    for column, name in suggest_mapping(columns, profile.kind).items():
        if name not in named and column not in taken:
            rules.append(ColumnRule(column, name))
    return _with_every_column(rules, columns), constants


def suggested_rules(columns: Sequence[str], kind: str) -> list[ColumnRule]:
    """Return one rule per column, filled in from the suggestion."""
    suggestion = suggest_mapping(columns, kind)
    return [ColumnRule(column, suggestion.get(column, "")) for column in columns]


def _with_every_column(rules: list[ColumnRule], columns: Sequence[str]) -> list[ColumnRule]:
    """Order rules by the file's columns and add an empty one for each column no rule reads."""
    ordered: list[ColumnRule] = []
    for column in columns:
        mine = [rule for rule in rules if rule.column == column]
        ordered.extend(mine or [ColumnRule(column)])
    return ordered


def _column_in(column: Any, columns: Sequence[str]) -> str | None:
    if column is None:
        return None
    if str(column) in columns:
        return str(column)
    if isinstance(column, int) and 0 < column <= len(columns):
        return columns[column - 1]
    wanted = str(column).strip().lower()
    return next((name for name in columns if name.strip().lower() == wanted), None)


# --- transformations ------------------------------------------------------------------------------------
def build_step(code: str, argument: str) -> str | dict[str, Any]:
    """Return one transformation as ImportProfile.mapping stores it, or raise ProfileInvalid."""
    if code not in _TRANSFORM_CODES:
        raise ProfileInvalid([gettext("Unknown transformation: %(code)s.") % {"code": code}])
    if code not in _WITH_ARGUMENT:
        return code
    if argument == "" and code not in ("default", "replace"):
        raise ProfileInvalid(
            [gettext("The transformation “%(name)s” needs a value.") % {"name": _label(code)}]
        )
    return _STEP_BUILDERS[code](argument)


def _word(argument: str) -> str:
    if not argument.strip().isdigit() or int(argument) < 1:
        raise ProfileInvalid(
            [gettext("“The N-th word” needs a whole number from 1: %(value)s.") % {"value": argument}]
        )
    return f"word:{int(argument)}"


def _replace(argument: str) -> dict[str, Any]:
    before, sep, after = argument.partition("=")
    if not sep or not before:
        raise ProfileInvalid([gettext("Write a replacement as from=to: %(value)s.") % {"value": argument}])
    return {"replace": [before, after]}


def _recode(argument: str) -> dict[str, Any]:
    pairs: dict[str, str] = {}
    for part in argument.split(";"):
        if not part.strip():
            continue
        theirs, sep, ours = part.partition("=")
        if not sep or not theirs.strip():
            raise ProfileInvalid(
                [gettext("Write recoding as theirs=ours; theirs=ours: %(value)s.") % {"value": part}]
            )
        pairs[theirs.strip()] = ours.strip()
    if not pairs:
        raise ProfileInvalid(
            [gettext("Write recoding as theirs=ours; theirs=ours: %(value)s.") % {"value": argument}]
        )
    return {"map": pairs}


def _regex(argument: str) -> dict[str, Any]:
    # Checked by the engine that will run it (polars' Rust regex), not by Python's re.
    try:
        if re.compile(argument).groups < 1:
            raise re.error("no group")
        pl.Series([""]).str.extract(argument, 1)
    except (re.error, pl.exceptions.PolarsError) as exc:
        raise ProfileInvalid(
            [gettext("Not a regular expression with one group in brackets: %(value)s.") % {"value": argument}]
        ) from exc
    return {"regex": argument}


_STEP_BUILDERS: dict[str, Callable[[str], str | dict[str, Any]]] = {
    "word": _word,
    "prefix": lambda argument: f"prefix:{argument}",
    "replace": _replace,
    "map": _recode,
    "regex": _regex,
    "default": lambda argument: {"default": argument},
}


def step_as_pair(step: Any) -> tuple[str, str]:
    """Return a stored transformation as the builder's (code, argument) pair."""
    if isinstance(step, dict):
        if "replace" in step:
            return "replace", f"{step['replace'][0]}={step['replace'][1]}"
        if "map" in step:
            return "map", "; ".join(f"{k}={v}" for k, v in step["map"].items())
        code = next(iter(step), "")
        return code, str(step.get(code, ""))
    code, _sep, argument = str(step).partition(":")
    return code, argument


def _label(code: str) -> str:
    return next((str(label) for c, label, _arg in TRANSFORMS if c == code), code)


# --- the mapping and its checks -------------------------------------------------------------------------
def build_mapping(
    *, kind: str, rules: Sequence[ColumnRule], constants: Mapping[str, str], columns: Sequence[str]
) -> tuple[dict[str, Any], list[str]]:
    """Return ImportProfile.mapping for the rules and constants, with every error found in them.

    The mapping holds what is valid even when there are errors, so a preview can still be shown.
    """
    specs = {spec.name for spec in fields_for(kind)}
    errors: list[str] = []
    mapping: dict[str, Any] = {}
    sources: dict[str, list[str]] = defaultdict(list)
    for rule in rules:
        if not rule.field:
            continue
        if rule.field not in specs:
            errors.append(gettext("“%(field)s” is not a field of this kind of file.") % {"field": rule.field})
            continue
        if rule.column not in columns:
            errors.append(gettext("The sample has no column “%(column)s”.") % {"column": rule.column})
            continue
        steps = _steps(rule, errors)
        sources[rule.field].append(rule.column)
        mapping[rule.field] = {"column": rule.column, "transform": steps} if steps else rule.column
    errors += _fields_from_two_columns(sources)
    errors += _columns_feeding_two_fields(mapping)
    for name, value in constants.items():
        if name not in specs or not value.strip():
            continue
        if name in mapping:
            errors.append(
                gettext("“%(field)s” has both a column and a constant value: keep one.")
                % {"field": field_label(name)}
            )
            continue
        mapping[name] = {"constant": value.strip()}
    _pin_left_out(kind, mapping, rules, columns)
    return mapping, errors


def _steps(rule: ColumnRule, errors: list[str]) -> list[Any]:
    steps = []
    for code, argument in rule.steps:
        if not code:
            continue
        try:
            steps.append(build_step(code, argument))
        except ProfileInvalid as error:
            errors += [f"{rule.column}: {message}" for message in error.errors]
    return steps


def _fields_from_two_columns(sources: Mapping[str, list[str]]) -> list[str]:
    return [
        gettext("“%(field)s” is taken from several columns: %(columns)s. Choose one.")
        % {
            "field": field_label(name),
            "columns": ", ".join(gettext("“%(column)s”") % {"column": c} for c in columns),
        }
        for name, columns in sources.items()
        if len(columns) > 1
    ]


def _columns_feeding_two_fields(mapping: Mapping[str, Any]) -> list[str]:
    """One column may feed several fields only when each takes a different part of it (word N, regex)."""
    by_column: dict[str, list[tuple[str, list[Any]]]] = defaultdict(list)
    for name, rule in mapping.items():
        column = rule["column"] if isinstance(rule, dict) else rule
        by_column[column].append((name, rule.get("transform", []) if isinstance(rule, dict) else []))
    errors = []
    for column, uses in by_column.items():
        if len(uses) < 2:
            continue
        parts = [
            repr(steps) for _name, steps in uses if any(step_as_pair(s)[0] in _PART_STEPS for s in steps)
        ]
        if len(parts) == len(uses) and len(set(parts)) == len(parts):
            continue
        errors.append(
            gettext(
                "Column “%(column)s” feeds several fields (%(fields)s): take a different part of it for "
                "each with “The N-th word” or a regular expression, or choose one field."
            )
            % {"column": column, "fields": ", ".join(field_label(name) for name, _steps in uses)}
        )
    return errors


def _pin_left_out(
    kind: str, mapping: dict[str, Any], rules: Sequence[ColumnRule], columns: Sequence[str]
) -> None:
    """Pin to empty the fields an import would find by their usual name in a column the admin decided on.

    Without the pin, a column left out (or given to another field) would still fill the field it is
    usually named after (ImportProfile: "fields left out are found by their usual column names").
    """
    decided = {rule.column for rule in rules}
    lowered = {column.strip().lower(): column for column in columns}
    for spec in fields_for(kind):
        if spec.name in mapping:
            continue
        found = next((lowered[a] for a in (spec.name, *spec.aliases) if a in lowered), None)
        if found is not None and found in decided:
            mapping[spec.name] = {"constant": ""}


# Beyond the fields marked required, the cleaning refuses a customer without a client code, a person
# without a name (a full name, last and first name, or a company name) and an account without an address.
_EXTRA_REQUIREMENTS: dict[str, tuple[tuple[tuple[str, ...], ...], ...]] = {
    FileKind.CUSTOMERS: (
        (("external_id",),),
        (("full_name",), ("last_name", "first_name"), ("company_name",)),
    ),
}
_EXTRA_REQUIREMENTS[FileKind.ACCOUNTS] = (
    *_EXTRA_REQUIREMENTS[FileKind.CUSTOMERS],
    (("street",),),
    (("house",),),
)


def missing_required(kind: str, mapping: Mapping[str, Any]) -> list[str]:
    """Return the required fields (or groups of fields) of the kind the mapping leaves without a value."""
    covered = {name for name, rule in mapping.items() if not _is_empty_constant(rule)}
    requirements: list[tuple[tuple[str, ...], ...]] = [
        ((spec.name,),) for spec in fields_for(kind) if spec.required
    ]
    requirements += list(_EXTRA_REQUIREMENTS.get(kind, ()))
    missing = []
    for alternatives in requirements:
        if not any(set(group) <= covered for group in alternatives):
            missing.append(
                f" {gettext('or')} ".join(
                    " + ".join(field_label(name) for name in group) for group in alternatives
                )
            )
    return missing


def missing_required_message(missing: Sequence[str]) -> str:
    return gettext("Required fields of this kind of file are not mapped: %(fields)s.") % {
        "fields": "; ".join(missing)
    }


def _is_empty_constant(rule: Any) -> bool:
    return isinstance(rule, dict) and "constant" in rule and not str(rule["constant"]).strip()


# --- samples ----------------------------------------------------------------------------------------------
def samples_dir() -> Path:
    return imports_dir() / "samples"


def store_sample(*, chunks: Iterable[bytes], limit: int = SAMPLE_MAX_BYTES) -> str:
    """Write an uploaded sample under a new random token and return the token."""
    folder = samples_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _sweep_samples(folder)
    token = secrets.token_urlsafe(24)
    path = folder / f"{token}.sample"
    written = 0
    with path.open("wb") as handle:
        for chunk in chunks:
            written += len(chunk)
            if written > limit:
                break
            handle.write(chunk)
    if written > limit:
        path.unlink(missing_ok=True)
        raise SampleTooLarge(limit)
    return token


def sample_path(token: str) -> Path:
    """Return the kept sample of the token, or raise SampleExpired (also for anything not a token)."""
    path = samples_dir() / f"{token}.sample"
    if not _TOKEN.match(token) or not path.is_file():
        raise SampleExpired()
    return path


def discard_sample(token: str) -> None:
    if _TOKEN.match(token):
        (samples_dir() / f"{token}.sample").unlink(missing_ok=True)


def _sweep_samples(folder: Path) -> None:
    oldest = time.time() - SAMPLE_LIFETIME_S
    for path in folder.glob("*.sample"):
        if path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class SampleColumn:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Sample:
    """What the reader found in a sample: its columns with their first values, encoding and delimiter."""

    table: Table
    columns: tuple[SampleColumn, ...]

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def row_count(self) -> int:
        return self.table.frame.height


def read_sample(*, token: str, kind: str, encoding: str = "", delimiter: str = "") -> Sample:
    """Read a kept sample the way an import reads its file (UnreadableFile when it cannot)."""
    table = read_file(
        sample_path(token), known_columns=known_column_names(kind), encoding=encoding, delimiter=delimiter
    )
    head = table.frame.head(SAMPLE_VALUES)
    columns = tuple(
        SampleColumn(name, tuple(value for value in head[name].to_list() if value)) for name in table.header
    )
    return Sample(table=table, columns=columns)


# --- the preview ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One field of one previewed row: the value in the file (mapped) and what cleaning made of it.

    state: "ok" (kept as is), "repaired" (cleaned into `value`), "dropped" (left out, the row still
    goes in), "refused" (the row goes to quarantine for it), "empty".
    """

    field: str
    label: str
    value: str
    original: str
    state: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreviewRow:
    number: int  # 1-based, as the quarantine page numbers rows
    cells: tuple[Cell, ...]
    state: str  # "ready", "quarantined" or "duplicate"
    reasons: tuple[str, ...] = ()  # translated reasons that concern no single shown field
    duplicate_of: int | None = None


@dataclass(frozen=True)
class Preview:
    fields: tuple[tuple[str, str], ...]  # (field, translated label)
    rows: tuple[PreviewRow, ...]
    rules: tuple[tuple[str, int], ...] = ()  # translated rule, rows it touched
    errors: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def preview_sample(
    *,
    sample: Sample,
    kind: str,
    mapping: Mapping[str, Any],
    errors: Sequence[str] = (),
    rows: int = PREVIEW_ROWS,
) -> Preview:
    """Map and clean the first rows of the sample exactly as an import would, cell by cell."""
    table = replace(sample.table, frame=sample.table.frame.head(rows))
    mapped = map_columns(table, kind=kind, mapping=mapping)
    cleaned = clean(mapped, kind=kind, today=timezone.localdate())
    shown = _shown_fields(kind, mapping, cleaned.frame)
    originals = {row[ROW_INDEX]: row for row in mapped.to_dicts()}
    result = tuple(_preview_row(row, originals[row[ROW_INDEX]], shown) for row in cleaned.frame.to_dicts())
    rules = tuple((describe_rule(name), count) for name, count in Counter(cleaned.counters).most_common())
    return Preview(
        fields=tuple((name, field_label(name)) for name in shown),
        rows=result,
        rules=rules,
        errors=tuple(errors),
        missing=tuple(missing_required(kind, mapping)),
    )


def _shown_fields(kind: str, mapping: Mapping[str, Any], frame: pl.DataFrame) -> list[str]:
    """The fields the mapping fills, and those cleaning filled (a full name split into its parts)."""
    shown = []
    for spec in fields_for(kind):
        rule = mapping.get(spec.name)
        filled = rule is not None and not _is_empty_constant(rule)
        if filled or (spec.name in frame.columns and (frame[spec.name] != "").any()):
            shown.append(spec.name)
    return shown


def _preview_row(row: dict[str, Any], original: dict[str, Any], shown: list[str]) -> PreviewRow:
    reasons, warnings = list(row[REASONS] or []), list(row[WARNINGS] or [])
    cells = tuple(_cell(name, row, original, reasons, warnings) for name in shown)
    about_cells = {code for code in reasons if set(_reason_fields(code)) & set(shown)}
    others = tuple(describe_reason(code) for code in reasons if code not in about_cells)
    duplicate = row[DUPLICATE_OF]
    state = "quarantined" if reasons else "duplicate" if duplicate is not None else "ready"
    return PreviewRow(
        number=row[ROW_INDEX] + 1,
        cells=cells,
        state=state,
        reasons=others,
        duplicate_of=duplicate + 1 if duplicate is not None else None,
    )


def _cell(
    name: str, row: dict[str, Any], original: dict[str, Any], reasons: list[str], warnings: list[str]
) -> Cell:
    value, before = str(row.get(name) or ""), str(original.get(name) or "")
    refused = tuple(describe_reason(code) for code in reasons if name in _reason_fields(code))
    dropped = tuple(describe_reason(code) for code in warnings if name in _reason_fields(code))
    state = "refused" if refused else "dropped" if dropped else ""
    if not state:
        state = "repaired" if before and value != before else "ok" if value else "empty"
    return Cell(name, field_label(name), value, before, state, refused or dropped)


def _reason_fields(code: str) -> list[str]:
    return code.partition(":")[2].split("/")


# --- saving -----------------------------------------------------------------------------------------------
def check_settings(profile_settings: ProfileSettings) -> list[str]:
    """Return the errors of a profile's settings (all but the mapping)."""
    errors = []
    if not profile_settings.name.strip():
        errors.append(gettext("The profile needs a name."))
    if profile_settings.kind not in FileKind.values:
        errors.append(gettext("Unknown kind of file: %(kind)s.") % {"kind": profile_settings.kind})
    if profile_settings.encoding and profile_settings.encoding not in ENCODINGS:
        errors.append(gettext("Unknown encoding: %(value)s.") % {"value": profile_settings.encoding})
    if profile_settings.delimiter and profile_settings.delimiter not in DELIMITERS:
        errors.append(gettext("Unknown delimiter: %(value)s.") % {"value": profile_settings.delimiter})
    errors += _folder_errors(profile_settings.watch_folder, profile_settings.file_pattern)
    errors += _schedule_errors(profile_settings.schedule)
    return errors


def watch_roots() -> list[Path]:
    """Folders under which watched folders may lie (settings.INTEGRATION_WATCH_ROOTS; var/inbox by default).

    A watched folder is read by the worker with its own rights: left free, a profile could import the
    application's own files (settings, keys) and show them in the quarantine.
    """
    return [Path(root).resolve() for root in settings.INTEGRATION_WATCH_ROOTS]


def _folder_errors(folder: str, pattern: str) -> list[str]:
    errors = []
    if not pattern.strip() or "/" in pattern or "\\" in pattern or ".." in pattern:
        errors.append(
            gettext("A file name pattern is a name with * and ?, without folders: %(value)s.")
            % {"value": pattern}
        )
    if not folder:
        return errors
    path = Path(folder)
    inside = path.is_absolute() and any(path.resolve().is_relative_to(root) for root in watch_roots())
    if not inside:
        errors.append(
            gettext("A watched folder must be a full path inside %(roots)s.")
            % {"roots": ", ".join(str(root) for root in watch_roots())}
        )
    return errors


def _schedule_errors(schedule: str) -> list[str]:
    if not schedule.strip():
        return []
    from apscheduler.triggers.cron import CronTrigger  # the scheduler that would run it reads it

    try:
        CronTrigger.from_crontab(schedule.strip(), timezone=settings.TIME_ZONE)
    except ValueError:
        return [
            gettext("Not a cron schedule (five fields, e.g. */15 * * * *): %(value)s.") % {"value": schedule}
        ]
    return []


_AUDITED = (
    "name",
    "kind",
    "mapping",
    "encoding",
    "delimiter",
    "watch_folder",
    "file_pattern",
    "schedule",
    "is_active",
)


def save_profile(
    *,
    profile: ImportProfile | None,
    source: SourceSystem | NewSource,
    profile_settings: ProfileSettings,
    rules: Sequence[ColumnRule],
    constants: Mapping[str, str],
    columns: Sequence[str],
    saved_by: Any,
) -> ImportProfile:
    """Create or change a profile (and a new source system), audited; ProfileInvalid lists every error."""
    mapping, errors = build_mapping(
        kind=profile_settings.kind, rules=rules, constants=constants, columns=columns
    )
    errors = check_settings(profile_settings) + errors
    missing = missing_required(profile_settings.kind, mapping)
    if missing:
        errors.append(missing_required_message(missing))
    if isinstance(source, NewSource):
        errors += new_source_errors(source)
    if errors:
        raise ProfileInvalid(errors)
    try:
        with transaction.atomic():
            if isinstance(source, NewSource):
                source = create_source_system(new=source, created_by=saved_by)
            return _write_profile(profile, source, profile_settings, mapping, saved_by)
    except IntegrityError as exc:
        raise ProfileInvalid(
            [
                gettext("The source system already has a profile named “%(name)s”.")
                % {"name": profile_settings.name}
            ]
        ) from exc


def _write_profile(
    profile: ImportProfile | None,
    source: SourceSystem,
    profile_settings: ProfileSettings,
    mapping: dict[str, Any],
    saved_by: Any,
) -> ImportProfile:
    values = {**asdict(profile_settings), "name": profile_settings.name.strip(), "mapping": mapping}
    if profile is None:
        profile = ImportProfile.objects.create(source=source, **values)
        action, changes = AuditEvent.Action.CREATE, {key: values[key] for key in _AUDITED}
    else:
        profile = ImportProfile.objects.select_for_update().get(pk=profile.pk)
        changes = {k: [getattr(profile, k), values[k]] for k in _AUDITED if getattr(profile, k) != values[k]}
        for key in _AUDITED:
            setattr(profile, key, values[key])
        profile.save(update_fields=list(_AUDITED))
        action = AuditEvent.Action.UPDATE
    record_audit_event(
        actor=saved_by, action=action, target=profile, reason="import profile builder", changes=changes
    )
    return profile


def new_source_errors(new: NewSource) -> list[str]:
    errors = []
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,40}", new.code):
        errors.append(
            gettext("A source code is up to 40 Latin letters, digits, - and _: %(value)s.")
            % {"value": new.code}
        )
    elif SourceSystem.objects.filter(code=new.code).exists():
        errors.append(
            gettext("A source system with the code “%(code)s” already exists.") % {"code": new.code}
        )
    if not new.name.strip():
        errors.append(gettext("The new source system needs a name."))
    if new.branch_id is not None and not Branch.objects.filter(pk=new.branch_id).exists():
        errors.append(gettext("No such branch."))
    return errors


def create_source_system(*, new: NewSource, created_by: Any) -> SourceSystem:
    """Create a source system (its code is unique: a concurrent twin fails on the constraint)."""
    source = SourceSystem.objects.create(code=new.code, name=new.name.strip(), branch_id=new.branch_id)
    record_audit_event(
        actor=created_by,
        action=AuditEvent.Action.CREATE,
        target=source,
        reason="import profile builder",
        changes={"code": source.code, "name": source.name, "branch": new.branch_id},
    )
    return source


# --- reads ------------------------------------------------------------------------------------------------
def profiles_by_source() -> list[SourceSystem]:
    """Return the source systems with their profiles, each with `last_run` (None if never run); 3 queries."""
    last = ImportRun.objects.filter(profile=OuterRef("pk")).order_by("-created_at", "-pk").values("pk")[:1]
    profiles = ImportProfile.objects.annotate(last_run_id=Subquery(last)).order_by("name")
    sources = list(
        SourceSystem.objects.select_related("branch").prefetch_related(
            Prefetch("profiles", queryset=profiles)
        )
    )
    ids = [p.last_run_id for s in sources for p in s.profiles.all() if p.last_run_id]  # type: ignore[attr-defined]
    runs = ImportRun.objects.in_bulk(ids)
    for source in sources:
        for profile in source.profiles.all():
            profile.last_run = runs.get(profile.last_run_id)  # type: ignore[attr-defined]
    return sources
