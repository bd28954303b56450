from django.db import migrations

# On PostgreSQL, trigram indexes serve the "contains" searches of the officials' queue (code, title, submitter) and
# of the published answers (published title, question and answer), with or without diacritics (the keys are
# folded by agencies.search.search_fold). SQLite keeps scanning (it has no trigram index); the embedded run is small.
SEARCH_INDEX_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS feedback_search_key_trgm ON feedback_feedback USING gin (search_key gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS feedback_public_search_key_trgm ON feedback_feedback "
    "USING gin (public_search_key gin_trgm_ops) WHERE status = 'published'",
]
SEARCH_INDEX_DROP = [
    "DROP INDEX IF EXISTS feedback_search_key_trgm",
    "DROP INDEX IF EXISTS feedback_public_search_key_trgm",
]


def _postgresql_only(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("feedback", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_postgresql_only(SEARCH_INDEX_CREATE), _postgresql_only(SEARCH_INDEX_DROP)),
    ]
