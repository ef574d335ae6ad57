"""The console's import-profile builder: profiles per source system, a sample file, the mapping, a preview.

Integration admins only (the same check as the other integration pages: anyone else gets "not found").
The sample is kept by abonent.integration.profiles under a random token; the session lists the tokens
this person uploaded (a draft each), so a token from someone else's session is "not found" too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abonent.console.views_integration import _admin_only, staff_only
from abonent.core.errors import DomainError
from abonent.core.models import Branch
from abonent.integration import profiles as builder
from abonent.integration.fields import FileKind, fields_for
from abonent.integration.models import ImportProfile, SourceSystem
from abonent.integration.reasons import field_label

DRAFTS = "integration_profile_drafts"
MAX_DRAFTS = 5
MAX_RULES = 500
MAX_STEPS = 10


# --- forms ----------------------------------------------------------------------------------------------
class StartForm(forms.Form):
    """The first step: where the file comes from, what it holds, and a sample of it."""

    source = forms.ModelChoiceField(
        label=_("Source system"),
        queryset=SourceSystem.objects.filter(is_active=True),
        required=False,
        empty_label=_("A new source system…"),
    )
    new_code = forms.CharField(
        label=_("Code of the new source system"),
        max_length=40,
        required=False,
        help_text=_("Latin letters, digits, - and _; e.g. raschet"),
    )
    new_name = forms.CharField(label=_("Name of the new source system"), max_length=200, required=False)
    new_branch = forms.ModelChoiceField(
        label=_("Branch of the accounts it creates"), queryset=Branch.objects.all(), required=False
    )
    kind = forms.ChoiceField(label=_("What the file holds"), choices=FileKind.choices)
    sample = forms.FileField(
        label=_("Sample file"),
        help_text=_("CSV in any encoding or XLSX, up to %(size)s MB; the first rows are enough.")
        % {"size": builder.SAMPLE_MAX_BYTES // (1024 * 1024)},
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:  # the profile's source and kind stay; only a new sample is asked for
            for name in ("source", "new_code", "new_name", "new_branch", "kind"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "source" in self.fields and not data.get("source"):
            new = self.new_source()
            if not new.code or not new.name:
                self.add_error(
                    "new_code", _("Choose a source system, or give the new one a code and a name.")
                )
            else:
                for error in builder.new_source_errors(new):
                    self.add_error("new_code", error)
        upload = data.get("sample")
        if upload is not None and upload.size > builder.SAMPLE_MAX_BYTES:
            self.add_error("sample", builder.SampleTooLarge(builder.SAMPLE_MAX_BYTES).message)
        return data

    def new_source(self) -> builder.NewSource:
        branch = self.cleaned_data.get("new_branch")
        return builder.NewSource(
            code=(self.cleaned_data.get("new_code") or "").strip(),
            name=(self.cleaned_data.get("new_name") or "").strip(),
            branch_id=branch.pk if branch else None,
        )


class SettingsForm(forms.Form):
    """The profile's settings besides the mapping; the domain checks them again when saving."""

    name = forms.CharField(label=_("Profile name"), max_length=200)
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        required=False,
        choices=[("", _("Detect in each file")), *((e, e) for e in builder.ENCODINGS)],
    )
    delimiter = forms.ChoiceField(
        label=_("Delimiter"),
        required=False,
        choices=[
            ("", _("Detect in each file")),
            (";", _("Semicolon ;")),
            (",", _("Comma ,")),
            ("\t", _("Tab")),
            ("|", _("Vertical bar |")),
        ],
    )
    watch_folder = forms.CharField(
        label=_("Watched folder"),
        max_length=500,
        required=False,
        help_text=_("Full path on the server; each new file in it is imported. Empty: files are uploaded."),
    )
    file_pattern = forms.CharField(label=_("File name pattern"), max_length=100, initial="*.csv")
    schedule = forms.CharField(
        label=_("Schedule (cron)"), max_length=100, required=False, help_text=_("e.g. */15 * * * *")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def profile_settings(self, kind: str) -> builder.ProfileSettings:
        data = self.cleaned_data
        return builder.ProfileSettings(
            name=data["name"],
            kind=kind,
            encoding=data["encoding"],
            delimiter=data["delimiter"],
            watch_folder=data["watch_folder"].strip(),
            file_pattern=data["file_pattern"].strip(),
            schedule=data["schedule"].strip(),
            is_active=data["is_active"],
        )


# --- pages ----------------------------------------------------------------------------------------------
@staff_only
def profile_list(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    return render(request, "console/integration/profile_list.html", {"sources": builder.profiles_by_source()})


@staff_only
def profile_new(request: HttpRequest) -> HttpResponse:
    """Step one of a new profile: the source (an existing one or a new one), the kind, a sample."""
    _admin_only(request)
    form = StartForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        source = form.cleaned_data["source"]
        draft = {
            "kind": form.cleaned_data["kind"],
            "source_id": source.pk if source else None,
            "new_source": None if source else asdict(form.new_source()),
        }
        token = _keep_sample(request, form, draft)
        if token:
            return redirect("console_integration:profile_builder", token=token)
    return render(request, "console/integration/profile_start.html", {"form": form, "profile": None})


@staff_only
def profile_edit(request: HttpRequest, profile_id: int) -> HttpResponse:
    """Step one of changing a profile: a sample to map against (the mapping starts as saved)."""
    _admin_only(request)
    profile = get_object_or_404(ImportProfile.objects.select_related("source"), pk=profile_id)
    form = StartForm(request.POST or None, request.FILES or None, editing=True)
    if request.method == "POST" and form.is_valid():
        draft = {
            "kind": profile.kind,
            "source_id": profile.source_id,
            "new_source": None,
            "profile_id": profile.pk,
        }
        token = _keep_sample(request, form, draft)
        if token:
            return redirect("console_integration:profile_builder", token=token)
    return render(request, "console/integration/profile_start.html", {"form": form, "profile": profile})


def _keep_sample(request: HttpRequest, form: StartForm, draft: dict[str, Any]) -> str | None:
    upload = form.cleaned_data["sample"]
    try:
        token = builder.store_sample(chunks=upload.chunks())
    except DomainError as error:
        form.add_error("sample", error.message)
        return None
    drafts = dict(request.session.get(DRAFTS, {}))
    for stale in list(drafts)[: max(0, len(drafts) - MAX_DRAFTS + 1)]:  # the oldest go, with their files
        builder.discard_sample(stale)
        del drafts[stale]
    drafts[token] = {**draft, "file_name": upload.name[:255]}
    request.session[DRAFTS] = drafts
    return token


@staff_only
def profile_builder(request: HttpRequest, token: str) -> HttpResponse:
    """Step two: every column with its first values and our field for it, a preview, save."""
    _admin_only(request)
    draft = request.session.get(DRAFTS, {}).get(token)
    if draft is None:
        raise Http404(gettext("Not found."))
    profile, kind = _draft_profile(draft), draft["kind"]
    settings_form = SettingsForm(request.POST or None, initial=_initial_settings(profile, draft))
    try:
        sample = builder.read_sample(
            token=token,
            kind=kind,
            encoding=_choice(request.POST, "encoding", builder.ENCODINGS, profile and profile.encoding),
            delimiter=_choice(request.POST, "delimiter", builder.DELIMITERS, profile and profile.delimiter),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_restart_url(profile))
    rules, constants = _rules(request, profile, sample, kind)
    errors: list[str] = []
    if "save" in request.POST:
        saved, errors = _save(request, draft, profile, settings_form, rules, constants, sample)
        if saved is not None:
            builder.discard_sample(token)
            request.session[DRAFTS] = {k: v for k, v in request.session[DRAFTS].items() if k != token}
            messages.success(request, gettext("The profile “%(name)s” is saved.") % {"name": saved.name})
            return redirect("console_integration:profiles")
    if "split" in request.POST:
        rules = _split(rules, request.POST.get("split", ""))
    mapping, mapping_errors = builder.build_mapping(
        kind=kind, rules=rules, constants=constants, columns=sample.names
    )
    preview = builder.preview_sample(
        sample=sample, kind=kind, mapping=mapping, errors=errors or mapping_errors
    )
    if request.htmx and "preview" in request.POST:  # type: ignore[attr-defined]  # django-htmx's middleware sets it
        return render(request, "console/integration/_profile_preview.html", {"preview": preview})
    context = {
        "preview": preview,
        "draft": draft,
        "profile": profile,
        "source": _draft_source_label(draft),
        "kind_label": FileKind(kind).label,
        "sample": sample,
        "settings_form": settings_form,
        "rows": _rule_rows(rules, sample),
        "constants": _constant_rows(kind, constants),
        "field_choices": _field_choices(kind),
        "transforms": [(code, label) for code, label, _arg in builder.TRANSFORMS],
    }
    return render(request, "console/integration/profile_builder.html", context)


def _rules(
    request: HttpRequest, profile: ImportProfile | None, sample: builder.Sample, kind: str
) -> tuple[list[builder.ColumnRule], dict[str, str]]:
    """The column rules and constants: as posted, else as the profile has them, else as suggested."""
    if request.method == "POST":
        return _posted_rules(request.POST, sample.names), _posted_constants(request.POST, kind)
    if profile is not None:
        return builder.rules_from_profile(profile, sample.names)
    return builder.suggested_rules(sample.names, kind), {}


def _save(
    request: HttpRequest,
    draft: dict[str, Any],
    profile: ImportProfile | None,
    settings_form: SettingsForm,
    rules: list[builder.ColumnRule],
    constants: dict[str, str],
    sample: builder.Sample,
) -> tuple[ImportProfile | None, list[str]]:
    """Save the profile; return it, or None with every error to show."""
    if not settings_form.is_valid():
        return None, [gettext("Correct the profile's settings marked below.")]
    source: SourceSystem | builder.NewSource
    if draft.get("source_id"):
        source = get_object_or_404(SourceSystem, pk=draft["source_id"])
    else:
        source = builder.NewSource(**draft["new_source"])
    try:
        saved = builder.save_profile(
            profile=profile,
            source=source,
            profile_settings=settings_form.profile_settings(draft["kind"]),
            rules=rules,
            constants=constants,
            columns=sample.names,
            saved_by=request.user,
        )
    except builder.ProfileInvalid as error:
        return None, error.errors
    return saved, []


def _draft_profile(draft: Mapping[str, Any]) -> ImportProfile | None:
    if not draft.get("profile_id"):
        return None
    return get_object_or_404(ImportProfile.objects.select_related("source"), pk=draft["profile_id"])


def _draft_source_label(draft: Mapping[str, Any]) -> str:
    if draft.get("source_id"):
        return str(get_object_or_404(SourceSystem, pk=draft["source_id"]))
    new = draft["new_source"]
    return gettext("%(name)s (new, code %(code)s)") % {"name": new["name"], "code": new["code"]}


def _restart_url(profile: ImportProfile | None) -> str:
    if profile is None:
        return reverse("console_integration:profile_new")
    return reverse("console_integration:profile_edit", args=[profile.pk])


def _initial_settings(profile: ImportProfile | None, draft: Mapping[str, Any]) -> dict[str, Any]:
    if profile is None:
        name = f"{FileKind(draft['kind']).label} · {draft['file_name']}"[:200]
        return {"name": name, "file_pattern": "*.csv", "is_active": True}
    keys = ("name", "encoding", "delimiter", "watch_folder", "file_pattern", "schedule", "is_active")
    return {key: getattr(profile, key) for key in keys}


def _choice(data: QueryDict, key: str, allowed: tuple[str, ...], saved: Any) -> str:
    """The encoding or delimiter to read the sample with: as posted, else as the profile has it."""
    value = data.get(key, saved or "") if data else (saved or "")
    return value if value in allowed else ""


def _posted_rules(data: QueryDict, columns: list[str]) -> list[builder.ColumnRule]:
    """Read the column table back: rule-N-column (the column's position), rule-N-field, rule-N-step-M-*."""
    rules = []
    for n in range(min(_int(data.get("rule-count")), MAX_RULES)):
        position = _int(data.get(f"rule-{n}-column"), -1)
        if not 0 <= position < len(columns):
            continue
        steps = tuple(
            (data.get(f"rule-{n}-step-{m}-kind", ""), data.get(f"rule-{n}-step-{m}-arg", ""))
            for m in range(MAX_STEPS)
            if data.get(f"rule-{n}-step-{m}-kind")
        )
        rules.append(builder.ColumnRule(columns[position], data.get(f"rule-{n}-field", ""), steps))
    return rules


def _posted_constants(data: QueryDict, kind: str) -> dict[str, str]:
    return {spec.name: data.get(f"constant-{spec.name}", "") for spec in fields_for(kind)}


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _split(rules: list[builder.ColumnRule], which: str) -> list[builder.ColumnRule]:
    """Add another field taken from the same column right after the rule the admin pressed."""
    index = _int(which, -1)
    if not 0 <= index < len(rules):
        return rules
    return [*rules[: index + 1], builder.ColumnRule(rules[index].column), *rules[index + 1 :]]


def _rule_rows(rules: list[builder.ColumnRule], sample: builder.Sample) -> list[dict[str, Any]]:
    """What the column table shows per rule: the column (once), its first values, the field, the steps."""
    values = {column.name: column.values for column in sample.columns}
    positions = {name: index for index, name in enumerate(sample.names)}
    rows, seen = [], set()
    for rule in rules:
        rows.append(
            {
                "column": rule.column,
                "position": positions[rule.column],
                "first": rule.column not in seen,
                "values": values[rule.column],
                "field": rule.field,
                "steps": [*rule.steps, ("", "")],  # the saved steps and one free slot for another
            }
        )
        seen.add(rule.column)
    return rows


def _constant_rows(kind: str, constants: Mapping[str, str]) -> list[tuple[str, str, str]]:
    return [(spec.name, field_label(spec.name), constants.get(spec.name, "")) for spec in fields_for(kind)]


def _field_choices(kind: str) -> list[tuple[str, str]]:
    choices = [("", gettext("— not imported —"))]
    for spec in fields_for(kind):
        label = field_label(spec.name)
        choices.append((spec.name, f"{label} *" if spec.required else label))
    return choices
