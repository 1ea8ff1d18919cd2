"""The database refuses an ineligible company as a joint provider, or as a planner's employer
without a recorded mitigation (ANCC Standards for Integrity and Independence).

The rule spans two tables (the flag is on the organization), which a CHECK constraint cannot
see, so it is held by triggers on PostgreSQL and SQLite: on writes to the joint provider and the
planner, and on an organization becoming ineligible while it is already used that way.
"""

from django.db import migrations

JOINT = "An ineligible company cannot be a joint provider."
EMPLOYER = "A planner employed by an ineligible company needs a recorded mitigation."

PLANNER_BAD = (
    "NEW.employer_id IS NOT NULL AND trim(NEW.employer_mitigation) = '' AND "
    "(SELECT is_ineligible_company FROM modules_organization WHERE id = NEW.employer_id)"
)
JOINT_BAD = "(SELECT is_ineligible_company FROM modules_organization WHERE id = NEW.organization_id)"
ORG_BAD_JOINT = "NEW.is_ineligible_company AND EXISTS (SELECT 1 FROM modules_jointprovider WHERE organization_id = NEW.id)"
ORG_BAD_EMPLOYER = (
    "NEW.is_ineligible_company AND EXISTS (SELECT 1 FROM modules_planner "
    "WHERE employer_id = NEW.id AND trim(employer_mitigation) = '')"
)
# (table, name, condition, message)
RULES = [
    ("modules_jointprovider", "jointprovider_eligible", JOINT_BAD, JOINT),
    ("modules_planner", "planner_employer_eligible", PLANNER_BAD, EMPLOYER),
    ("modules_organization", "organization_joint_eligible", ORG_BAD_JOINT, JOINT),
    ("modules_organization", "organization_employer_eligible", ORG_BAD_EMPLOYER, EMPLOYER),
]


def sqlite_create(table, name, condition, message):
    return [
        f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} FOR EACH ROW WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        for event in ("INSERT", "UPDATE")
    ]


def postgresql_create(table, name, condition, message):
    # OR REPLACE: a function outlives a dropped table (tools that rebuild the schema drop tables only).
    return [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF {condition} THEN "
        f"RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$",
        f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    create = {"sqlite": sqlite_create, "postgresql": postgresql_create}.get(vendor)
    if create is None:
        return  # another database: the forms and model validation still hold the rule
    for rule in RULES:
        for statement in create(*rule):
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, name, _condition, _message in RULES:
        if vendor == "sqlite":
            for event in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [
        ("modules", "0005_provider_required"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
