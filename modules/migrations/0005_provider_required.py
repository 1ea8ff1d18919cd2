"""Every course now has its provider (0004 gave each one): the copies on the course go."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("modules", "0004_provider_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="course",
            name="provider",
            field=models.ForeignKey(
                help_text="The accredited organization; pages and certificates print its details.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="courses",
                to="modules.provider",
            ),
        ),
        migrations.RemoveField(model_name="course", name="accreditation_statement"),
        migrations.RemoveField(model_name="course", name="commercial_support"),
        migrations.RemoveField(model_name="course", name="provider_address"),
        migrations.RemoveField(model_name="course", name="provider_approval_number"),
        migrations.RemoveField(model_name="course", name="provider_name"),
        migrations.RemoveField(model_name="course", name="provider_web_address"),
    ]
