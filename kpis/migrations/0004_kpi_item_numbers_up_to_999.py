# Item numbers up to 999 (1-1 … 5-360): a plan of a hundred times the real one fits; every real code stays valid.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('kpis', '0003_milestone_label'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='kpi',
            name='kpi_code_format',
        ),
        migrations.AddConstraint(
            model_name='kpi',
            constraint=models.CheckConstraint(condition=models.Q(('code__regex', '^[1-9]-[1-9][0-9]{0,2}-K[0-9]{2}$')), name='kpi_code_format', violation_error_message='KPIコードは「1-3-K02」の形で入力してください。'),
        ),
    ]
