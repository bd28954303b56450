"""One-stop dossiers at scale: load synthetic dossiers fast, then time the officials' and applicants' hot paths.

``dossiers_load(count=...)`` inserts ``count`` dossiers spread like a province's one-stop shop over three
years: the demo procedures (weighted: civil status at the communes far ahead of construction permits) at
their implementing organisations (a commune-level procedure at any demo commune of its province, as every
commune implements it for its residents), received at the organisation itself or at the province's
service centre; channels (half at the counter, ~45 % online, a few by post); statuses by age (recent
dossiers still open, some overdue; older ones returned, a few refused, withdrawn or stopped); applicants
with Vietnamese names drawn from the common family, middle and given names. Codes, search keys and the
daily counters are computed in Python; rows go in with PostgreSQL's COPY (psycopg) or ``bulk_create`` in
batches of 10,000 on SQLite.

``dossiers_measure(...)`` times (p50/p95 over ``samples`` runs each) an official's queue page ("open", the
dossiers still in hand; "overdue"; "all", the register with closed ones too: count and the first page, as the
API and the HTML queue do), lookup by code (``dossier_get``),
search by applicant name without diacritics (the queue's ``q``), and online submissions per second
through ``POST /api/v1/dossiers`` with an Idempotency-Key as a signed-in citizen.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

BATCH = 10_000
PAGE_SIZE = 50
YEARS = 3

FAMILY_NAMES = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4.5),
    ("Vũ", 3.9), ("Võ", 3), ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3),
    ("Dương", 1), ("Lý", 0.5), ("Đinh", 0.8), ("Trịnh", 0.6), ("Mai", 0.5), ("Lương", 0.5),
]  # fmt: skip
MIDDLE_NAMES_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Xuân", "Công", "Ngọc", "Gia", "Hoàng", "Trọng"]
MIDDLE_NAMES_FEMALE = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Bảo", "Kim", "Mỹ", "Hồng"]
GIVEN_NAMES_MALE = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khánh", "Khoa",
    "Long", "Minh", "Nam", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Tiến",
    "Trung", "Tuấn", "Tùng", "Việt", "Vinh",
]  # fmt: skip
GIVEN_NAMES_FEMALE = [
    "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Lan", "Linh", "Loan",
    "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh", "Tâm", "Thảo", "Thủy",
    "Trang", "Tuyết", "Vân", "Vy", "Yến",
]  # fmt: skip
BUSINESS_WORDS = ["Thương mại", "Xây dựng", "Dịch vụ", "Vận tải", "Thực phẩm", "Du lịch", "Công nghệ", "Nông sản"]
BUSINESS_PLACES = ["Hạ Long", "Vinh", "Đông Anh", "Cẩm Phả", "Móng Cái", "Cửa Lò", "Sông Lam", "Bãi Cháy"]

# Relative number of dossiers per demo procedure (civil status and residence lead, permits are rare).
PROCEDURE_WEIGHTS = {
    "1.001193": 20, "1.000894": 6, "1.000656": 3, "2.000635": 8, "2.000815": 7, "1.004194": 8, "2.000488": 8,
    "2.000720": 4, "2.002023": 4, "2.001610": 2, "1.009994": 2, "1.009972": 1, "1.012766": 5, "1.002809": 8,
    "1.001776": 4, "1.002051": 0.5, "1.009962": 0.5, "1.004623": 0.5,
}  # fmt: skip
CHANNELS = [(1, 50), (2, 45), (3, 5)]
ENDED_STATUSES = [("returned", 86), ("finished", 3), ("refused", 4), ("withdrawn", 4), ("stopped", 3)]
OPEN_STATUSES = [
    ("new", 12),
    ("accepted", 18),
    ("processing", 52),
    ("supplement_requested", 14),
    ("financial_obligation", 4),
]
RUNNING = ("accepted", "processing")


def _weighted(pairs: list[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    values, weights = zip(*pairs, strict=True)
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    return list(values), cumulative


@dataclass
class Plan:
    """What one synthetic dossier of a procedure looks like: where it goes, how long it may take."""

    code: str
    version_id: uuid.UUID
    procedure_id: uuid.UUID
    name: str
    processing: list[Any]  # organisations that may process it (the implementing one, or the province's communes)
    receiving_extra: list[Any]  # other places that receive it (e.g. the service centre)
    processing_hours: float
    steps: list[Any]
    citizen_share: float


@dataclass
class LoadReport:
    dossiers: int = 0
    seconds: float = 0.0
    per_status: Counter[str] = field(default_factory=Counter)
    per_organisation: Counter[str] = field(default_factory=Counter)
    counters: Counter[tuple[Any, dt.date]] = field(default_factory=Counter)
    busiest_organisation: str = ""
    method: str = ""


def _demo_catalogue() -> list[Plan]:
    from motcua.agencies.models import Organisation
    from motcua.agencies.services import agencies_load_demo
    from motcua.core.permissions import SYSTEM
    from motcua.dossiers.catalogue import procedure_content
    from motcua.procedures.models import Procedure
    from motcua.procedures.services import procedures_load_demo

    if not Organisation.objects.exists():
        agencies_load_demo(actor=SYSTEM)
    if not Procedure.objects.filter(current_version__isnull=False).exists():
        procedures_load_demo(actor=SYSTEM)
    organisations = {o.code: o for o in Organisation.objects.filter(is_active=True) if o.code}
    plans = []
    for procedure in Procedure.objects.filter(current_version__isnull=False).select_related("current_version"):
        version = procedure.current_version
        assert version is not None
        content = procedure_content(version)
        implementing = organisations.get(content.implementing_organisation_code)
        if implementing is None or PROCEDURE_WEIGHTS.get(content.code, 1) <= 0:
            continue
        processing = [implementing]
        if content.level == "commune":
            province = implementing.code.rsplit(".", 1)[-1]
            processing = [
                organisation
                for code, organisation in sorted(organisations.items())
                if organisation.kind == Organisation.Kind.COMMUNE and code.endswith(province)
            ] or [implementing]
        extra = [
            organisations[code]
            for code in content.receiving_organisation_codes
            if code in organisations and code != implementing.code
        ]
        plans.append(
            Plan(
                code=content.code,
                version_id=version.pk,
                procedure_id=procedure.pk,
                name=content.name,
                processing=processing,
                receiving_extra=extra,
                processing_hours=content.processing_hours,
                steps=list(content.workflow),
                citizen_share=1.0
                if content.applicant_kinds == ["citizen"]
                else 0.0
                if content.applicant_kinds == ["business"]
                else 0.85,
            )
        )
    return plans


class _Names:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.families, self.family_weights = _weighted(FAMILY_NAMES)

    def person(self) -> str:
        family = self.rng.choices(self.families, cum_weights=self.family_weights)[0]
        if self.rng.random() < 0.5:
            return f"{family} {self.rng.choice(MIDDLE_NAMES_MALE)} {self.rng.choice(GIVEN_NAMES_MALE)}"
        return f"{family} {self.rng.choice(MIDDLE_NAMES_FEMALE)} {self.rng.choice(GIVEN_NAMES_FEMALE)}"

    def business(self) -> str:
        kind = self.rng.choice(["Công ty TNHH", "Công ty Cổ phần", "Hộ kinh doanh"])
        return f"{kind} {self.rng.choice(BUSINESS_WORDS)} {self.rng.choice(BUSINESS_PLACES)}"


def _rows(*, count: int, plans: list[Plan], now: dt.datetime, rng: random.Random, report: LoadReport) -> Any:
    """Yield the synthetic dossiers as dicts of attribute values, oldest first, and count them in ``report``."""
    from motcua.agencies.search import search_fold
    from motcua.dossiers.lookup_secret import secret_hash

    names = _Names(rng)
    plan_list, plan_weights = _weighted([(plan, PROCEDURE_WEIGHTS.get(plan.code, 1)) for plan in plans])
    channels, channel_weights = _weighted(CHANNELS)
    ended, ended_weights = _weighted(ENDED_STATUSES)
    open_statuses, open_weights = _weighted(OPEN_STATUSES)
    # Nobody looks synthetic dossiers up with a secret: one hash for all keeps the loader fast.
    shared_secret_hash = secret_hash("bench-secret")
    span = YEARS * 365 * 86400
    start = now - dt.timedelta(seconds=span)
    offsets = sorted(rng.random() * span for _ in range(count))
    counters = report.counters
    local = timezone.get_current_timezone()
    for offset in offsets:
        plan = rng.choices(plan_list, cum_weights=plan_weights)[0]
        processing = rng.choice(plan.processing)
        receiving = rng.choice(plan.receiving_extra) if plan.receiving_extra and rng.random() < 0.5 else processing
        submitted = start + dt.timedelta(seconds=offset)
        local_day = submitted.astimezone(local).date()
        counters[(receiving.pk, local_day)] += 1
        code = f"{receiving.code}-{local_day:%y%m%d}-{counters[(receiving.pk, local_day)]:04d}"
        channel = rng.choices(channels, cum_weights=channel_weights)[0]
        is_citizen = rng.random() < plan.citizen_share
        name = names.person() if is_citizen else names.business()
        identifier = (
            f"0{rng.randint(1, 96):02d}{rng.choice('0123'):s}{rng.randint(0, 99):02d}{rng.randint(0, 999999):06d}"
            if is_citizen
            else f"{rng.randint(10**9, 10**10 - 1)}"
        )
        # Statutory time in calendar time: working hours over 8-hour days, five days a week.
        allotted = dt.timedelta(days=max(plan.processing_hours / 8, 0.5) * 7 / 5)
        age = now - submitted
        open_window = allotted + dt.timedelta(days=10)
        if age < open_window and rng.random() < 0.8:
            status = rng.choices(open_statuses, cum_weights=open_weights)[0]
        else:
            status = rng.choices(ended, cum_weights=ended_weights)[0]
        if channel != 2 and status == "new":
            status = "accepted"  # received at the counter: never "newly submitted"
        received = submitted + dt.timedelta(hours=rng.uniform(0.2, 30)) if channel == 2 else submitted
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "created_at": submitted,
            "updated_at": submitted,
            "code": code,
            "secret_hash": shared_secret_hash,
            "procedure_version_id": plan.version_id,
            "procedure_id": plan.procedure_id,
            "applicant_kind": "citizen" if is_citizen else "business",
            "applicant_name": name,
            "applicant_identifier": identifier,
            "applicant_phone": f"09{rng.randint(0, 99_999_999):08d}",
            "channel": channel,
            "status": status,
            "receiving_organisation_id": receiving.pk,
            "processing_organisation_id": processing.pk,
            "summary": plan.name[:500],
            "submitted_at": submitted,
            "deadline_allotted_seconds": plan.processing_hours * 3600,
            "search_key": search_fold(f"{code} {name} {identifier}")[:400],
        }
        if status not in ("new",) and not (status in ("refused", "withdrawn") and rng.random() < 0.3):
            due = received + allotted
            row.update(received_at=received, due_at=due, deadline_started_at=received)
            if status in RUNNING or status in ("supplement_requested", "financial_obligation"):
                index = rng.randrange(len(plan.steps)) if status == "processing" else 0
                step = plan.steps[index]
                row.update(
                    current_step_index=index,
                    current_step_code=step.code,
                    current_step_role=step.role,
                    current_step_unit_code=step.unit_code,
                    current_step_organisation_id=(receiving if step.role == "one_stop_clerk" else processing).pk,
                    deadline_running_since=received if status in RUNNING else None,
                    deadline_paused_at=None if status in RUNNING else now - dt.timedelta(days=rng.randint(1, 9)),
                    supplement_count=1 if status == "supplement_requested" else 0,
                )
            else:
                spent = allotted * rng.uniform(0.3, 1.25)
                end = min(received + spent, now)
                on_time = received + spent <= due
                row.update(is_on_time=on_time)
                if status in ("finished", "returned"):
                    row.update(finished_at=end)
                    if status == "returned":
                        row.update(
                            returned_at=min(end + dt.timedelta(hours=rng.uniform(1, 72)), now),
                            result_method=rng.choice(["online", "counter", "counter", "post"]),
                        )
                else:
                    row.update(closed_at=end)
        elif status != "new":
            row.update(closed_at=submitted + dt.timedelta(hours=rng.uniform(1, 20)))
        report.per_status[status] += 1
        report.per_organisation[processing.code] += 1
        yield row


def _copy_postgresql(rows: Any) -> None:
    from motcua.dossiers.models import Dossier

    fields = Dossier._meta.concrete_fields
    defaults = {}
    for model_field in fields:
        default = model_field.get_default()
        defaults[model_field.attname] = json.dumps(default) if isinstance(default, dict | list) else default
    columns = ", ".join(connection.ops.quote_name(model_field.column) for model_field in fields)
    names = [model_field.attname for model_field in fields]
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor
        with raw.copy(f"COPY {Dossier._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] if name in row else defaults[name] for name in names])


def _bulk_create(rows: Any) -> None:
    from motcua.dossiers.models import Dossier

    batch: list[Dossier] = []
    for row in rows:
        batch.append(Dossier(**row))
        if len(batch) >= BATCH:
            Dossier.objects.bulk_create(batch, batch_size=BATCH)
            batch = []
    if batch:
        Dossier.objects.bulk_create(batch, batch_size=BATCH)


def dossiers_load(*, count: int, seed: int = 20261123, now: dt.datetime | None = None) -> LoadReport:
    """Insert ``count`` synthetic dossiers (and their daily code counters) into the configured database."""
    from motcua.dossiers.models import DossierCounter

    now = now or timezone.now()
    rng = random.Random(seed)
    plans = _demo_catalogue()
    report = LoadReport(method="COPY" if connection.vendor == "postgresql" else "bulk_create")
    started = time.perf_counter()
    rows = _rows(count=count, plans=plans, now=now, rng=rng, report=report)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy_postgresql(rows)
        else:
            _bulk_create(rows)
        existing = set(DossierCounter.objects.values_list("organisation_id", "day"))
        DossierCounter.objects.bulk_create(
            [
                DossierCounter(organisation_id=organisation_id, day=day, last_number=number)
                for (organisation_id, day), number in report.counters.items()
                if (organisation_id, day) not in existing
            ],
            batch_size=BATCH,
        )
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
        elif connection.in_atomic_block:  # e.g. the smoke test's transaction: VACUUM cannot run there
            cursor.execute("ANALYZE dossiers_dossier")
        else:  # statistics, and the visibility map that lets counts read the indexes alone
            cursor.execute("VACUUM ANALYZE dossiers_dossier")
    report.dossiers = count
    report.seconds = time.perf_counter() - started
    report.busiest_organisation = report.per_organisation.most_common(1)[0][0] if report.per_organisation else ""
    return report


# ------------------------------------------------------------------------------------------------------
# Measurements
# ------------------------------------------------------------------------------------------------------

SUBMISSION_PROCEDURE = "2.000488"  # judicial record certificate, received online at the service centre
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Timing:
    measurement: str
    samples: int
    p50_ms: float
    p95_ms: float
    note: str = ""


def _percentiles(label: str, durations: list[float], note: str = "") -> Timing:
    ordered = sorted(durations)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return Timing(label, len(ordered), statistics.median(ordered) * 1000, p95 * 1000, note)


def _time_each(calls: list[Any]) -> list[float]:
    durations = []
    for call in calls:
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return durations


def _official_in(organisation: Any, role: str) -> Any:
    from motcua.accounts.models import User
    from motcua.agencies.models import Position

    user = User.objects.create(
        username=f"bench-{role}-{uuid.uuid4().hex[:8]}", kind=User.Kind.OFFICIAL, full_name="Trần Văn Kiểm"
    )
    Position.objects.create(user=user, organisation=organisation, role=role, valid_from=dt.date(2020, 1, 1))
    return user


def _form_value(form_field: Any, citizen: Any) -> Any:
    values = {
        "text": "Nguyễn Thị Hoa",
        "textarea": "Số 1 đường Trần Hưng Đạo, phường Hạ Long, tỉnh Quảng Ninh",
        "date": "1990-05-17",
        "number": 1,
        "checkbox": False,
        "email": "hoa@example.vn",
        "phone": "0912345678",
        "personal_id": citizen.personal_id,
    }
    if form_field.type == "select":
        return form_field.choices[0].code
    return values[form_field.type]


def _submission_setup() -> tuple[Any, dict[str, Any], list[str]]:
    """A citizen with one earlier dossier whose re-usable documents every bench application re-uses; the
    other required components are uploaded for each application."""
    import io

    from motcua.accounts.models import User
    from motcua.dossiers import services
    from motcua.dossiers.catalogue import procedure_content, procedure_version_for_application

    citizen = User.objects.create(
        username=f"bench-citizen-{uuid.uuid4().hex[:8]}",
        kind=User.Kind.CITIZEN,
        full_name="Nguyễn Thị Hoa",
        personal_id=f"0221900{random.randint(0, 99999):05d}",
        email="hoa@example.vn",
    )
    version = procedure_version_for_application(procedure_code=SUBMISSION_PROCEDURE)
    content = procedure_content(version)
    form = {
        form_field.name: _form_value(form_field, citizen)
        for form_field in content.form_fields
        if form_field.required and form_field.show_if is None
    }
    required = [component for component in content.components if component.required]
    refs = []
    for component in required:
        upload = services.dossier_file_upload(
            actor=citizen, content=io.BytesIO(PDF_BYTES), name=f"{component.code}.pdf", size=len(PDF_BYTES)
        )
        refs.append(services.FileRef(component_code=component.code, upload_id=upload.pk))
    earlier = services.dossier_submit_online(actor=citizen, procedure_version=version, form_data=form, files=refs)
    reused = {item.component_code: str(item.pk) for item in earlier.files.all()}
    payload = {
        "procedure": SUBMISSION_PROCEDURE,
        "form_data": form,
        "files": [
            {"component_code": component.code, "reuse_file_id": reused[component.code]}
            for component in required
            if component.reusable
        ],
    }
    return citizen, payload, [component.code for component in required if not component.reusable]


def submissions_per_second(*, seconds: float) -> tuple[int, float, float, Timing]:
    """As a signed-in citizen, for ``seconds``: upload the documents that cannot be re-used
    (``POST /api/v1/dossiers/uploads``), then apply (``POST /api/v1/dossiers``, a new Idempotency-Key each).
    Returns the count, the time spent in submissions, the wall time and the submissions' percentiles."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    citizen, payload, to_upload = _submission_setup()
    client = Client()
    client.force_login(citizen)
    durations: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        files = list(payload["files"])
        for component_code in to_upload:
            document = SimpleUploadedFile(f"{component_code}.pdf", PDF_BYTES, content_type="application/pdf")
            uploaded = client.post("/api/v1/dossiers/uploads", {"file": document})
            if uploaded.status_code != 201:
                raise RuntimeError(f"upload refused: {uploaded.status_code} {uploaded.content[:300]!r}")
            files.append({"component_code": component_code, "upload_id": uploaded.json()["id"]})
        body = json.dumps({**payload, "files": files}, ensure_ascii=False)
        began = time.perf_counter()
        response = client.post(
            "/api/v1/dossiers", body, content_type="application/json", headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        durations.append(time.perf_counter() - began)
        if response.status_code != 201:
            raise RuntimeError(f"submission refused: {response.status_code} {response.content[:500]!r}")
    elapsed = time.perf_counter() - started
    return len(durations), sum(durations), elapsed, _percentiles("POST /api/v1/dossiers (one submission)", durations)


def dossiers_measure(*, samples: int = 200, submit_seconds: float = 20.0, seed: int = 7) -> list[Timing]:
    """Time the hot paths at the loaded size (see the module's docstring)."""
    from motcua.agencies.models import Organisation, Role
    from motcua.agencies.search import search_fold
    from motcua.dossiers import selectors
    from motcua.dossiers.models import Dossier

    rng = random.Random(seed)
    busiest = (
        Dossier.objects.values("processing_organisation_id").annotate(count=Count("id")).order_by("-count").first()
    )
    assert busiest is not None, "load dossiers first"
    organisation = Organisation.objects.get(pk=busiest["processing_organisation_id"])
    official = _official_in(organisation, Role.SPECIALIST)
    in_organisation = Dossier.objects.filter(processing_organisation=organisation).count()
    now = timezone.now()

    def page(view: str, query: str = "") -> None:
        dossiers = selectors.dossier_queue(user=official, view=view, query=query, now=now)
        dossiers.count()
        list(dossiers[:PAGE_SIZE])

    results = []
    note = f"{organisation.code}: {in_organisation:,} dossiers"
    for view in ("open", "overdue", "all"):
        page(view)  # warm the cache once, as a running server would be
        durations = _time_each([lambda view=view: page(view)] * samples)
        results.append(_percentiles(f"queue page “{view}” (count + first {PAGE_SIZE})", durations, note))

    codes = list(
        Dossier.objects.filter(processing_organisation=organisation)
        .order_by("?")
        .values_list("code", flat=True)[:samples]
    )
    durations = _time_each([lambda code=code: selectors.dossier_get(user=official, code_or_id=code) for code in codes])
    results.append(_percentiles("lookup by code (dossier_get)", durations, f"{len(codes)} random codes"))

    names = _Names(rng)
    queries = [names.person() for _ in range(samples)]
    queries = [search_fold(query) if index % 2 else query for index, query in enumerate(queries)]
    durations = _time_each([lambda query=query: page("all", query) for query in queries])
    results.append(
        _percentiles(
            "search by applicant name (queue q=, count + first page)",
            durations,
            "random full names, half typed without diacritics",
        )
    )

    if submit_seconds > 0:
        count, in_submissions, elapsed, timing = submissions_per_second(seconds=submit_seconds)
        timing.note = (
            f"{count / in_submissions:,.1f} submissions/s; {count / elapsed:,.1f} applications/s with their "
            f"upload, over {elapsed:.0f} s ({count} dossiers, one client)"
        )
        results.append(timing)
    return results
