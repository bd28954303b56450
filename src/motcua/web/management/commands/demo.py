"""`motcua demo`: load the demo agencies, procedures, treasury accounts and accounts for the embedded run.

Passwords are random for each installation and written to <data dir>/demo-logins.txt (printed by
`motcua serve`), so a demo database is never reachable with a password published in the code. The
development PKI issues every demo organisation its seal and every demo official a personal certificate;
their keys are encrypted under one random 6-digit signing PIN, written beside the logins.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from motcua.accounts.services import user_create_business, user_create_citizen, user_create_official
from motcua.agencies.models import Role
from motcua.agencies.selectors import organisation_get
from motcua.agencies.services import agencies_load_demo, position_assign
from motcua.core.permissions import SYSTEM
from motcua.exchange.services.demo import exchange_demo_load
from motcua.feedback.services import feedback_load_demo
from motcua.payments.services import payments_load_demo
from motcua.procedures.services import procedures_load_demo
from motcua.signatures.services import pki_init

# (username, full name, role, organisation code, job title)
DEMO_OFFICIALS = [
    ("quantri", "Trần Quốc Hùng", Role.PLATFORM_ADMIN, "000.00.00.G22", "Quản trị hệ thống"),
    ("motcua.qn", "Nguyễn Thị Lan", Role.ONE_STOP_CLERK, "000.00.20.H49", "Công chức tiếp nhận"),
    ("chuyenvien.qn", "Lê Văn Minh", Role.SPECIALIST, "000.00.01.H49", "Chuyên viên"),
    ("truongphong.qn", "Phạm Thu Hà", Role.UNIT_HEAD, "000.00.01.H49", "Trưởng phòng"),
    ("lanhdao.qn", "Đỗ Mạnh Cường", Role.AGENCY_LEADER, "000.00.01.H49", "Giám đốc Sở Tư pháp"),
    # Phường Hạ Long: the commune-level one-stop desk, its civil-status officer and its chairman.
    ("motcua.halong", "Trịnh Thu Trang", Role.ONE_STOP_CLERK, "000.00.31.H49", "Công chức Văn phòng - Thống kê"),
    ("tuphap.halong", "Ngô Văn Hải", Role.SPECIALIST, "000.00.31.H49", "Công chức Tư pháp - Hộ tịch"),
    ("chutich.halong", "Lý Thị Hồng", Role.AGENCY_LEADER, "000.00.31.H49", "Chủ tịch UBND phường"),
    ("vanthu.vpcp", "Hoàng Thị Mai", Role.DOCUMENT_CLERK, "000.00.00.G22", "Văn thư"),
    # The Department of Justice's document clerk keeps its seal: results are sealed after the director signs.
    ("vanthu.stp", "Phan Thị Thu", Role.DOCUMENT_CLERK, "000.00.01.H49", "Văn thư Sở Tư pháp"),
    ("baocao.na", "Vũ Đức Anh", Role.REPORTING_OFFICER, "000.00.00.H41", "Chuyên viên tổng hợp báo cáo"),
    ("kiemtoan", "Bùi Thanh Tâm", Role.AUDITOR, "000.00.00.G22", "Kiểm soát viên"),
    ("quantri.qn", "Đặng Văn Long", Role.AGENCY_ADMIN, "000.00.00.H49", "Quản trị hệ thống cấp tỉnh"),
]
DEMO_CITIZEN = ("congdan", "Nguyễn Văn An", "022090000123")
# What the national identity platform would hand over, so the application forms are pre-filled.
DEMO_CITIZEN_CONTACT = {
    "phone": "0912345678",
    "email": "nguyenvanan@example.vn",
    "address": "Số 12, tổ 5, khu 3, phường Hồng Gai, tỉnh Quảng Ninh",
}
DEMO_BUSINESS = ("doanhnghiep", "Công ty TNHH Hạ Long Xanh", "5709876501")


class Command(BaseCommand):
    help = "Load demo agencies and accounts (random passwords, listed in the data directory)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="do nothing if the demo was already loaded")

    def handle(self, *args, **options):
        logins_file = settings.DATA_DIR / "demo-logins.txt"
        if options["once"] and get_user_model().objects.filter(username="quantri").exists():
            self.stdout.write("Demo data already loaded.")
            return
        # The demo goes through the services, and some count attempts in the shared cache (a database table in the
        # embedded run, which `motcua serve` would only create later).
        call_command("createcachetable", verbosity=0)
        password = f"Mc-{secrets.token_urlsafe(9)}"
        signing_pin = f"{secrets.randbelow(10**6):06d}"
        with transaction.atomic():
            agencies_load_demo(actor=SYSTEM)
            procedures_load_demo(actor=SYSTEM)
            # Treasury accounts of the demo agencies, so that fees can be paid online (sandbox gateway).
            payments_load_demo(actor=SYSTEM)
            rows = []
            for username, full_name, role, code, title in DEMO_OFFICIALS:
                user = user_create_official(
                    actor=SYSTEM,
                    username=username,
                    full_name=full_name,
                    email=f"{username}@demo.motcua.vn",
                    password=password,
                    # The platform administrator also runs Django's administration site.
                    is_superuser=role == Role.PLATFORM_ADMIN,
                )
                position_assign(
                    actor=SYSTEM,
                    user=user,
                    organisation=organisation_get(code_or_id=code),
                    role=role,
                    title=title,
                    valid_from=dt.date(2025, 7, 1),
                )
                rows.append((username, f"{Role(role).label} – {code}"))
            username, full_name, personal_id = DEMO_CITIZEN
            user_create_citizen(
                actor=SYSTEM,
                username=username,
                full_name=full_name,
                personal_id=personal_id,
                password=password,
                **DEMO_CITIZEN_CONTACT,
            )
            rows.append((username, "Citizen (công dân)"))
            username, business_name, tax_code = DEMO_BUSINESS
            user_create_business(
                actor=SYSTEM, username=username, organisation_name=business_name, tax_code=tax_code, password=password
            )
            rows.append((username, "Business (doanh nghiệp)"))
            # Published answers to search and rate, and open feedback in the demo officials' queues.
            feedback_load_demo(actor=SYSTEM)
        # Seals and personal certificates for the demo directory (the CAs are made once, then reused).
        pki = pki_init(pin=signing_pin, actor=SYSTEM)
        # Official documents between demo agencies (exchange app), signed and sealed with the same PIN.
        documents = exchange_demo_load(pin=signing_pin)
        lines = ["Demo logins (officials set up two-factor authentication at first sign-in):"]
        lines += [f"  {username:<16} {description}" for username, description in rows]
        lines.append(f"  signing PIN for every demo certificate: {signing_pin}")
        lines.append(f"  password for all: {password}")
        logins_file.write_text("\n".join(lines) + "\n")
        logins_file.chmod(0o600)
        self.stdout.write(
            f"Development PKI in {pki.directory}: issued {pki.seals_issued} agency seals and "
            f"{pki.personal_issued} personal certificates; {documents} demo official documents."
        )
        self.stdout.write("\n".join(lines))
