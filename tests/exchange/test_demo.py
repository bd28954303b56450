"""`motcua demo` loads official documents between demo agencies, once."""

import pytest
from django.core.management import call_command

from motcua.exchange.models import IncomingDocument, OutgoingDocument, Recipient


@pytest.mark.django_db
def test_demo_documents_are_sent_delivered_and_registered(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PKI_DIR = tmp_path / "pki"
    settings.EXCHANGE_NODE_KEY_FILE = tmp_path / "exchange" / "node-key.pem"
    settings.EXCHANGE_NODE_CERTIFICATE_FILE = tmp_path / "exchange" / "node-certificate.pem"
    call_command("demo", "--once")
    report = OutgoingDocument.objects.get(status="sent")
    assert report.number_and_notation == "1/BC-STP"
    assert set(Recipient.objects.filter(document=report).values_list("status_code", flat=True)) == {"01", "03"}
    assert IncomingDocument.objects.get(organisation__code="000.00.00.G22").status == "registered"
    assert IncomingDocument.objects.get(organisation__code="000.00.00.H49").status == "arrived"
    assert OutgoingDocument.objects.filter(status="awaiting_signature").count() == 1
    call_command("demo", "--once")
    assert OutgoingDocument.objects.count() == 2
