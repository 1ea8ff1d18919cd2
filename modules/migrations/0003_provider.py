"""Provider, organizations, joint providers and commercial support (schema; data in 0004)."""

import django.db.models.deletion
import modules.models
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('modules', '0002_image'),
    ]

    operations = [
        migrations.CreateModel(
            name='Organization',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, unique=True)),
                ('is_ineligible_company', models.BooleanField(default=False, help_text="Its primary business is producing, marketing, selling, re-selling or distributing healthcare products used by or on patients (ANCC's definition).", verbose_name='ineligible company (commercial interest)')),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.AddField(
            model_name='course',
            name='commercial_support_note',
            field=models.TextField(blank=True, default='', editable=False, verbose_name='commercial support (old free text)'),
        ),
        migrations.AddField(
            model_name='course',
            name='last_review_date',
            field=models.DateField(blank=True, help_text='When the content was last reviewed for currency and accuracy.', null=True),
        ),
        migrations.AddField(
            model_name='course',
            name='previous_version',
            field=models.ForeignKey(blank=True, editable=False, help_text='The course this one was duplicated from, for re-approval.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='modules.course'),
        ),
        migrations.AddField(
            model_name='planner',
            name='employer_mitigation',
            field=models.TextField(blank=True, help_text='Required when the employer is an ineligible company: how its influence was kept out.', verbose_name='mitigation (ineligible employer)'),
        ),
        migrations.CreateModel(
            name='JointProvider',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(help_text='What the organization does, e.g. co-plans content.', max_length=200)),
                ('agreement_date', models.DateField(help_text='Date of the written joint-providership agreement.')),
                ('statement', models.TextField(help_text='Printed in the disclosures and on the certificate.', verbose_name='joint-providership statement')),
                ('course', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='joint_providers', to='modules.course')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='joint_providerships', to='modules.organization')),
            ],
            options={
                'ordering': ['organization__name'],
            },
        ),
        migrations.CreateModel(
            name='CommercialSupport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name='monetary amount (USD)')),
                ('in_kind_description', models.TextField(blank=True, help_text='What was given in kind, if anything.')),
                ('agreement_date', models.DateField(help_text='Date the written agreement was signed.')),
                ('signatories', models.TextField(help_text='Who signed the agreement, for the provider and the supporter.')),
                ('course', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='support_records', to='modules.course')),
                ('supporter', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='support_given', to='modules.organization')),
            ],
            options={
                'verbose_name_plural': 'commercial support',
                'ordering': ['supporter__name', 'id'],
            },
        ),
        migrations.AddField(
            model_name='planner',
            name='employer',
            field=models.ForeignKey(blank=True, help_text='Leave empty for a self-employed planner.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='employees', to='modules.organization'),
        ),
        migrations.CreateModel(
            name='Provider',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('legal_name', models.CharField(max_length=200, unique=True)),
                ('address', models.CharField(blank=True, max_length=300)),
                ('web_address', models.URLField(blank=True)),
                ('accreditation_kind', models.CharField(choices=[('accredited_provider', 'Accredited provider (ANCC Commission on Accreditation)'), ('approved_provider_unit', 'Approved provider unit (approved by an ANCC-accredited approver)')], default='accredited_provider', max_length=30)),
                ('accreditation_body', models.CharField(default="American Nurses Credentialing Center's Commission on Accreditation", help_text='Who accredits or approves the provider (for an approved provider unit: the approver).', max_length=200)),
                ('approval_number', models.CharField(blank=True, max_length=60, verbose_name='approval or provider number')),
                ('accreditation_statement', models.TextField(help_text="Printed word for word. Leave empty to start from ANCC's statement for the kind above.")),
                ('ce_broker_provider_number', models.CharField(blank=True, max_length=40, verbose_name='CE Broker provider number')),
                ('logo', models.FileField(blank=True, editable=False, max_length=255, upload_to=modules.models._provider_file_name)),
                ('nurse_planner_signature', models.FileField(blank=True, editable=False, max_length=255, upload_to=modules.models._provider_file_name)),
                ('is_example', models.BooleanField(default=False, help_text='Example details shipped with the software: replace them before offering credit.')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['legal_name'],
                'constraints': [models.CheckConstraint(condition=models.Q(('accreditation_statement', ''), _negated=True), name='provider_statement_given'), models.CheckConstraint(condition=models.Q(('accreditation_kind__in', ['accredited_provider', 'approved_provider_unit'])), name='provider_kind_known')],
            },
        ),
        migrations.AddField(
            model_name='course',
            name='provider',
            field=models.ForeignKey(help_text='The accredited organization; pages and certificates print its details.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='courses', to='modules.provider'),
        ),
        migrations.AddConstraint(
            model_name='course',
            constraint=models.CheckConstraint(condition=models.Q(('last_review_date__isnull', True), ('last_review_date__gte', models.F('release_date')), _connector='OR'), name='course_review_after_release'),
        ),
        migrations.AddConstraint(
            model_name='jointprovider',
            constraint=models.UniqueConstraint(fields=('course', 'organization'), name='joint_provider_once_per_course'),
        ),
        migrations.AddConstraint(
            model_name='jointprovider',
            constraint=models.CheckConstraint(condition=models.Q(('statement', ''), _negated=True), name='joint_provider_statement_given'),
        ),
        migrations.AddConstraint(
            model_name='jointprovider',
            constraint=models.CheckConstraint(condition=models.Q(('role', ''), _negated=True), name='joint_provider_role_given'),
        ),
        migrations.AddConstraint(
            model_name='commercialsupport',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount__gt', Decimal('0')), ('amount__isnull', False)), models.Q(('in_kind_description', ''), _negated=True), _connector='OR'), name='support_amount_or_in_kind'),
        ),
        migrations.AddConstraint(
            model_name='commercialsupport',
            constraint=models.CheckConstraint(condition=models.Q(('amount__isnull', True), ('amount__gt', Decimal('0')), _connector='OR'), name='support_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='commercialsupport',
            constraint=models.CheckConstraint(condition=models.Q(('signatories', ''), _negated=True), name='support_signatories_given'),
        ),
    ]
