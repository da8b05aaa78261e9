# Item numbers up to 999 (1-1 … 5-360): a plan of a hundred times the real one fits; every real code stays valid.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('priorities', '0004_department_history'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='priorityitem',
            name='item_code_format',
        ),
        migrations.AddConstraint(
            model_name='priorityitem',
            constraint=models.CheckConstraint(condition=models.Q(('code__regex', '^[1-9]-[1-9][0-9]{0,2}$')), name='item_code_format', violation_error_message='項目番号は「1-1」の形で入力してください。'),
        ),
    ]
