"""Forms of the yearly cycle's staff pages; they read what people type, the services decide."""

import unicodedata
from pathlib import Path

from django import forms

from kpis.models import SPEC_FIELDS, Kpi
from pdca.models import Evaluation, StepStatus, SupportCase
from pdca.selectors import check_cycle_year
from pdca.services.evaluations import EDITABLE_FIELDS
from priorities import permissions
from priorities.models import Department
from shizuoka_dx.fiscal import FiscalYearError, parse_fiscal_year
from shizuoka_dx.tabular import MAX_FILE_BYTES
from systems.models import SystemYear


class EvaluationForm(forms.ModelForm):
    """The evaluation's texts, and this year's status of each roadmap step of the item."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Evaluation
        fields = list(EDITABLE_FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 5}) for name in EDITABLE_FIELDS}

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.steps = list(steps)  # (RoadmapEntry, label) of the item, in printed order
        current = self.instance.roadmap_statuses or {}
        for entry, label in self.steps:
            saved = current.get(str(entry.pk), {})
            self.fields[f"step_{entry.pk}_status"] = forms.ChoiceField(
                label=f"{label} の進捗",
                choices=[("", "未記入"), *StepStatus.choices],
                required=False,
                initial=saved.get("status", ""),
            )
            self.fields[f"step_{entry.pk}_note"] = forms.CharField(
                label=f"{label} の補足",
                required=False,
                max_length=1000,
                initial=saved.get("note", ""),
            )

    def step_fields(self):
        return [
            (self[f"step_{entry.pk}_status"], self[f"step_{entry.pk}_note"])
            for entry, _label in self.steps
        ]

    def text_fields(self):
        return [self[name] for name in EDITABLE_FIELDS]

    def roadmap_statuses(self) -> dict:
        return {
            str(entry.pk): {
                "status": self.cleaned_data.get(f"step_{entry.pk}_status") or "",
                "note": self.cleaned_data.get(f"step_{entry.pk}_note") or "",
            }
            for entry, _label in self.steps
        }


class CommentForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label="理由", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class PublishForm(forms.Form):
    fiscal_year = forms.CharField(label="公表する年度", help_text="例: 2025、R7、令和7年度")
    force_reason = forms.CharField(
        label="未承認の項目があるまま公表する理由",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="すべての項目が承認済みなら空欄のままにしてください。記入した理由は公開ページに表示されます。",
    )
    # Set by the confirmation page: the first press shows what will be published.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    correction_reason = forms.CharField(
        label="訂正の理由（公表済みの年度を公表し直すとき）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="何をなぜ直したか。公開の「訂正の一覧」に、変わった値とともに載ります。",
    )

    def clean_fiscal_year(self):
        try:
            return check_cycle_year(parse_fiscal_year(self.cleaned_data["fiscal_year"]))
        except FiscalYearError as exc:
            raise forms.ValidationError(str(exc)) from None


class FormsWorkbookForm(forms.Form):
    fiscal_year = forms.CharField(
        label="年度", required=False, help_text="空欄なら実績のある最新の年度。例: R7"
    )
    scope = forms.ChoiceField(label="範囲", required=False)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        pillars = sorted({item.pillar for item in items}, key=lambda p: p.number)
        self.fields["scope"].choices = [
            ("", "担当するすべての重点項目"),
            *[(f"pillar-{p.number}", f"柱{p.number} {p.title}") for p in pillars],
            *[(f"item-{item.code}", f"{item.code} {item.title}") for item in items],
        ]

    def clean_fiscal_year(self):
        text = self.cleaned_data["fiscal_year"]
        if not text:
            return None
        try:
            return parse_fiscal_year(text)
        except FiscalYearError as exc:
            raise forms.ValidationError(str(exc)) from None


def departments_for(user):
    """The departments a user may make templates for: all for DX staff, their own for heads."""
    if permissions.is_dx_staff(user):
        return Department.objects.order_by("name")
    if permissions.is_department_head(user):
        return Department.objects.filter(pk__in=permissions.department_ids(user)).order_by("name")
    return Department.objects.none()


class TemplateForm(forms.Form):
    fiscal_year = forms.CharField(label="年度", help_text="例: 2025、R7、令和7年度")
    department = forms.ModelChoiceField(
        label="所管課", queryset=Department.objects.none(), required=False, empty_label="すべての課"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments_for(user)
        if not permissions.is_dx_staff(user):
            self.fields["department"].required = True
            self.fields["department"].empty_label = None

    def clean_fiscal_year(self):
        try:
            return check_cycle_year(parse_fiscal_year(self.cleaned_data["fiscal_year"]))
        except FiscalYearError as exc:
            raise forms.ValidationError(str(exc)) from None


class UploadForm(forms.Form):
    file = forms.FileField(
        label="実績を入力したファイル",
        help_text="Excel（.xlsx）または CSV（.csv）、5MBまで。",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("ファイルが大きすぎます。5MB以下にしてください。")
        if Path(upload.name).suffix.lower() not in {".xlsx", ".csv"}:
            raise forms.ValidationError("読み込めるのは .xlsx と .csv のファイルです。")
        return upload


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


DATE_HELP = "例: 2026-05-31（2026/5/31 とも書けます）"
DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]


class TypedDateField(forms.DateField):
    """A date as people type it with a Japanese input method: 「２０２６／５／３１」 reads like
    「2026/5/31」 (full-width digits and slashes, as the --today option of the commands reads them)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip()
        return super().to_python(value)


def date_field(label: str, *, required: bool = True, help_text: str = DATE_HELP):
    return TypedDateField(
        label=label,
        required=required,
        widget=DateInput(),
        input_formats=DATE_FORMATS,
        help_text=help_text,
        error_messages={"invalid": "日付として読めません。2026-05-31 の形で入力してください。"},
    )


class RoundOpenForm(forms.Form):
    fiscal_year = forms.CharField(
        label="照会する年度", help_text="実績と評価を集める年度です（例: R7、令和7年度、2025）。"
    )
    actuals_due = date_field("実績の入力期限")
    evaluations_due = date_field(
        "評価の期限（承認まで）",
        help_text="評価を書いて提出し、ほかの課長が承認するまでの期限です。" + DATE_HELP,
    )

    def clean_fiscal_year(self):
        try:
            return check_cycle_year(parse_fiscal_year(self.cleaned_data["fiscal_year"]))
        except FiscalYearError as exc:
            raise forms.ValidationError(str(exc)) from None


class SystemYearForm(forms.Form):
    """One year's Form ② of a system: operating status and that year's texts."""

    fiscal_year = forms.CharField(label="年度", max_length=20, help_text="例: 2025、R7、令和7年度")
    status = forms.ChoiceField(label="稼働状況", choices=SystemYear.Status.choices)
    effects = forms.CharField(
        label="効果", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    issues = forms.CharField(label="課題", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    actions = forms.CharField(
        label="利益最大化のために何をすべきか",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_fiscal_year(self):
        try:
            return check_cycle_year(parse_fiscal_year(self.cleaned_data["fiscal_year"]))
        except FiscalYearError as exc:
            raise forms.ValidationError(str(exc)) from None


class RoundExtendForm(forms.Form):
    actuals_due = date_field("実績の入力期限")
    evaluations_due = date_field("評価の期限（承認まで）")
    reason = forms.CharField(
        label="変更の理由",
        max_length=200,
        help_text="履歴に残ります（例: 決算の確定が遅れるため）。",
    )


class DepartmentDatesForm(forms.Form):
    department = forms.ModelChoiceField(
        label="所管課", queryset=Department.objects.order_by("name"), empty_label="選んでください"
    )
    actuals_due = date_field(
        "この課の実績の入力期限",
        required=False,
        help_text="空欄なら全体の期限のままです。両方とも空欄にすると、この課の独自の期限を取り消します。",
    )
    evaluations_due = date_field(
        "この課の評価の期限", required=False, help_text="空欄なら全体の期限のままです。"
    )
    reason = forms.CharField(label="理由", max_length=200, help_text="履歴に残ります。")


def _departments_field():
    return forms.ModelMultipleChoiceField(
        label="所管課",
        queryset=Department.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="この課が所管する重点項目を見て、実績の入力・評価の記入と承認ができます。",
    )


class InviteForm(forms.Form):
    username = forms.RegexField(
        label="ユーザー名",
        regex=r"^[A-Za-z0-9_.@+-]{3,150}$",
        help_text="ログインに使う半角英数字（例: kasen-kacho）。",
        error_messages={
            "invalid": "ユーザー名は3文字以上の半角英数字（- _ . @ + も可）で入力してください。"
        },
    )
    full_name = forms.CharField(label="名前", max_length=150, help_text="例: 河川課長 静岡 太郎")
    email = forms.EmailField(
        label="メールアドレス",
        help_text="パスワードを設定するリンクと、期限のお知らせが届きます。",
        error_messages={
            "invalid": "メールアドレスの形（例: name@city.example.jp）で入力してください。"
        },
    )
    departments = _departments_field()


class AccountForm(forms.Form):
    full_name = forms.CharField(label="名前", max_length=150)
    email = forms.EmailField(
        label="メールアドレス",
        required=False,
        help_text="空欄にすると、お知らせのメールが届かない人として状況の画面に表示されます。",
        error_messages={
            "invalid": "メールアドレスの形（例: name@city.example.jp）で入力してください。"
        },
    )
    role = forms.ChoiceField(label="役割", choices=[])
    departments = _departments_field()
    is_active = forms.BooleanField(
        label="利用できる",
        required=False,
        help_text="異動・退職した人はチェックを外してください（ログインできなくなります。記録は残ります）。",
    )
    reason = forms.CharField(
        label="変更の理由", max_length=200, help_text="履歴に残ります（例: 4月の人事異動）。"
    )
    # The account's latest change when the page was opened (pdca/services/accounts.py refuses a
    # save from an older page: it would put back what someone changed in between).
    seen = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from pdca.services.accounts import ROLES

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = list(ROLES.items())


class RevisionForm(forms.Form):
    """A new revision of the plan: what, why, and from which year it applies."""

    title = forms.CharField(label="改訂の件名", max_length=200, help_text="例: 3-1のKPIを定める")
    reason = forms.CharField(
        label="改訂の理由",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="公開する改訂履歴に載ります。",
    )
    effective_fiscal_year = forms.CharField(
        label="適用する最初の年度",
        max_length=20,
        help_text="例: R8、令和8年度。この年度から新しい版で評価し、それより前の年度は前の版のままです。",
    )

    def clean_effective_fiscal_year(self):
        try:
            return check_cycle_year(parse_fiscal_year(self.cleaned_data["effective_fiscal_year"]))
        except FiscalYearError as exc:
            raise forms.ValidationError(str(exc)) from None


class KpiDefinitionForm(forms.ModelForm):
    """How a KPI is measured, as a revision proposes it (never saved here: the service keeps it
    as changes of the revision, applied when the revision is published)."""

    class Meta:
        model = Kpi
        fields = [*SPEC_FIELDS, "lineage", "successor"]
        widgets = {
            "name": forms.Textarea(attrs={"rows": 2}),
            "baseline_text": forms.TextInput(),
            "target_text": forms.TextInput(),
        }


class TextChangeForm(forms.Form):
    """A new wording for one text of the plan (a bullet, an initiative, a roadmap entry…)."""

    target = forms.ChoiceField(label="変更する記載")
    text = forms.CharField(label="新しい記載", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = choices


class SupportCaseForm(forms.ModelForm):
    """A PMO support case (the register of plan §5)."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = SupportCase
        fields = ["title", "department", "category", "mode", "started_on", "ended_on", "stage",
                  "item", "note"]  # fmt: skip
        widgets = {
            "started_on": forms.DateInput(attrs={"type": "date"}),
            "ended_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"started_on": "例: 2025-04-01", "ended_on": "続いているときは空欄"}
