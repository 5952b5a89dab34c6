"""The default subdistrict structure of the seed: 6 offices, 3 centres, 1 station (configurable)."""

from django.db import migrations

DEFAULTS = [
    ("党政综合办公室", "office"),
    ("党建工作办公室", "office"),
    ("城市管理办公室", "office"),
    ("社会事务办公室", "office"),
    ("平安建设办公室", "office"),
    ("经济发展办公室", "office"),
    ("党群服务中心", "centre"),
    ("综合行政执法中心", "centre"),
    ("政务服务中心", "centre"),
    ("退役军人服务站", "station"),
]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    OfficeTemplate = apps.get_model("regions", "OfficeTemplate")
    for order, (name, kind) in enumerate(DEFAULTS, start=1):
        OfficeTemplate.objects.get_or_create(name=name, defaults={"kind": kind, "order": order})


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("regions", "OfficeTemplate").objects.filter(name__in=[n for n, _ in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
