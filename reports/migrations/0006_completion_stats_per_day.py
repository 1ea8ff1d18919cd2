import django.db.models.deletion
from django.db import migrations, models

BINS = ("bin_0", "bin_50", "bin_60", "bin_70", "bin_80", "bin_90", "bin_100")


class Migration(migrations.Migration):
    """Running totals per completion day (a date range reads rows, not certificates) and per license
    state and profession (not per set of them): the board's slow queries at a million."""

    dependencies = [
        ("modules", "0001_initial"),
        ("reports", "0005_completion_stats"),
    ]

    operations = [
        migrations.DeleteModel(name="CompletionStats"),
        migrations.DeleteModel(name="UnreportedLines"),
        migrations.CreateModel(
            name="CompletionStats",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("is_live", models.BooleanField()),
                ("state", models.CharField(blank=True, max_length=2)),
                ("profession", models.CharField(blank=True, max_length=4)),
                ("completed", models.IntegerField(default=0)),
                ("hours", models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ("scored", models.IntegerField(default=0)),
                ("percent_total", models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ("seconds_total", models.BigIntegerField(default=0)),
                *((name, models.IntegerField(default=0)) for name in BINS),
                (
                    "course",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="modules.course"
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "completion stats",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("state", "profession", "is_live", "day", "course"), name="completionstats_key"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("completed__gte", 0)), name="completionstats_not_negative"
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="UnreportedLines",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("state", models.CharField(blank=True, max_length=2)),
                ("profession", models.CharField(blank=True, max_length=4)),
                ("lines", models.IntegerField(default=0)),
                (
                    "course",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="modules.course"
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "unreported lines",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("state", "profession", "day", "course"), name="unreportedlines_key"
                    ),
                    models.CheckConstraint(condition=models.Q(("lines__gte", 0)), name="unreportedlines_not_negative"),
                ],
            },
        ),
    ]
