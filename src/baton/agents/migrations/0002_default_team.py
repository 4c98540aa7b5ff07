from django.db import migrations


def create_default_team(apps, schema_editor):
    Team = apps.get_model("agents", "Team")
    if not Team.objects.filter(is_default=True).exists():
        Team.objects.create(name="Support", is_default=True)


class Migration(migrations.Migration):
    dependencies = [("agents", "0001_initial")]
    operations = [migrations.RunPython(create_default_team, migrations.RunPython.noop)]
