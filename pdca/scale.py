"""A scaled copy of the real plan, for measuring the app at N times its size
(``generate_scale_plan``, ``make bench``).

Only ever written to a scratch database: one whose name contains 「scale」 and that holds no plan,
or only a plan this module generated (``scratch_problem`` says why not). Everything written is
marked: the plan, pillars, items, KPIs and systems are named 「生成…」, every actual, cost record
and evaluation is flagged as made up (``is_demo``) with the note 「生成データ」, and the history
names the reason 「生成（規模の試験用）」.

How it is built: the real fixtures are loaded once with the names marked (``load_plan``, so
the copy is exactly the real plan); then N − 1 further copies of every item, with its Form ①
text, initiatives, roadmap, KPIs (a repeated KPI points at the same copy's KPI), tools and Form ②
records, are written with bulk inserts. Copy k of item 「p-o」 in a pillar of n items is
「p-(o + (k − 1)·n)」, so 100× gives 1-1 … 1-400 in a pillar of four items (item numbers go up
to 999: ``PriorityItem``'s code format). Then actuals for R5–R8 (a few left out), yearly costs,
approved evaluations for R6 and R7 (both published, so the public pages have data) and R8's in
every state (下書き, 提出済み, 承認済み). R9 is left without actuals, for an import to add.
"""

import json
import random
import shutil
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from kpis.models import Actual, Direction, Kpi, KpiPlacement, Stage
from pdca.loading import load_plan
from pdca.models import Evaluation, PublishedSnapshot
from pdca.services.publication import publish_fiscal_year
from priorities.models import (
    Department,
    FormTool,
    Initiative,
    NarrativeBullet,
    Plan,
    PriorityItem,
    RoadmapEntry,
)
from priorities.permissions import DEPARTMENT_HEAD_GROUP, DX_STAFF_GROUP
from priorities.roles import ensure_roles, system_user
from shizuoka_dx.history import create_all_recorded
from systems.models import CostBreakdown, CostRecord, System, SystemPlacement

MARK = "生成"
# Bumped whenever what is generated changes, so a kept scratch database is made again.
GENERATOR_VERSION = 1
NOTE = "生成データ"
REASON = "生成（規模の試験用）"
SCRATCH_WORD = "scale"
MAX_ITEM_NUMBER = 999  # PriorityItem's code format: 「1-1」 … 「9-999」
ACTUAL_YEARS = (2023, 2024, 2025, 2026)  # R5 (the usual baseline year) to R8
PUBLISHED_YEARS = (2024, 2025)
OPEN_YEAR = 2026  # evaluations in every state
BATCH = 2000
STAFF_USERNAME = "scale-dx-staff"
HEAD_USERNAME = "scale-head"
HEAD_DEPARTMENT = "危機管理課"


class ScaleError(Exception):
    """The scaled plan cannot be written here; the message says why, in Japanese."""


# ---- where it may be written ------------------------------------------------------------


def database_name(settings_dict=None) -> str:
    """The database's own name: the file name for SQLite, the database for PostgreSQL."""
    settings_dict = settings_dict or connection.settings_dict
    name = str(settings_dict["NAME"])
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return Path(name).name
    return name


def is_scratch_name(name: str) -> bool:
    return SCRATCH_WORD in name.lower()


def generated_factor() -> int | None:
    """The factor of the generated plan in this database (None: no generated plan)."""
    plan = Plan.objects.order_by("pk").first()
    if plan is None or not plan.title.startswith(f"{MARK}（"):
        return None
    head = plan.title.removeprefix(f"{MARK}（").split("倍", 1)[0]
    return int(head) if head.isdigit() else None


def is_current() -> bool:
    """Whether the generated plan here is the one this version of the generator writes."""
    plan = Plan.objects.order_by("pk").first()
    return plan is not None and _title_mark(generated_factor() or 0) in plan.title


def _title_mark(factor: int) -> str:
    return f"{MARK}（{factor}倍・第{GENERATOR_VERSION}版）"


def holds_data() -> bool:
    return (
        Plan.objects.exists()
        or PriorityItem.objects.exists()
        or Actual.objects.exists()
        or PublishedSnapshot.objects.exists()
    )


def name_problem() -> str | None:
    """Why this database is not a scratch one (None: its name says it is)."""
    name = database_name()
    if is_scratch_name(name):
        return None
    return (
        f"データベース「{name}」は作業用ではありません。生成した計画は、名前に「{SCRATCH_WORD}」を"
        "含む作業用のデータベースにだけ書き込みます（例: --database-url "
        "sqlite:////tmp/scale_100.sqlite3、postgres://…/shizuoka_dx_scale_100）。"
    )


def create_missing_database() -> bool:
    """Create the scratch PostgreSQL database when it does not exist yet (the role needs
    CREATEDB); returns whether it did. Only called once ``name_problem`` found no problem."""
    settings_dict = connection.settings_dict
    if not settings_dict["ENGINE"].endswith("postgresql"):
        return False
    import psycopg
    from psycopg import sql

    options = {
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
    }
    options = {key: value for key, value in options.items() if value}
    with psycopg.connect(dbname="postgres", autocommit=True, **options) as server:
        name = settings_dict["NAME"]
        if server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def scratch_problem(*, replace: bool) -> str | None:
    """Why this (migrated) database must not receive a generated plan (None: it may)."""
    problem = name_problem()
    if problem or not holds_data():
        return problem
    name = database_name()
    factor = generated_factor()
    if factor is None:
        return (
            f"データベース「{name}」には生成したものではない計画やデータがあります。"
            "空の作業用データベースを指定してください。"
        )
    if not replace:
        return (
            f"データベース「{name}」には生成した計画（{factor}倍）がすでにあります。"
            "作り直すには --replace を付けてください。"
        )
    return None


# ---- the plan's structure -----------------------------------------------------------------


def _marked_fixtures(target: Path, factor: int) -> Path:
    """A copy of fixtures/ with the plan, pillars, items, KPIs and systems named 「生成…」."""
    shutil.copytree(settings.PLAN_FIXTURES_DIR, target)
    plan_path = target / "plan" / "plan.json"
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    plan["title"] = _title_mark(factor) + plan["title"]
    for pillar in plan["pillars"]:
        pillar["title"] = MARK + pillar["title"]
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    for path in sorted((target / "plan" / "items").glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        item["title"] = MARK + item["title"]
        names = {}
        for system in item.get("systems", []):
            names[system["name"]] = MARK + system["name"]
        for system in item.get("systems", []):
            system["name"] = names[system["name"]]
        for tool in item.get("tools", []):
            tool["name"] = MARK + tool["name"]
        for initiative in item.get("initiatives", []):
            for kpi in initiative.get("kpis", []):
                if "name" in kpi and "same_as" not in kpi:
                    kpi["name"] = MARK + kpi["name"]
        path.write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    return target


def _create(model, objs, user):
    """Bulk insert ``objs`` with a history row each (``create_all_recorded``)."""
    assert all(type(obj) is model for obj in objs)
    return create_all_recorded(objs, user=user, reason=REASON)


def _copy(obj, **changes):
    """An unsaved copy of ``obj`` with ``changes`` (foreign keys by their ``*_id``)."""
    values = {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key
    }
    values.update(changes)
    return type(obj)(**values)


def _item_numbers(items) -> dict[int, int]:
    per_pillar = defaultdict(int)
    for item in items:
        per_pillar[item.pillar.number] += 1
    return per_pillar


def copy_items(factor: int, user) -> None:
    """Copies 2 … ``factor`` of every item of the plan loaded as copy 1."""
    items = list(PriorityItem.objects.select_related("pillar").order_by("pillar__number", "order"))
    per_pillar = _item_numbers(items)
    widest = max(per_pillar.values())
    if widest * factor > MAX_ITEM_NUMBER:
        raise ScaleError(
            f"{factor}倍では項目の番号が{MAX_ITEM_NUMBER}を超えます"
            f"（柱ごとの項目は最大 {widest} 件）。--factor は {MAX_ITEM_NUMBER // widest} 以下に"
            "してください。"
        )
    bullets = list(NarrativeBullet.objects.order_by("pk"))
    initiatives = list(Initiative.objects.order_by("pk"))
    roadmap = list(RoadmapEntry.objects.order_by("pk"))
    kpis = list(Kpi.objects.order_by("pk"))
    placements = list(KpiPlacement.objects.order_by("pk"))
    systems = list(System.objects.order_by("pk"))
    system_placements = list(SystemPlacement.objects.order_by("pk"))
    breakdown = list(CostBreakdown.objects.order_by("pk"))
    tools = list(FormTool.objects.order_by("pk"))
    item_departments = list(PriorityItem.departments.through.objects.order_by("pk"))
    tool_departments = list(FormTool.departments.through.objects.order_by("pk"))

    for copy in range(2, factor + 1):
        new_items = {}
        for item in items:
            order = item.order + (copy - 1) * per_pillar[item.pillar.number]
            new_items[item.pk] = _copy(
                item,
                code=f"{item.pillar.number}-{order}",
                order=order,
                title=f"{item.title}（複製{copy}）",
            )
        _create(PriorityItem, list(new_items.values()), user)
        item_id = {old: new.pk for old, new in new_items.items()}
        code_of = {new.pk: new.code for new in new_items.values()}

        _create(NarrativeBullet, [_copy(b, item_id=item_id[b.item_id]) for b in bullets], user)
        new_initiatives = {i.pk: _copy(i, item_id=item_id[i.item_id]) for i in initiatives}
        _create(Initiative, list(new_initiatives.values()), user)
        initiative_id = {old: new.pk for old, new in new_initiatives.items()}
        _create(
            RoadmapEntry,
            [_copy(r, initiative_id=initiative_id[r.initiative_id]) for r in roadmap],
            user,
        )
        new_kpis = {}
        for kpi in kpis:
            new_item = item_id[kpi.item_id]
            new_kpis[kpi.pk] = _copy(
                kpi, item_id=new_item, code=f"{code_of[new_item]}-K{kpi.order:02d}"
            )
        _create(Kpi, list(new_kpis.values()), user)
        kpi_id = {old: new.pk for old, new in new_kpis.items()}
        _create(
            KpiPlacement,
            [
                _copy(p, initiative_id=initiative_id[p.initiative_id], kpi_id=kpi_id[p.kpi_id])
                for p in placements
            ],
            user,
        )
        new_systems = {
            s.pk: _copy(
                s,
                name=f"{s.name}（複製{copy}）",
                unit_kpi_id=kpi_id.get(s.unit_kpi_id) if s.unit_kpi_id else None,
            )
            for s in systems
        }
        _create(System, list(new_systems.values()), user)
        system_id = {old: new.pk for old, new in new_systems.items()}
        _create(
            SystemPlacement,
            [
                _copy(p, item_id=item_id[p.item_id], system_id=system_id[p.system_id])
                for p in system_placements
            ],
            user,
        )
        _create(
            CostBreakdown, [_copy(b, system_id=system_id[b.system_id]) for b in breakdown], user
        )
        new_tools = {
            t.pk: _copy(
                t,
                item_id=item_id[t.item_id],
                system_id=system_id.get(t.system_id) if t.system_id else None,
            )
            for t in tools
        }
        _create(FormTool, list(new_tools.values()), user)
        # Owning departments through the many-to-many managers, one call per department, so
        # the items' history records them as any other change of owners.
        owners = defaultdict(list)
        for row in item_departments:
            owners[row.department_id].append(item_id[row.priorityitem_id])
        tools_of = defaultdict(list)
        for row in tool_departments:
            tools_of[row.department_id].append(new_tools[row.formtool_id].pk)
        for department in Department.objects.filter(pk__in={*owners, *tools_of}):
            department._history_user = user
            department._change_reason = REASON
            department.items.add(*owners.get(department.pk, ()))
            department.formtool_set.add(*tools_of.get(department.pk, ()))


# ---- figures --------------------------------------------------------------------------


# How far along a KPI is against the expected path: A, B, C and D in about these shares.
PACES = [(Decimal("1.15"), 5), (Decimal("0.8"), 3), (Decimal("0.35"), 2), (Decimal("-0.1"), 1)]


def _rounded(value: Decimal, spec) -> Decimal:
    if not spec.allows_negative and value < 0:
        value = Decimal(0)
    if spec.share:
        value = min(value, Decimal(100))
    places = Decimal("0.1") if spec.share or abs(value) < 100 else Decimal(1)
    return value.quantize(places)


def actual_for(
    kpi: Kpi, year: int, rng: random.Random, *, missing: float = 0.05
) -> tuple[Decimal | None, str] | None:
    """A made-up (value, stage) for ``kpi`` in ``year`` (None: left out, as a share ``missing``
    of R8's figures are)."""
    start, end = kpi.fiscal_year_window()
    if not start <= year <= end or kpi.spec_for(year).pending:
        return None
    if year == OPEN_YEAR and rng.random() < missing:
        return None  # a few figures not in yet: the dashboard lists them
    if kpi.direction == Direction.MILESTONE:
        stages = [Stage.NOT_STARTED, Stage.STARTED, Stage.DONE]
        step = min(max(year - start + rng.choice((-1, 0, 0, 1)), 0), 2)
        return None, stages[step]
    spec = kpi.spec
    baseline = kpi.baseline_value or Decimal(0)
    target = kpi.target_value if kpi.target_value is not None else baseline
    if kpi.direction == Direction.MAINTAIN or target == baseline:
        wobble = Decimal(rng.choice((-2, -1, 0, 1, 2))) / 100
        return _rounded(target * (1 + wobble), spec), ""
    first = kpi.baseline_fiscal_year or start
    last = kpi.target_fiscal_year or end
    expected = Decimal(max(year - first, 0)) / Decimal(max(last - first, 1))
    pace = rng.choices([p for p, _ in PACES], weights=[w for _, w in PACES])[0]
    return _rounded(baseline + (target - baseline) * expected * pace, spec), ""


def write_actuals(user, seed: int) -> int:
    rng = random.Random(seed)
    now = timezone.now()
    actuals = []
    for kpi in Kpi.objects.order_by("pk"):
        for year in ACTUAL_YEARS:
            figure = actual_for(kpi, year, rng)
            if figure is None:
                continue
            value, stage = figure
            actuals.append(
                Actual(
                    kpi=kpi,
                    fiscal_year=year,
                    value=value,
                    stage=stage,
                    note=NOTE,
                    is_demo=True,
                    entered_by=user,
                    updated_at=now,
                )
            )
    _create(Actual, actuals, user)
    return len(actuals)


def write_costs(user, seed: int) -> int:
    rng = random.Random(seed + 1)
    records = []
    for system in System.objects.order_by("pk"):
        base = system.operating_cost_thousand_yen
        if base is None:
            continue
        for year in PUBLISHED_YEARS:
            amount = (base * Decimal(rng.uniform(0.9, 1.1))).quantize(Decimal("0.1"))
            records.append(
                CostRecord(
                    system=system,
                    fiscal_year=year,
                    kind=CostRecord.Kind.OPERATING,
                    thousand_yen=amount,
                    note=NOTE,
                    is_demo=True,
                    entered_by=user,
                )
            )
    _create(CostRecord, records, user)
    return len(records)


def write_evaluations(staff, head, seed: int) -> int:
    """Approved evaluations for the published years, and R8's in every state."""
    rng = random.Random(seed + 2)
    now = timezone.now()
    texts = {
        "quantitative": f"{MARK}: KPIの達成状況（規模の試験用の文章です）。",
        "qualitative": f"{MARK}: 取組の状況（規模の試験用の文章です）。",
        "issues": f"{MARK}: 課題。",
        "countermeasures": f"{MARK}: 対策。",
        "next_plan": f"{MARK}: 次年度の取組。",
    }
    evaluations = []
    for item in PriorityItem.objects.order_by("pk"):
        for year in (*PUBLISHED_YEARS, OPEN_YEAR):
            status = Evaluation.Status.APPROVED
            if year == OPEN_YEAR:
                status = rng.choice(list(Evaluation.Status)[:3])
            submitted = status != Evaluation.Status.DRAFT
            approved = status == Evaluation.Status.APPROVED
            evaluations.append(
                Evaluation(
                    item=item,
                    fiscal_year=year,
                    status=status,
                    is_demo=True,
                    last_edited_by=head,
                    submitted_by=head if submitted else None,
                    submitted_at=now if submitted else None,
                    approved_by=staff if approved else None,
                    approved_at=now if approved else None,
                    **texts,
                )
            )
    _create(Evaluation, evaluations, staff)
    return len(evaluations)


def generated_users():
    """The generated DX staff member and department head (who cannot log in with a password)."""
    groups = ensure_roles()
    users = []
    for username, group, department in (
        (STAFF_USERNAME, DX_STAFF_GROUP, "DX推進課"),
        (HEAD_USERNAME, DEPARTMENT_HEAD_GROUP, HEAD_DEPARTMENT),
    ):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"last_name": f"{MARK}（{group}）"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(groups[group])
        Department.objects.get_or_create(name=department)[0].members.add(user)
        users.append(user)
    return users


def clear_generated() -> None:
    """Empty the database (only ever called on a scratch database that holds nothing but a
    generated plan: ``scratch_problem``); the roles come back with the post-migrate signal."""
    call_command("flush", interactive=False, verbosity=0)


def generate(*, factor: int, seed: int = 1, progress=print) -> dict[str, int]:
    """Write the plan ``factor`` times over into this (scratch) database; returns the counts."""
    if factor < 1:
        raise ScaleError("--factor は1以上の整数にしてください。")
    user = system_user()
    staff, head = generated_users()
    with tempfile.TemporaryDirectory() as folder, transaction.atomic():
        load_plan(directory=_marked_fixtures(Path(folder) / "fixtures", factor), user=user)
        progress(f"計画（1倍）を読み込みました。{factor}倍に複製しています…")
        copy_items(factor, user)
        progress("実績・経費・評価を書き込んでいます…")
        actuals = write_actuals(user, seed)
        costs = write_costs(user, seed)
        evaluations = write_evaluations(staff, head, seed)
    for year in PUBLISHED_YEARS:
        progress(f"{year}年度を公表しています…")
        publish_fiscal_year(fiscal_year=year, user=staff)
    return {
        "items": PriorityItem.objects.count(),
        "kpis": Kpi.objects.count(),
        "systems": System.objects.count(),
        "actuals": actuals,
        "cost_records": costs,
        "evaluations": evaluations,
        "publications": PublishedSnapshot.objects.count(),
    }
