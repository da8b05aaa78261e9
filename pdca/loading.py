"""Load the plan from fixtures/ into the database: idempotent, all or nothing.

The fixture format is described in fixtures/README.md. Loading twice changes nothing: each row is
looked up by its natural key (item code, KPI code, system name, position) and saved only when a
value differs. Ordered child rows (bullets, initiatives, roadmap, tools, placements) that the
fixtures no longer have are deleted; items, KPIs and systems are never deleted here (they may carry
actuals), they are reported instead.

Moving a KPI or system to or from an item obeys the approved evaluations as in the admin
(pdca/services/placements.py): a load that would do so while the item's approved or published
year holds the KPI's actual (the system's cost) is refused as a whole, naming the item's file.
"""

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kpis.models import Kpi, KpiPlacement
from pdca.selectors import cycle_years
from pdca.services import placements
from pdca.services.revisions import ensure_first_edition
from priorities.models import (
    Department,
    FormTool,
    Initiative,
    NarrativeBullet,
    Pillar,
    Plan,
    PlanEdition,
    PriorityItem,
    RoadmapEntry,
)
from systems.costs import first_months
from systems.models import CostBreakdown, System, SystemPlacement

DEFAULT_DEPARTMENT = "DX推進課"
LOADER_REASON = "計画データ（fixtures/）から読み込み"
# The plan's own records: a change to one of them made any other way than by this loader (the
# admin, a revision of the plan) is never overwritten by a later load (edits_since_loading).
PLAN_MODELS = (
    Plan, Pillar, PriorityItem, NarrativeBullet, Initiative, RoadmapEntry, FormTool, Kpi,
    KpiPlacement, System, SystemPlacement, CostBreakdown,
)  # fmt: skip
DEPARTMENT_SEPARATORS = ("、", "，", ",", "／")


class PlanLoadError(Exception):
    """A fixture is wrong; the message names the file and the place in it, in Japanese."""


class PlanChangedSinceLoading(PlanLoadError):
    """The plan was changed after it was loaded (the admin, a revision): loading would undo it."""


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) + sum(self.updated.values()))

    @property
    def changed_anything(self) -> bool:
        return self.changed or bool(sum(self.deleted.values()))

    def summary(self) -> str:
        def total(counter):
            return sum(counter.values())

        return (
            f"追加 {total(self.created)} 件、更新 {total(self.updated)} 件、"
            f"削除 {total(self.deleted)} 件、変更なし {total(self.unchanged)} 件"
        )


class _Loader:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.user = None
        self.report = LoadReport()
        self.departments: dict[str, Department] = {}
        self.where = ""

    # ---- low-level helpers -------------------------------------------------------------

    def fail(self, message: str):
        raise PlanLoadError(f"{self.where}: {message}" if self.where else message)

    def read_json(self, path: Path):
        try:
            with path.open(encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            raise PlanLoadError(f"{path}: ファイルがありません。") from None
        except json.JSONDecodeError as exc:
            raise PlanLoadError(
                f"{path.name}: JSONとして読めません（{exc.lineno}行目 {exc.colno}文字目: {exc.msg}）。"
            ) from None

    def decimal(self, raw, label: str):
        if raw is None:
            return None
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            self.fail(f"{label}「{raw}」は数値ではありません。")
        if not value.is_finite():
            self.fail(f"{label}「{raw}」は数値ではありません。")
        return value

    def sync(self, model, lookup: dict, values: dict):
        """Create or update one row, saving only when something differs."""
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            self.save(obj)
            self.report.created[model._meta.label] += 1
            return obj
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            self.save(obj)
            self.report.updated[model._meta.label] += 1
        else:
            self.report.unchanged[model._meta.label] += 1
        return obj

    def save(self, obj):
        try:
            obj.full_clean()
        except ValidationError as exc:
            details = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
            )
            self.fail(f"{obj._meta.verbose_name}の値が正しくありません（{details}）。")
        self.record(obj)
        obj.save()

    def record(self, obj):
        """The history says who loaded the plan, and from where."""
        obj._history_user = self.user
        obj._change_reason = LOADER_REASON

    def set_departments(self, obj, departments: list[Department]):
        """Set a many-to-many of departments, counted as an update when it changes."""
        if {d.pk for d in obj.departments.all()} != {d.pk for d in departments}:
            self.report.updated[f"{obj._meta.label}.departments"] += 1
            self.record(obj)
            obj.departments.set(departments)

    def prune(self, queryset):
        """Delete the ordered child rows the fixtures no longer have."""
        count = 0
        for obj in queryset:
            self.record(obj)
            obj.delete()
            count += 1
        if count:
            self.report.deleted[queryset.model._meta.label] += count

    def department(self, name: str) -> Department:
        name = name.strip()
        if name not in self.departments:
            self.departments[name] = self.sync(Department, {"name": name}, {})
        return self.departments[name]

    def departments_in(self, text: str | None) -> list[Department]:
        if not text:
            return []
        names = [text]
        for separator in DEPARTMENT_SEPARATORS:
            names = [part for name in names for part in name.split(separator)]
        return [self.department(name) for name in names if name.strip()]

    # ---- the plan --------------------------------------------------------------------

    def load(self):
        data = self.read_json(self.directory / "plan" / "plan.json")
        self.where = "plan.json"
        plan = Plan.objects.order_by("pk").first()
        values = {
            "title": data["title"],
            "established": data["established"],
            "basic_policies": data.get("basic_policies", []),
            "purpose": data.get("purpose", ""),
            "supplement": data.get("supplement", ""),
            "sections": data.get("sections", []),
            "printed_figures": data.get("printed_figures", {}),
        }
        plan = self.sync(Plan, {"pk": plan.pk} if plan else {}, values)
        item_files = []
        for pillar_data in data["pillars"]:
            pillar = self.sync(
                Pillar,
                {"plan_id": plan.pk, "number": pillar_data["number"]},
                {"title": pillar_data["title"]},
            )
            for order, code in enumerate(pillar_data["items"], start=1):
                item_files.append((pillar, order, code))
        seen_codes = set()
        for pillar, order, code in item_files:
            path = self.directory / "plan" / "items" / f"{code}.json"
            self.where = path.name
            item_data = self.read_json(path)
            if item_data.get("code") != code:
                self.fail(f"項目番号が「{item_data.get('code')}」ですが、{code} のはずです。")
            if item_data.get("pillar") != pillar.number:
                self.fail(
                    f"柱の番号が {item_data.get('pillar')} ですが、{pillar.number} のはずです。"
                )
            self.load_item(pillar, order, item_data)
            seen_codes.add(code)
        self.where = ""
        for item in PriorityItem.objects.exclude(code__in=seen_codes):
            self.report.warnings.append(
                f"重点項目 {item.code} はフィクスチャにありません（削除はしていません）。"
            )

    def load_item(self, pillar: Pillar, order: int, data: dict):
        item = self.sync(
            PriorityItem,
            {"code": data["code"]},
            {
                "pillar_id": pillar.pk,
                "order": order,
                "title": data["title"],
                "has_form2": bool(data.get("has_form2")),
                "tools_heading": data.get("tools_heading") or "",
                "departments_text": self.printed_departments(data),
            },
        )
        for section in NarrativeBullet.Section.values:
            texts = data.get(section, [])
            for position, text in enumerate(texts, start=1):
                self.sync(
                    NarrativeBullet,
                    {"item_id": item.pk, "section": section, "order": position},
                    {"text": text},
                )
            self.prune(item.bullets.filter(section=section, order__gt=len(texts)))

        # KPIs before systems: a Form ② record may name one of this item's KPIs (unit_kpi).
        initiatives = data.get("initiatives", [])
        kpi_order = 0
        for initiative_data in initiatives:
            kpi_order = self.load_initiative(item, initiative_data, kpi_order)
        numbers = [initiative_data["number"] for initiative_data in initiatives]
        self.prune(item.initiatives.exclude(number__in=numbers))

        systems = [
            self.load_system(item, position, system_data)
            for position, system_data in enumerate(data.get("systems", []), start=1)
        ]
        self.prune(SystemPlacement.objects.filter(item=item).exclude(system__in=systems))
        if item.has_form2 and not systems:
            self.fail("様式②ありの項目ですが、systems が空です。")

        owners: list[Department] = []
        tools = data.get("tools", [])
        for position, tool_data in enumerate(tools, start=1):
            departments = self.departments_in(tool_data.get("department"))
            owners.extend(d for d in departments if d not in owners)
            linked = next((s for s in systems if s.name == tool_data["name"]), None)
            if linked is None:
                linked = System.objects.filter(name=tool_data["name"]).first()
            tool = self.sync(
                FormTool,
                {"item_id": item.pk, "order": position},
                {
                    "label": tool_data.get("label") or "",
                    "name": tool_data["name"],
                    "department_text": tool_data.get("department") or "",
                    "repeated": bool(tool_data.get("repeated")),
                    "system_id": linked.pk if linked else None,
                },
            )
            self.set_departments(tool, departments)
        self.prune(item.tools.filter(order__gt=len(tools)))
        if data.get("departments"):  # printed once for the whole list (2-1's 各所管課)
            owners = [d for name in data["departments"] for d in self.departments_in(name)]
        self.set_departments(item, owners or [self.department(DEFAULT_DEPARTMENT)])

    @staticmethod
    def printed_departments(data: dict) -> str:
        """The departments Form ① prints for the item, in printed order ("" when none is)."""
        names: list[str] = []
        sources = data.get("departments") or [t.get("department") for t in data.get("tools", [])]
        for text in sources:
            if text and text not in names:
                names.append(text)
        return "、".join(names)

    def load_initiative(self, item: PriorityItem, data: dict, kpi_order: int) -> int:
        where = self.where
        self.where = f"{where} 取組{data['number']}"
        initiative = self.sync(
            Initiative,
            {"item_id": item.pk, "number": data["number"]},
            {
                "name": data["name"],
                "ref": data.get("ref") or "",
                "repeated": bool(data.get("repeated")),
                "group": data.get("group") or "",
                "kpi_note": data.get("kpi_note") or "",
            },
        )
        roadmap = data.get("roadmap", [])
        for position, entry in enumerate(roadmap, start=1):
            self.sync(
                RoadmapEntry,
                {"initiative_id": initiative.pk, "order": position},
                {
                    "fiscal_year": entry.get("fiscal_year"),
                    "until_fiscal_year": entry.get("until_fiscal_year"),
                    "text": entry["text"],
                    "year_inferred": bool(entry.get("year_inferred")),
                    "year_note": entry.get("year_note") or "",
                },
            )
        self.prune(initiative.roadmap.filter(order__gt=len(roadmap)))

        placed = []
        for position, kpi_data in enumerate(data.get("kpis", []), start=1):
            if "same_as" in kpi_data:
                kpi = Kpi.objects.filter(code=kpi_data["same_as"]).first()
                if kpi is None:
                    self.fail(
                        f"{kpi_data.get('text') or '再掲'}のKPI {kpi_data['same_as']} が、"
                        "それより前の項目に見つかりません。"
                    )
                note = kpi_data.get("text") or "再掲"
            else:
                kpi_order += 1
                kpi = self.load_kpi(item, kpi_order, kpi_data)
                note = ""
            self.sync(
                KpiPlacement,
                {"initiative_id": initiative.pk, "kpi_id": kpi.pk},
                {"order": position, "note": note},
            )
            placed.append(kpi.pk)
        self.prune(initiative.kpi_placements.exclude(kpi_id__in=placed))
        self.where = where
        return kpi_order

    def load_kpi(self, item: PriorityItem, order: int, data: dict) -> Kpi:
        expected = f"{item.code}-K{order:02d}"
        if data.get("code") != expected:
            self.fail(
                f"KPIコードが「{data.get('code')}」ですが、記載順からは {expected} のはずです。"
            )
        baseline = data.get("baseline") or {}
        target = data.get("target") or {}
        return self.sync(
            Kpi,
            {"code": expected},
            {
                "item_id": item.pk,
                "order": order,
                "name": data["name"],
                "unit": data.get("unit") or "",
                "direction": data["direction"],
                "cumulative": bool(data.get("cumulative")),
                "baseline_value": self.decimal(baseline.get("value"), f"{expected} の現状値"),
                "baseline_fiscal_year": baseline.get("fiscal_year"),
                "baseline_text": baseline.get("text") or "",
                "target_value": self.decimal(target.get("value"), f"{expected} の目標値"),
                "target_fiscal_year": target.get("fiscal_year"),
                "target_text": target.get("text") or "",
                "target_operator": target.get("operator") or "",
                "pending": bool(data.get("pending")),
            },
        )

    def money(self, data: dict | None, prefix: str, label: str) -> dict:
        data = data or {}
        return {
            f"{prefix}_text": data.get("text") or "",
            f"{prefix}_thousand_yen": self.decimal(data.get("thousand_yen"), label),
            f"{prefix}_fiscal_year": data.get("fiscal_year"),
            f"{prefix}_planned": bool(data.get("planned")),
        }

    def costs(self, data: dict, name: str) -> dict:
        operating = data.get("operating_cost") or {}
        return {
            **self.money(data.get("initial_cost"), "initial_cost", f"{name} の導入経費"),
            **self.money(operating, "operating_cost", f"{name} の運用経費"),
            "operating_first_year_months": first_year_months(operating.get("text") or ""),
        }

    def load_system(self, item: PriorityItem, position: int, data: dict) -> System:
        name = data["name"]
        departments = self.departments_in(data.get("department"))
        unit_kpi = None
        if data.get("unit_kpi"):
            unit_kpi = Kpi.objects.filter(code=data["unit_kpi"]).first()
            if unit_kpi is None:
                self.fail(f"{name} の unit_kpi「{data['unit_kpi']}」というKPIがありません。")
        system = self.sync(
            System,
            {"name": name},
            {
                "department_id": departments[0].pk if departments else None,
                "unit_kpi_id": unit_kpi.pk if unit_kpi else None,
                "overview": data.get("overview") or "",
                "configuration": data.get("configuration") or "",
                "introduced": data.get("introduced") or "",
                "effects": data.get("effects") or "",
                "issues": data.get("issues") or "",
                "actions": data.get("actions") or "",
                **self.costs(data, name),
            },
        )
        self.sync(
            SystemPlacement,
            {"item_id": item.pk, "system_id": system.pk},
            {"order": position, "label": data.get("label") or ""},
        )
        breakdown = data.get("cost_breakdown", [])
        for order, part in enumerate(breakdown, start=1):
            self.sync(
                CostBreakdown,
                {"system_id": system.pk, "order": order},
                {"name": part["name"], **self.costs(part, f"{name}（{part['name']}）")},
            )
        self.prune(system.breakdown.filter(order__gt=len(breakdown)))
        return system


START_MONTH = re.compile(r"R(\d+)\.(\d+)[~～〜]")


def first_year_months(text: str) -> int | None:
    """Months of its first year for a yearly amount that starts mid-year, from the printed
    text: 「15,000千円／年（Ｒ８.３～）」 starts in March, the last month of FY R7 → 1."""
    match = START_MONTH.search(unicodedata.normalize("NFKC", text))
    if not match:
        return None
    months = first_months(int(match.group(2)))
    return months if months < 12 else None


def load_plan(*, directory: Path, user=None) -> LoadReport:
    """Load (or re-sync) the whole plan from ``directory`` in one transaction, recorded in the
    history as ``user``'s (a command passes --user or the system account)."""
    loader = _Loader(directory)
    loader.user = user
    try:
        with transaction.atomic():
            edited = edits_since_loading()
            placed = placements.placed_now()
            loader.load()
            if edited and loader.report.changed_anything:
                raise PlanChangedSinceLoading(
                    f"計画は読み込んだあとに変更されています（{edited}）。fixtures/ から読み込むと"
                    "その変更を上書きしてしまうため、何も変更しませんでした。計画を変えるときは、"
                    "職員ページの「計画の改訂」から改訂案を作ってください。"
                )
            refusal = placements.move_refusal(placements.moves_since(placed), lock=True)
            if refusal:
                raise PlanLoadError(f"{refusal.item.code}.json: {refusal.message}")
            plan = Plan.objects.order_by("pk").first()
            if plan is not None and not plan.editions.exists():
                ensure_first_edition(plan=plan, user=user, first_fiscal_year=cycle_years()[0])
                loader.report.created["priorities.PlanEdition"] += 1
    except KeyError as exc:
        raise PlanLoadError(f"{loader.where}: 必須の項目 {exc} がありません。") from None
    return loader.report


def edits_since_loading() -> str | None:
    """What changed the plan after it was loaded, in words (None: only this loader did)."""
    edition = PlanEdition.objects.filter(number__gt=1).order_by("-number").first()
    if edition is not None:
        return f"計画の改訂で第{edition.number}版になっています"
    for model in PLAN_MODELS:
        record = (
            model.history.exclude(history_change_reason=LOADER_REASON)
            .order_by("-history_date")
            .first()
        )
        if record is not None:
            when = timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")
            why = record.history_change_reason or "理由の記録なし"
            return f"{model._meta.verbose_name}を{when}に変更: {why}"
    return None
