"""The database itself refuses UPDATE and DELETE on audit events (PostgreSQL and SQLite)."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            """
            CREATE OR REPLACE FUNCTION core_audit_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit events are append-only'; END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER core_audit_no_update BEFORE UPDATE OR DELETE ON core_auditevent
              FOR EACH ROW EXECUTE FUNCTION core_audit_append_only();
            """
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER core_audit_no_update BEFORE UPDATE ON core_auditevent BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
        )
        schema_editor.execute(
            "CREATE TRIGGER core_audit_no_delete BEFORE DELETE ON core_auditevent BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
        )


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_audit_no_update ON core_auditevent; DROP FUNCTION IF EXISTS core_audit_append_only();")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_audit_no_update;")
        schema_editor.execute("DROP TRIGGER IF EXISTS core_audit_no_delete;")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
