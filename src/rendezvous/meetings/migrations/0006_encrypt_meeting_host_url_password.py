"""Encrypt Meeting.host_url and Meeting.password at rest, as the account secret is.

The same three steps as 0005: the columns first become plain text (a Fernet token
outgrows 200 characters), the rows are rewritten through core.crypto while the
historical fields still read the raw values, and only then do the fields become
EncryptedTextFields. Going back decrypts in the same three steps, in reverse.
"""

from django.db import migrations, models

import rendezvous.core.crypto

FIELDS = ("host_url", "password")


def _rewrite(apps, convert):
    Meeting = apps.get_model("meetings", "Meeting")
    rows = Meeting.objects.exclude(host_url="", password="").values_list("pk", *FIELDS)
    for pk, *values in rows.iterator():
        Meeting.objects.filter(pk=pk).update(**{f: convert(v) for f, v in zip(FIELDS, values)})


def encrypt_fields(apps, schema_editor):
    from rendezvous.core.crypto import encrypt

    _rewrite(apps, encrypt)


def decrypt_fields(apps, schema_editor):
    from rendezvous.core.crypto import decrypt

    _rewrite(apps, decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0005_encrypt_account_secret"),
    ]

    operations = [
        migrations.AlterField(
            model_name="meeting",
            name="host_url",
            field=models.TextField(blank=True, verbose_name="host URL"),
        ),
        migrations.AlterField(
            model_name="meeting",
            name="password",
            field=models.TextField(blank=True, verbose_name="password"),
        ),
        migrations.RunPython(encrypt_fields, decrypt_fields),
        migrations.AlterField(
            model_name="meeting",
            name="host_url",
            field=rendezvous.core.crypto.EncryptedTextField(
                blank=True, verbose_name="host URL"
            ),
        ),
        migrations.AlterField(
            model_name="meeting",
            name="password",
            field=rendezvous.core.crypto.EncryptedTextField(
                blank=True, verbose_name="password"
            ),
        ),
    ]
