from django.db import models
from django.db.models import F, Q

from credentials.status_bits import MINIMUM_ENTRIES


class StatusList(models.Model):
    """One published Bitstring Status List (revocation) and how far its indexes are handed out.

    A credential's bit is 1 when its `revoked_at` is set: the published list is built from the
    credentials' rows, so the bit and the revocation can never disagree. `updated_at` moves with
    every revocation (it is the list's `validFrom` and Last-Modified).
    """

    purpose = models.CharField(max_length=20, default="revocation", editable=False)
    size = models.PositiveIntegerField(default=MINIMUM_ENTRIES)
    # Index of the n-th credential: (n * stride + offset) % size (status_bits.index_at).
    allocated = models.PositiveIntegerField(default=0)
    stride = models.PositiveIntegerField()
    offset = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=MINIMUM_ENTRIES), name="statuslist_minimum_size"),
            models.CheckConstraint(condition=Q(allocated__lte=F("size")), name="statuslist_not_overfull"),
            models.CheckConstraint(condition=Q(offset__lt=F("size")), name="statuslist_offset_in_list"),
            models.CheckConstraint(condition=Q(purpose="revocation"), name="statuslist_purpose_revocation"),
        ]

    def __str__(self):
        return f"Status list {self.pk} ({self.allocated} of {self.size})"


class Credential(models.Model):
    """The Open Badges 3.0 credential of one certificate, as issued: its JSON and its signed VC-JWT.

    Both are stored, never rebuilt: `document` is the credential's JSON text byte for byte as
    downloaded, `jws` the compact JWS whose payload is that credential with its JWT claims.
    """

    certificate = models.OneToOneField(
        "certificates.Certificate", on_delete=models.PROTECT, related_name="credential"
    )
    credential_id = models.UUIDField(unique=True, editable=False)
    status_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="credentials")
    status_index = models.PositiveIntegerField()
    document = models.TextField(editable=False)
    jws = models.TextField(editable=False)
    key_id = models.CharField(max_length=100, editable=False, help_text="The signing key's kid.")
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            # Two credentials sharing a bit would be revoked together.
            models.UniqueConstraint(
                fields=["status_list", "status_index"], name="credential_unique_status_bit"
            ),
            models.CheckConstraint(condition=~Q(document="") & ~Q(jws=""), name="credential_signed"),
        ]
        indexes = [
            # The published list reads the revoked bits of one list.
            models.Index(
                fields=["status_list", "status_index"],
                condition=Q(revoked_at__isnull=False),
                name="credential_revoked_bits",
            ),
        ]

    def __str__(self):
        return f"urn:uuid:{self.credential_id}"

    @property
    def is_revoked(self):
        return self.revoked_at is not None
