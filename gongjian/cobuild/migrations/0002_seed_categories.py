"""Seed the category taxonomy (admins add more and deactivate; never deleted)."""

from django.db import migrations

CATEGORIES = (
    "助老", "助残", "青少年", "医疗健康", "法律服务", "就业创业", "文体活动", "环境卫生",
    "设施改造", "场地", "资金", "物资", "技术支持", "安全", "心理关爱", "其他",
)


def seed(apps, schema_editor):
    Category = apps.get_model("cobuild", "Category")
    for i, name in enumerate(CATEGORIES):
        Category.objects.get_or_create(name=name, defaults={"sort_order": (i + 1) * 10, "applies_to": "both", "is_active": True})


def unseed(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("cobuild", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
