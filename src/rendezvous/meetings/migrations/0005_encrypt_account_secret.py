"""Encrypt MeetingAccount.secret at rest, as the OAuth tokens already are.

The column first becomes plain text (a Fernet token outgrows the old 500 characters),
the rows are rewritten through core.crypto while the historical field still reads
the raw value, and only then does the field become an EncryptedTextField. Going back
decrypts in the same three steps, in reverse.
"""

from django.db import migrations, models

import rendezvous.core.crypto


def encrypt_secrets(apps, schema_editor):
    from rendezvous.core.crypto import encrypt

    Account = apps.get_model("meetings", "MeetingAccount")
    for pk, secret in Account.objects.exclude(secret="").values_list("pk", "secret"):
        Account.objects.filter(pk=pk).update(secret=encrypt(secret))


def decrypt_secrets(apps, schema_editor):
    from rendezvous.core.crypto import decrypt

    Account = apps.get_model("meetings", "MeetingAccount")
    for pk, secret in Account.objects.exclude(secret="").values_list("pk", "secret"):
        Account.objects.filter(pk=pk).update(secret=decrypt(secret))


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0004_plural_names"),
    ]

    operations = [
        migrations.AlterField(
            model_name="meetingaccount",
            name="secret",
            field=models.TextField(blank=True, verbose_name="secret"),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
        migrations.AlterField(
            model_name="meetingaccount",
            name="secret",
            field=rendezvous.core.crypto.EncryptedTextField(blank=True, verbose_name="secret"),
        ),
    ]
