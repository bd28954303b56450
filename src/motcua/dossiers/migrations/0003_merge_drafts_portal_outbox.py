# Merge of the two parallel 0002 migrations (application drafts, national portal outbox).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0002_dossier_drafts'),
        ('dossiers', '0002_portal_outbox'),
    ]

    operations = []
