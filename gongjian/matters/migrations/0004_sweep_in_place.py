"""The overdue sweep updates rows in place (issue #5's 5-second target on 1,000,000 matters).

``is_overdue`` leaves every index (the composite ``(is_overdue, status)`` is dropped: the overdue lists
start from the owner's or the path's index and filter the open rows), and on PostgreSQL the matter and
assignment tables keep 15% of each page free (``fillfactor = 85``), so flagging a row is a HOT update: a new
row version on the same page and no new entry in any of the matter table's indexes.

The fillfactor applies to pages written from now on; a database that already holds many matters gets it
for its existing pages with ``VACUUM FULL matters_matter, matters_assignment`` (or ``pg_repack``) in a
maintenance window — see docs/performance.md.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLES = ("matters_matter", "matters_assignment")


def set_fillfactor(apps, schema_editor):  # noqa: ANN001, ARG001 - migration signature
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 85)")


def reset_fillfactor(apps, schema_editor):  # noqa: ANN001, ARG001
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ("matters", "0003_reports_indexes"),
        ("regions", "0003_region_kind_other"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="matter", name="matters_overdue_status"),
        migrations.RunPython(set_fillfactor, reset_fillfactor),
        migrations.AlterField(
            model_name='matterevent',
            name='actor',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor'),
        ),
        migrations.AlterField(
            model_name='matterevent',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='matterevent',
            name='department',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.department', verbose_name='department'),
        ),
        migrations.AlterField(
            model_name='matterevent',
            name='matter',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='matters.matter', verbose_name='matter'),
        ),
        migrations.AlterField(
            model_name='matterevent',
            name='region',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.region', verbose_name='level'),
        ),
    ]
