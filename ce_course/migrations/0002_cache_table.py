"""The cache table (settings.CACHES): created by migrate, so every database that migrates has it."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    table = settings.CACHES["default"]["LOCATION"]
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    dependencies = [("ce_course", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
