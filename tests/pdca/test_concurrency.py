"""Two people at once: the second save is refused or waits, never lost, never a 500.
Run on SQLite (immediate transactions) and on PostgreSQL (row locks) by `make test`.

The races that matter are forced with events: one transaction is paused after it has locked and
checked, and the other must wait for it (PostgreSQL: it is seen waiting on a lock in
pg_stat_activity; both: it gets its own lock only after the first was let go)."""

import threading
import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from kpis.importing import ImportRefused
from kpis.models import Actual, Kpi, KpiPlacement
from kpis.parsing import ParsedValue
from pdca.loading import load_plan
from pdca.models import Evaluation
from pdca.services import actuals as actual_services
from pdca.services import costs as cost_services
from pdca.services import evaluations as services
from pdca.services import imports, placements
from pdca.services.actuals import ActualsRefused, actual_save
from priorities.models import Initiative, PriorityItem
from priorities.roles import ensure_roles
from systems.models import CostRecord, System, SystemPlacement

WAIT = 10  # seconds: a guard against a hung test, never part of the expected timing


@pytest.fixture
def plan(transactional_db, settings):
    """A transactional test starts from whatever an earlier one left: load the plan again."""
    load_plan(directory=settings.PLAN_FIXTURES_DIR)
    ensure_roles()


def run_together(*jobs):
    """Run each job in its own thread (own database connection), started at the same moment."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as exc:  # reported to the test, not swallowed
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_people_entering_the_same_actual_at_once_get_one_row_and_one_message(plan, dx_staff):
    def post():
        client = Client()
        client.force_login(dx_staff)
        response = client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "324081"})
        return response.status_code, response.content.decode()

    results = run_together(post, post)
    statuses = sorted(status for status, _page in results)
    assert statuses == [302, 400], results
    refused = next(page for status, page in results if status == 400)
    assert (
        "すでに登録されています" in refused
        or "いま別の人が同じ実績を登録しました" in refused
        or "の実績はすでに「324,081」と入力されています" in refused  # shown, not replaced
    )
    assert Actual.objects.filter(kpi__code="1-1-K01", fiscal_year=2024).count() == 1


def test_two_corrections_from_the_same_version_keep_the_first_and_refuse_the_second(plan):
    kpi = Kpi.objects.get(code="1-1-K01")
    actual = Actual.objects.create(kpi=kpi, fiscal_year=2024, value=300000)

    def correct(value):
        return lambda: actual_save(
            kpi=kpi,
            fiscal_year=2024,
            parsed=ParsedValue(value=value),
            note="",
            user=_dx(),
            seen=actual.version,
            reason="テスト",
        )

    results = run_together(correct(310000), correct(320000))
    conflicts = [r for r in results if isinstance(r, ActualsRefused)]
    saved = [r for r in results if isinstance(r, tuple)]
    assert len(conflicts) == 1 and len(saved) == 1, results
    assert Actual.objects.get(pk=actual.pk).value == saved[0][0].value
    assert Actual.objects.get(pk=actual.pk).version == 2


def test_two_evaluation_saves_from_the_same_version_never_overwrite_silently(plan):
    evaluation = Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-3"), fiscal_year=2025
    )

    def save(text):
        return lambda: services.evaluation_save(
            evaluation=evaluation, user=_dx(), version=1, fields={"qualitative": text}
        )

    results = run_together(save("Aの内容"), save("Bの内容"))
    errors = [r for r in results if isinstance(r, services.WorkflowError)]
    assert [str(e) for e in errors] == [services.CONFLICT], results
    saved = next(r for r in results if isinstance(r, Evaluation))
    current = Evaluation.objects.get(pk=evaluation.pk)
    assert (current.qualitative, current.version) == (saved.qualitative, 2)
    assert current.history.count() == 2  # created, then the one save that won


def _dx():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="root", is_superuser=True)
    return user


# ---- an approval and a change of the figure it approves --------------------------------------


class Worker(threading.Thread):
    """One person's request in its own thread: its own database connection, closed at the end."""

    def __init__(self, name, job):
        super().__init__(name=name, daemon=True)
        self.job = job
        self.result = None

    def run(self):
        try:
            self.result = self.job()
        except Exception as exc:  # reported to the test, not swallowed
            self.result = exc
        finally:
            connection.close()


def after(module, name, thread, *, reached, release=None, observe=None):
    """``module.name`` wrapped so that, in ``thread`` only, once the real function has run (its
    locks taken, its checks done) it calls ``observe``, sets ``reached`` and waits for
    ``release``: the transaction stays open, uncommitted, until the test lets it go."""
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        if threading.current_thread().name == thread:
            if observe:
                observe()
            reached.set()
            if release is not None:
                assert release.wait(WAIT), f"{thread} was never released"
        return result

    return wrapper


def lock_waiters() -> int:
    """PostgreSQL: how many other sessions of this test database are waiting for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def assert_waits(got_its_lock: threading.Event):
    """The second transaction is blocked while the first, paused, holds its lock."""
    if connection.vendor == "postgresql":  # seen waiting on the row lock
        deadline = time.monotonic() + WAIT
        while lock_waiters() == 0:
            assert time.monotonic() < deadline, "the second transaction never waited on a lock"
            time.sleep(0.01)
    # Both: it has not got past its lock (SQLite: BEGIN IMMEDIATE waits for the first commit).
    assert not got_its_lock.wait(0.3), "took its lock while the first still held it"


def finish(*workers):
    for worker in workers:
        worker.join(WAIT * 2)
        assert not worker.is_alive(), f"{worker.name} is still running"
    return [worker.result for worker in workers]


def run_behind(first, second, *, checked, release, locked):
    """Start ``first``; once it has ``checked``, start ``second`` and see it wait on the lock
    (``locked`` not reached) until ``first`` is released; both results."""
    try:
        first.start()
        assert checked.wait(WAIT), f"{first.name} never checked"
        second.start()
        assert_waits(locked)
    finally:
        release.set()
    return finish(first, second)


def _save_k02(kpi, value, user, *, seen):
    return actual_save(
        kpi=kpi,
        fiscal_year=2025,
        parsed=ParsedValue(value=Decimal(value)),
        note="",
        user=user,
        seen=seen,
        reason="テスト",
    )


@pytest.fixture
def submitted(plan, dx_staff, head_a):
    """1-3's R7 evaluation, submitted by one head of 危機管理課; 1-3-K02 R7 = 10."""
    item = PriorityItem.objects.get(code="1-3")
    evaluation = services.evaluation_open(item=item, fiscal_year=2025, user=head_a)
    evaluation = services.evaluation_save(
        evaluation=evaluation,
        user=head_a,
        version=evaluation.version,
        fields={name: "記入済み" for name in services.EDITABLE_FIELDS},
        submit=True,
    )
    kpi = Kpi.objects.get(code="1-3-K02")
    actual, _ = _save_k02(kpi, 10, dx_staff, seen=None)
    return evaluation, kpi, actual


def test_an_approval_waits_for_an_actual_checked_before_it_and_then_covers_it(
    submitted, dx_staff, head_a2, monkeypatch
):
    """The interleaving that used to break: B validates 1-3-K02 R7 while the evaluation is only
    submitted and commits after A approved. Now A cannot approve until B has committed, and the
    approval then covers the new figure."""
    evaluation, kpi, actual = submitted
    b_checked, release_b, a_locked = threading.Event(), threading.Event(), threading.Event()
    a_saw = {}

    def a_looks():
        a_saw["b_released"] = release_b.is_set()
        a_saw["value"] = Actual.objects.get(pk=actual.pk).value

    monkeypatch.setattr(
        actual_services,
        "_version_conflict",
        after(actual_services, "_version_conflict", "B", reached=b_checked, release=release_b),
    )
    monkeypatch.setattr(
        services, "_locked", after(services, "_locked", "A", reached=a_locked, observe=a_looks)
    )
    b = Worker("B", lambda: _save_k02(kpi, 20, dx_staff, seen=actual.version))
    a = Worker(
        "A",
        lambda: services.evaluation_approve(
            evaluation=evaluation, user=head_a2, version=evaluation.version
        ),
    )
    try:
        b.start()
        assert b_checked.wait(WAIT), "B never got its locks"
        a.start()
        assert_waits(a_locked)
    finally:
        release_b.set()
    saved, approved = finish(b, a)

    assert isinstance(saved, tuple) and saved[0].value == 20, saved
    assert isinstance(approved, Evaluation), approved
    assert a_saw == {"b_released": True, "value": Decimal(20)}  # A locked only after B's commit
    evaluation.refresh_from_db()
    actual.refresh_from_db()
    assert (evaluation.status, evaluation.approved_by) == (Evaluation.Status.APPROVED, head_a2)
    assert (actual.value, actual.version) == (Decimal(20), 2)
    assert actual.updated_at <= evaluation.approved_at  # the figure was saved before approval
    with pytest.raises(ActualsRefused, match="承認済みのため、実績は変更できません"):
        _save_k02(kpi, 30, dx_staff, seen=actual.version)


def test_an_actual_saved_while_an_approval_is_under_way_waits_and_is_refused(
    submitted, dx_staff, head_a2, monkeypatch
):
    """The other order: A has locked the evaluation to approve it; B's save of a figure it
    covers waits for A's commit, then sees the approval and is refused. The figure stays."""
    evaluation, kpi, actual = submitted
    a_locked, release_a, b_locked = threading.Event(), threading.Event(), threading.Event()
    monkeypatch.setattr(
        services, "_locked", after(services, "_locked", "A", reached=a_locked, release=release_a)
    )
    monkeypatch.setattr(
        actual_services,
        "evaluations_over",
        after(actual_services, "evaluations_over", "B", reached=b_locked),
    )
    a = Worker(
        "A",
        lambda: services.evaluation_approve(
            evaluation=evaluation, user=head_a2, version=evaluation.version
        ),
    )
    b = Worker("B", lambda: _save_k02(kpi, 20, dx_staff, seen=actual.version))
    try:
        a.start()
        assert a_locked.wait(WAIT), "A never got its lock"
        b.start()
        assert_waits(b_locked)
    finally:
        release_a.set()
    approved, refused = finish(a, b)

    assert isinstance(approved, Evaluation), approved
    assert isinstance(refused, ActualsRefused), refused
    assert refused.errors == [
        "1-3-K02 の令和7年度（2025年度）: 1-3 の令和7年度の評価は承認済みのため、実績は変更できません。"
        "変更が必要な場合は、DX推進課に評価の再開を依頼してください。"
    ]
    actual.refresh_from_db()
    assert (actual.value, actual.version) == (Decimal(10), 1)
    assert Evaluation.objects.get(pk=evaluation.pk).status == Evaluation.Status.APPROVED


# ---- an Excel preview, then someone else's change, then the confirmation ----------------------


def csv_file(rows: str) -> SimpleUploadedFile:
    text = "kpi_code,fiscal_year,value,note\r\n" + rows
    return SimpleUploadedFile("actuals.csv", text.encode("utf-8"), content_type="text/csv")


@pytest.mark.parametrize("before", [None, 5], ids=["new", "existing"])
def test_a_figure_changed_between_preview_and_confirm_refuses_the_file(
    plan, dx_staff, head_a, before
):
    """Preview 1-3-K04 R9 = 11; someone saves 99 on the KPI page; confirming is refused with
    the row, and 99 stays (it used to be overwritten by 11 without a word)."""
    kpi = Kpi.objects.get(code="1-3-K04")
    if before is not None:
        actual_save(
            kpi=kpi,
            fiscal_year=2027,
            parsed=ParsedValue(value=Decimal(before)),
            note="",
            user=dx_staff,
            seen=None,
            reason="テスト",
        )
    importer, other = Client(), Client()
    importer.force_login(dx_staff)
    other.force_login(head_a)
    preview = importer.post(
        "/staff/actuals/import/preview/", {"file": csv_file("1-3-K04,R9,11,\r\n")}
    )
    assert preview.status_code == 200
    assert "取り込むと" in preview.content.decode()

    form = {"fiscal_year": "R9", "value": "99"}
    if before is not None:
        form["version"] = "1"
    saved = other.post("/staff/kpis/1-3-K04/", form)
    assert saved.status_code == 302, saved.content.decode()

    response = importer.post("/staff/actuals/import/confirm/")
    page = response.content.decode()
    assert response.status_code == 400
    assert "2行目（1-3-K04 の令和9年度（2027年度））" in page
    verb = "登録" if before is None else "修正"
    assert (
        "2行目（1-3-K04 の令和9年度（2027年度））: プレビューで確認したあとに、"
        f"別の人がこの実績を{verb}しました（現在の値「99」）。"
        "ファイルを確認して、もう一度取り込んでください。"
    ) in page
    actual = Actual.objects.get(kpi=kpi, fiscal_year=2027)
    assert actual.value == Decimal(99)
    assert actual.entered_by == head_a


def test_two_confirmations_of_one_preview_at_once_apply_it_once(
    plan, dx_staff, tmp_path, monkeypatch
):
    """A double click on 「取り込む」: both confirmations check before either saves; one saves,
    the other is refused with the row; the history has one entry."""
    path = tmp_path / "actuals.csv"
    path.write_text("kpi_code,fiscal_year,value,note\r\n1-3-K04,R9,11,\r\n", encoding="utf-8")
    preview = imports.import_actuals(path=path, user=dx_staff, dry_run=True)
    assert preview.seen == {"1-3-K04:2027": None}

    # Hold whichever confirmation checks first until the other has checked too (PostgreSQL:
    # both pass, no row to lock yet) or for a moment (SQLite, or a row lock: it cannot).
    arrived = [threading.Event(), threading.Event()]
    count = iter(range(2))
    original = actual_services._version_conflict

    def both_check(actual, change):
        index = next(count)
        arrived[index].set()
        arrived[1 - index].wait(0.5)
        return original(actual, change)

    def confirm():
        return imports.import_actuals(path=path, user=dx_staff, seen=preview.seen)

    monkeypatch.setattr(actual_services, "_version_conflict", both_check)
    results = run_together(confirm, confirm)

    applied = [r for r in results if isinstance(r, imports.ImportResult)]
    refused = [r for r in results if isinstance(r, ImportRefused)]
    assert len(applied) == 1 and len(refused) == 1, results
    # SQLite: the second saw the first's row; PostgreSQL: both checked, the second's insert lost.
    assert refused[0].errors in (
        [
            "2行目（1-3-K04 の令和9年度（2027年度））: プレビューで確認したあとに、"
            "別の人がこの実績を登録しました（現在の値「11」）。"
            "ファイルを確認して、もう一度取り込んでください。"
        ],
        [
            "2行目（1-3-K04 の令和9年度（2027年度））: いま別の人が同じ実績を登録しました。"
            "ファイルを確認して、もう一度取り込んでください。"
        ],
    )
    actual = Actual.objects.get(kpi__code="1-3-K04", fiscal_year=2027)
    assert (actual.value, actual.version) == (Decimal(11), 1)
    assert actual.history.count() == 1


# ---- a KPI (system) moved to an approved item while its figure is entered -------------------


def test_an_actual_entered_while_its_kpi_moves_to_an_approved_item_waits_and_is_refused(
    plan, dx_staff, monkeypatch
):
    """M moves 1-3-K02 to 2-2, whose R7 is approved (allowed: K02 has no R7 actual yet); E
    enters K02's R7 actual meanwhile. E read the KPI's items (1-3, a draft) before M committed,
    so the figure went in under 2-2's approval. Now E waits for the KPI row M holds, then sees
    the KPI on 2-2 and is refused."""
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="2-2"),
        fiscal_year=2025,
        status=Evaluation.Status.APPROVED,
    )
    kpi = Kpi.objects.get(code="1-3-K02")
    placement = KpiPlacement.objects.get(kpi=kpi)
    placement.initiative = Initiative.objects.get(item__code="2-2", number=1)
    m_checked, release_m, e_locked = threading.Event(), threading.Event(), threading.Event()
    monkeypatch.setattr(
        placements,
        "move_refusal",
        after(placements, "move_refusal", "M", reached=m_checked, release=release_m),
    )
    monkeypatch.setattr(
        actual_services,
        "evaluations_over",
        after(actual_services, "evaluations_over", "E", reached=e_locked),
    )
    m = Worker(
        "M",
        lambda: placements.kpi_placements_save(saved=[placement], user=dx_staff, reason="移動"),
    )
    e = Worker("E", lambda: _save_k02(kpi, 8, dx_staff, seen=None))
    moved, entered = run_behind(m, e, checked=m_checked, release=release_m, locked=e_locked)
    assert moved is None, moved
    assert isinstance(entered, ActualsRefused), entered
    assert "2-2 の令和7年度の評価は承認済みのため" in str(entered)
    assert not Actual.objects.filter(kpi=kpi, fiscal_year=2025).exists()


def test_a_cost_entered_while_its_system_joins_an_approved_item_waits_and_is_refused(
    plan, dx_staff, monkeypatch
):
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="2-1"),
        fiscal_year=2025,
        status=Evaluation.Status.APPROVED,
    )
    system = System.objects.get(name="静岡市災害時総合情報システム")
    joins = SystemPlacement(item=PriorityItem.objects.get(code="2-1"), system=system, order=9)
    m_checked, release_m, c_locked = threading.Event(), threading.Event(), threading.Event()
    monkeypatch.setattr(
        placements,
        "move_refusal",
        after(placements, "move_refusal", "M", reached=m_checked, release=release_m),
    )
    monkeypatch.setattr(
        cost_services, "_lock", after(cost_services, "_lock", "C", reached=c_locked)
    )
    m = Worker(
        "M", lambda: placements.system_placements_save(saved=[joins], user=dx_staff, reason="再掲")
    )
    c = Worker(
        "C",
        lambda: cost_services.cost_save(
            system=system,
            fiscal_year=2025,
            kind=CostRecord.Kind.OPERATING,
            thousand_yen=Decimal(1200),
            note="",
            user=dx_staff,
            reason="テスト",
        ),
    )
    moved, entered = run_behind(m, c, checked=m_checked, release=release_m, locked=c_locked)
    assert moved is None, moved
    assert isinstance(entered, cost_services.CostRefused), entered
    assert "2-1 の令和7年度の評価は承認済みのため" in str(entered)
    assert not CostRecord.objects.filter(system=system, fiscal_year=2025).exists()


def test_the_admin_pages_of_a_figure_open_outside_a_transaction(plan, dx_staff):
    """Opening a cost record or an actual in the admin asks the service whether it may be deleted,
    which locks rows: PostgreSQL refuses SELECT … FOR UPDATE outside a transaction, and a GET has
    none (a 500 found by the browser tests; test transactions hid it everywhere else)."""
    system = System.objects.get(name="静岡市災害時総合情報システム")
    record, _ = cost_services.cost_save(
        system=system,
        fiscal_year=2025,
        kind=CostRecord.Kind.OPERATING,
        thousand_yen=Decimal(1200),
        note="",
        user=dx_staff,
        reason="テスト",
    )
    actual, _ = _save_k02(Kpi.objects.get(code="1-3-K02"), 9, dx_staff, seen=None)
    client = Client()
    client.force_login(dx_staff)
    for url in [
        f"/admin/systems/costrecord/{record.pk}/change/",
        f"/admin/kpis/actual/{actual.pk}/change/",
    ]:
        assert client.get(url).status_code == 200, url
