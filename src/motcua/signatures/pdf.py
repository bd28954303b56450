"""Signing and verifying PDF documents (PAdES baseline, ETSI EN 319 142-1) with pyHanko.

``pdf_sign`` appends one signature as an incremental update, so a document can carry several in order
(the specialist's initial, the leader's signature, the agency seal) and each earlier one stays intact.
The signature is ``ETSI.CAdES.detached``: B-B by default, B-T with a timestamper, B-LT when a validation
context is given (the chain and its revocation data go into the document security store, ``/DSS``).

The visible stamp is drawn with Noto Sans embedded as a CID font. pyHanko's own OpenType engine
(``GlyphAccumulatorFactory``) needs ``uharfbuzz`` for shaping, which is not installed; Vietnamese does not
need shaping once its text is in NFC (every Vietnamese letter has a precomposed code point), so
``_NotoSansEngine`` maps characters to glyphs through the font's ``cmap`` with fontTools and embeds the
subset itself.

``pdf_verify`` answers with a ``FileReport`` (see ``reports.py``) and never raises on bad input. The
status of each signature follows ETSI EN 319 102-1's indications:

* ``invalid``: the signed bytes changed (``bad_signature``), changes other than form filling or
  annotations were appended after signing (``modified_after_signing``), the signer's certificate is
  revoked, expired, not yet valid or not meant for signing, or the timestamp token is broken;
* ``indeterminate``: nothing is known to be wrong, but validity cannot be confirmed: no chain to a trusted
  root (``unknown_issuer``), no revocation data for a certificate that declares where to find it
  (``revocation_unknown``), or a timestamp from an untrusted authority;
* ``valid``: everything above was checked and passed.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import unicodedata
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeAlias

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.utils.translation import gettext as _
from fontpkg_noto_sans import ROOT as NOTO_SANS_ROOT
from fontTools import subset, ttLib
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.font.api import FontEngine, FontEngineFactory, ShapeResult
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import UnacceptableSignerError
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    InvalidCertificateError,
    NotYetValidError,
    PathBuildingError,
    RevokedError,
)

from motcua.core.exceptions import ValidationFailed
from motcua.signatures.coroutines import coroutine_run
from motcua.signatures.reports import FileReport, Reason, SignatureReport, Status

__all__ = ["StampText", "pdf_sign", "pdf_verify"]

logger = logging.getLogger(__name__)

VIETNAM_TIME = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
_FONT_FILE = NOTO_SANS_ROOT / "files" / "NotoSans[wdth,wght].ttf"
# A signing key is for signatures if it may make digital signatures or non-repudiation (content commitment).
_SIGNING_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
# Tables the embedded subset does not need: variations (the default instance is Regular, normal width) and
# layout (no shaping is done).
_DROPPED_FONT_TABLES = ["fvar", "gvar", "avar", "cvar", "HVAR", "MVAR", "VVAR", "STAT", "GDEF", "GPOS", "GSUB"]

Certificate: TypeAlias = asn1_x509.Certificate | crypto_x509.Certificate | bytes
RevocationList: TypeAlias = asn1_crl.CertificateList | crypto_x509.CertificateRevocationList | bytes
OcspResponse: TypeAlias = asn1_ocsp.OCSPResponse | bytes


# --------------------------------------------------------------------------------------------- the stamp


@dataclass(frozen=True)
class StampText:
    """What the visible stamp says, in Vietnamese like the document it is on (Decree 30/2020/NĐ-CP style)."""

    signer_name: str
    position: str = ""  # chức vụ
    agency: str = ""  # cơ quan
    signed_at: dt.datetime | None = None  # shown in Vietnam's time; now if not given

    def render(self) -> str:
        moment = self.signed_at or dt.datetime.now(tz=dt.UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        lines = [f"Ký bởi: {self.signer_name}"]
        if self.position:
            lines.append(f"Chức vụ: {self.position}")
        if self.agency:
            lines.append(f"Cơ quan: {self.agency}")
        lines.append(f"Thời gian ký: {moment.astimezone(VIETNAM_TIME):%H:%M %d/%m/%Y}")
        return unicodedata.normalize("NFC", "\n".join(lines))


@cache
def _font_bytes() -> bytes:
    return _FONT_FILE.read_bytes()


class _NotoSansEngine(FontEngine):
    """Noto Sans as an embedded CIDFontType2 (Identity-H, CID = glyph id), glyphs looked up in the ``cmap``."""

    def __init__(self, writer: BasePdfFileWriter, font_size: int) -> None:
        self._font = ttLib.TTFont(io.BytesIO(_font_bytes()))
        self._cmap: dict[int, str] = self._font.getBestCmap()
        self._units_per_em: int = self._font["head"].unitsPerEm
        postscript_name = self._font["name"].getDebugName(6) or "NotoSans"
        super().__init__(writer, postscript_name, embedded_subset=True, font_size=font_size)
        self._postscript_name = postscript_name
        self._font_reference = writer.allocate_placeholder()
        self._widths: dict[int, int] = {}  # glyph id -> advance width in font units
        self._text_by_glyph: dict[int, str] = {}
        self._written = False

    @property
    def uses_complex_positioning(self) -> bool:
        return False  # plain Tj: the PDF viewer advances by the /W widths

    def _glyph(self, character: str) -> int:
        name = self._cmap.get(ord(character))
        glyph_id = self._font.getGlyphID(name) if name is not None else 0
        if glyph_id not in self._widths:
            self._widths[glyph_id] = self._font["hmtx"][self._font.getGlyphName(glyph_id)][0]
        if glyph_id:
            self._text_by_glyph.setdefault(glyph_id, character)
        return glyph_id

    def shape(self, txt: str) -> ShapeResult:
        glyph_ids = [self._glyph(character) for character in unicodedata.normalize("NFC", txt)]
        advance = sum(self._widths[glyph_id] for glyph_id in glyph_ids)
        operators = b"<" + "".join(f"{glyph_id:04x}" for glyph_id in glyph_ids).encode("ascii") + b"> Tj"
        return ShapeResult(graphics_ops=operators, x_advance=advance / self._units_per_em, y_advance=0)

    def as_resource(self) -> generic.PdfObject:
        return self._font_reference

    def _to_unicode(self) -> generic.StreamObject:
        entries = sorted(self._text_by_glyph.items())
        body: list[str] = []
        for start in range(0, len(entries), 100):  # at most 100 entries per block
            chunk = entries[start : start + 100]
            body.append(f"{len(chunk)} beginbfchar")
            body.extend(f"<{glyph_id:04x}> <{text.encode('utf-16-be').hex()}>" for glyph_id, text in chunk)
            body.append("endbfchar")
        cmap = "\n".join(
            [
                "/CIDInit /ProcSet findresource begin",
                "12 dict begin",
                "begincmap",
                "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
                "/CMapName /Adobe-Identity-UCS def",
                "/CMapType 2 def",
                "1 begincodespacerange",
                "<0000> <FFFF>",
                "endcodespacerange",
                *body,
                "endcmap",
                "CMapName currentdict /CMap defineresource pop",
                "end",
                "end",
            ]
        )
        stream = generic.StreamObject(stream_data=cmap.encode("ascii"))
        stream.compress()
        return stream

    def prepare_write(self) -> None:
        if self._written:
            return
        self._written = True
        options = subset.Options()
        options.retain_gids = True  # CIDToGIDMap /Identity: the CIDs in the content are glyph ids
        options.layout_features = []
        options.drop_tables += _DROPPED_FONT_TABLES
        options.notdef_outline = True
        # Layout tables are dropped anyway (no shaping: plain Tj); deleting them first spares fontTools parsing
        # them, which took ~0.7 s of every visible signature.
        for table in ("GSUB", "GPOS", "GDEF"):
            if table in self._font:
                del self._font[table]
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(gids=sorted(self._widths))
        subsetter.subset(self._font)
        buffer = io.BytesIO()
        self._font.save(buffer)
        font_file = generic.StreamObject(stream_data=buffer.getvalue())
        font_file.compress()

        name = generic.NameObject(f"/{self.subset_prefix}+{self._postscript_name}")
        head, hhea, os2 = self._font["head"], self._font["hhea"], self._font["OS/2"]
        writer = self.writer
        descriptor = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/FontDescriptor"),
                generic.NameObject("/FontName"): name,
                generic.NameObject("/Flags"): generic.NumberObject(32),  # nonsymbolic
                generic.NameObject("/FontBBox"): generic.ArrayObject(
                    [generic.NumberObject(value) for value in (head.xMin, head.yMin, head.xMax, head.yMax)]
                ),
                generic.NameObject("/ItalicAngle"): generic.NumberObject(0),
                generic.NameObject("/Ascent"): generic.NumberObject(hhea.ascent),
                generic.NameObject("/Descent"): generic.NumberObject(hhea.descent),
                generic.NameObject("/CapHeight"): generic.NumberObject(getattr(os2, "sCapHeight", 714)),
                generic.NameObject("/StemV"): generic.NumberObject(80),
                generic.NameObject("/FontFile2"): writer.add_object(font_file),
            }
        )
        widths = generic.ArrayObject()
        for glyph_id, width in sorted(self._widths.items()):
            widths.append(generic.NumberObject(glyph_id))
            widths.append(generic.ArrayObject([generic.NumberObject(width)]))
        cid_font = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Font"),
                generic.NameObject("/Subtype"): generic.NameObject("/CIDFontType2"),
                generic.NameObject("/BaseFont"): name,
                generic.NameObject("/CIDSystemInfo"): generic.DictionaryObject(
                    {
                        generic.NameObject("/Registry"): generic.pdf_string("Adobe"),
                        generic.NameObject("/Ordering"): generic.pdf_string("Identity"),
                        generic.NameObject("/Supplement"): generic.NumberObject(0),
                    }
                ),
                generic.NameObject("/FontDescriptor"): writer.add_object(descriptor),
                generic.NameObject("/CIDToGIDMap"): generic.NameObject("/Identity"),
                generic.NameObject("/W"): widths,
            }
        )
        type0 = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Font"),
                generic.NameObject("/Subtype"): generic.NameObject("/Type0"),
                generic.NameObject("/BaseFont"): name,
                generic.NameObject("/Encoding"): generic.NameObject("/Identity-H"),
                generic.NameObject("/DescendantFonts"): generic.ArrayObject([writer.add_object(cid_font)]),
                generic.NameObject("/ToUnicode"): writer.add_object(self._to_unicode()),
            }
        )
        writer.add_object(type0, idnum=self._font_reference.idnum)


@dataclass(frozen=True)
class _NotoSansFactory(FontEngineFactory):
    font_size: int = 8

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> FontEngine:
        return _NotoSansEngine(writer, self.font_size)


def _stamp_style(font_size: int = 8) -> TextStampStyle:
    return TextStampStyle(
        text_box_style=TextBoxStyle(font=_NotoSansFactory(font_size), font_size=font_size, leading=font_size + 3),
        border_width=1,
        background=None,
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(4),
        ),
    )


# ------------------------------------------------------------------------------------------------ signing


def _default_box(writer: IncrementalPdfFileWriter, page: int) -> tuple[int, int, int, int]:
    """Bottom right of the page, 230 × 70 pt, inside a 36 pt margin."""
    media_box = writer.find_page_for_modification(page)[0].get_object().get("/MediaBox")
    right = int(float(media_box[2])) if media_box is not None else 595
    bottom = int(float(media_box[1])) if media_box is not None else 0
    return (right - 36 - 230, bottom + 36, right - 36, bottom + 36 + 70)


def pdf_sign(
    data: bytes,
    *,
    signer: signers.Signer,
    field_name: str,
    stamp: StampText | None = None,
    box: tuple[int, int, int, int] | None = None,
    page: int = 0,
    timestamper: TimeStamper | None = None,
    validation_context: ValidationContext | None = None,
    reason: str = "",
    location: str = "",
) -> bytes:
    """Append a PAdES signature (B-B; B-T with ``timestamper``; B-LT with ``validation_context``) to a PDF.

    The signature goes into the field ``field_name`` (created on ``page`` if missing; visible at ``box``,
    ``(x1, y1, x2, y2)`` in points from the bottom left, when ``stamp`` is given). Earlier signatures stay
    valid: this is an incremental update that only fills a signature field. Raises ``ValidationFailed``
    when the document cannot be signed.
    """
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    except Exception as error:
        raise ValidationFailed(_("The file is not a readable PDF document."), code="pdf_unreadable") from error
    if writer.prev.encrypted:
        raise ValidationFailed(_("An encrypted PDF document cannot be signed here."), code="pdf_encrypted")

    try:
        # pyHanko checks the key usage only when it validates the chain (B-LT); refuse such a key every time.
        if signer.signing_cert is not None:
            _SIGNING_KEY_USAGE.validate(signer.signing_cert)
    except InvalidCertificateError as error:
        raise ValidationFailed(
            _("This certificate may not be used to sign documents."), code="signer_not_acceptable"
        ) from error

    existing = {name: value for name, value, _reference in fields.enumerate_sig_fields(writer.prev)}
    if existing.get(field_name) is not None:
        raise ValidationFailed(_("This signature field is already signed."), code="field_already_signed")
    field_spec = None
    if field_name not in existing:
        visible_box = (box or _default_box(writer, page)) if stamp is not None else None
        field_spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=visible_box)

    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
        name=stamp.signer_name if stamp is not None else None,
        embed_validation_info=validation_context is not None,
        validation_context=validation_context,
        signer_key_usage={"digital_signature", "non_repudiation"},
    )
    appearance_text_params = None
    stamp_style = None
    if stamp is not None:
        stamp_style = _stamp_style()
        # pyHanko fills ``%(name)s`` placeholders: pass the text as a parameter so a "%" in a name is harmless.
        stamp_style = TextStampStyle(
            text_box_style=stamp_style.text_box_style,
            border_width=stamp_style.border_width,
            background=None,
            inner_content_layout=stamp_style.inner_content_layout,
            stamp_text="%(motcua)s",
        )
        appearance_text_params = {"motcua": stamp.render()}
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        timestamper=timestamper,
        stamp_style=stamp_style,
        new_field_spec=field_spec,
    )
    try:
        # The async API through coroutine_run: pyHanko's sync wrappers call asyncio.run, which fails when an
        # event loop already runs in this thread (an async view, a browser driver in the same process).
        output = coroutine_run(
            pdf_signer.async_sign_pdf(writer, appearance_text_params=appearance_text_params, in_place=False)
        )
    except UnacceptableSignerError as error:
        raise ValidationFailed(
            _("This certificate may not be used to sign documents."), code="signer_not_acceptable"
        ) from error
    return output.getvalue()


# ---------------------------------------------------------------------------------------------- verifying


def _asn1_certificate(value: Certificate) -> asn1_x509.Certificate:
    if isinstance(value, asn1_x509.Certificate):
        return value
    if isinstance(value, crypto_x509.Certificate):
        return asn1_x509.Certificate.load(value.public_bytes(Encoding.DER))
    if value.lstrip().startswith(b"-----BEGIN"):
        return asn1_x509.Certificate.load(crypto_x509.load_pem_x509_certificate(value).public_bytes(Encoding.DER))
    return asn1_x509.Certificate.load(value)


def _asn1_crl(value: RevocationList) -> asn1_crl.CertificateList:
    if isinstance(value, asn1_crl.CertificateList):
        return value
    if isinstance(value, crypto_x509.CertificateRevocationList):
        return asn1_crl.CertificateList.load(value.public_bytes(Encoding.DER))
    if value.lstrip().startswith(b"-----BEGIN"):
        return asn1_crl.CertificateList.load(crypto_x509.load_pem_x509_crl(value).public_bytes(Encoding.DER))
    return asn1_crl.CertificateList.load(value)


def _asn1_ocsp(value: OcspResponse) -> asn1_ocsp.OCSPResponse:
    return value if isinstance(value, asn1_ocsp.OCSPResponse) else asn1_ocsp.OCSPResponse.load(value)


@dataclass(frozen=True)
class _Trust:
    """What the caller trusts and knows, plus what the document's security store brought."""

    roots: tuple[asn1_x509.Certificate, ...]
    other_certificates: tuple[asn1_x509.Certificate, ...]
    crls: tuple[asn1_crl.CertificateList, ...]
    ocsps: tuple[asn1_ocsp.OCSPResponse, ...]
    allow_fetching: bool

    def context(
        self, moment: dt.datetime | None = None, extra: Iterable[asn1_x509.Certificate] = ()
    ) -> ValidationContext:
        # "hard-fail": a certificate that names a CRL or OCSP responder must have fresh revocation data.
        return ValidationContext(
            trust_roots=list(self.roots),
            other_certs=[*self.other_certificates, *extra],
            crls=list(self.crls),
            ocsps=list(self.ocsps),
            allow_fetching=self.allow_fetching,
            revocation_mode="hard-fail",
            moment=moment,
            retroactive_revinfo=moment is not None,
        )


def _reason(code: str) -> Reason:
    messages = {
        "bad_signature": _("The signature does not match the document: the signed content was changed."),
        "bad_signature_value": _("The signature value is not valid for the signer's certificate."),
        "modified_after_signing": _("The document was changed after it was signed, in a way that is not allowed."),
        "incomplete_coverage": _("The signature does not cover a complete version of the document."),
        "annotations_after_signing": _("Comments or annotations were added after this signature."),
        "unknown_issuer": _("The signer's certificate does not chain to a trusted certification authority."),
        "expired": _("The signer's certificate had expired when the signature was checked."),
        "not_yet_valid": _("The signer's certificate was not yet valid when the signature was checked."),
        "revoked": _("The signer's certificate has been revoked."),
        "revocation_unknown": _("The revocation status of the signer's certificate could not be checked."),
        "wrong_key_usage": _("The signer's certificate is not allowed to be used for signatures."),
        "certificate_invalid": _("The signer's certificate chain is not valid."),
        "timestamp_invalid": _("The signature's timestamp is not valid."),
        "timestamp_untrusted": _("The signature's timestamp comes from an authority that is not trusted."),
        "encrypted": _("The document is encrypted; its signatures cannot be checked."),
        "malformed": _("The file is damaged or is not a PDF document."),
        "malformed_signature": _("The signature could not be read."),
        "no_signature": _("The document has no signature."),
    }
    # Sub-cases share the stable code programs rely on; their messages say more.
    code_for = {
        "bad_signature_value": "bad_signature",
        "incomplete_coverage": "modified_after_signing",
        "timestamp_untrusted": "timestamp_invalid",
        "malformed_signature": "malformed",
    }
    return Reason(code=code_for.get(code, code), message=messages[code])


def _chain_problem(
    certificate: asn1_x509.Certificate, context: ValidationContext, others: Sequence[asn1_x509.Certificate]
) -> str:
    """Why the signer's certificate is not trusted, from certvalidator's own error."""
    validator = CertificateValidator(certificate, intermediate_certs=list(others), validation_context=context)
    try:
        coroutine_run(validator.async_validate_path())
    except RevokedError:
        return "revoked"
    except ExpiredError:
        return "expired"
    except NotYetValidError:
        return "not_yet_valid"
    except InsufficientRevinfoError:
        return "revocation_unknown"
    except PathBuildingError:
        return "unknown_issuer"
    except Exception as error:  # any other path failure
        logger.info("PDF signer chain not valid: %s", error)
        return "certificate_invalid"
    # The path is fine, so pyHanko refused the certificate's key usage.
    return "wrong_key_usage"


_INVALID_CODES = {
    "bad_signature",
    "bad_signature_value",
    "modified_after_signing",
    "incomplete_coverage",
    "expired",
    "not_yet_valid",
    "revoked",
    "wrong_key_usage",
    "certificate_invalid",
    "timestamp_invalid",
    "malformed_signature",
}


def _validate(embedded: EmbeddedPdfSignature, trust: _Trust, moment: dt.datetime | None) -> PdfSignatureStatus:
    return coroutine_run(
        async_validate_pdf_signature(
            embedded,
            signer_validation_context=trust.context(moment),
            ts_validation_context=trust.context(),
            key_usage_settings=_SIGNING_KEY_USAGE,
        )
    )


def _name_part(name: asn1_x509.Name, key: str) -> str:
    value = name.native.get(key, "")
    return ", ".join(value) if isinstance(value, list) else str(value)


def _signature_report(embedded: EmbeddedPdfSignature, trust: _Trust) -> SignatureReport:
    status = _validate(embedded, trust, None)
    codes: list[str] = []

    if not status.intact:
        codes.append("bad_signature")
    elif not status.valid:
        codes.append("bad_signature_value")

    timestamp_time: dt.datetime | None = None
    timestamp = status.timestamp_validity
    if timestamp is not None:
        if not (timestamp.intact and timestamp.valid):
            codes.append("timestamp_invalid")
        elif not timestamp.trusted:
            codes.append("timestamp_untrusted")
        else:
            timestamp_time = timestamp.timestamp

    coverage = status.coverage
    level = status.modification_level
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        codes.append("incomplete_coverage")
    elif level is None or level == ModificationLevel.OTHER or status.docmdp_ok is False:
        codes.append("modified_after_signing")
    elif level == ModificationLevel.ANNOTATIONS:
        codes.append("annotations_after_signing")

    if status.intact and status.valid and not status.trusted:
        others = [*embedded.other_embedded_certs, *trust.other_certificates]
        problem = _chain_problem(status.signing_cert, trust.context(extra=embedded.other_embedded_certs), others)
        if problem == "expired" and timestamp_time is not None:
            # B-T and later: the certificate only has to be valid when the trusted timestamp was made.
            at_timestamp = _validate(embedded, trust, timestamp_time)
            if at_timestamp.trusted:
                problem = ""
            else:
                problem = _chain_problem(
                    status.signing_cert, trust.context(timestamp_time, embedded.other_embedded_certs), others
                )
        if problem:
            codes.append(problem)

    blocking = [code for code in codes if code != "annotations_after_signing"]
    if any(code in _INVALID_CODES for code in blocking):
        verdict = Status.INVALID
    elif blocking:
        verdict = Status.INDETERMINATE
    else:
        verdict = Status.VALID

    certificate = status.signing_cert
    return SignatureReport(
        status=verdict,
        reasons=[_reason(code) for code in codes],
        signer_name=_name_part(certificate.subject, "common_name"),
        signer_organisation=_name_part(certificate.subject, "organization_name"),
        signer_certificate_sha256=certificate.sha256.hex(),
        issuer_name=_name_part(certificate.issuer, "common_name"),
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp_time,
        covers_whole_document=coverage == SignatureCoverageLevel.ENTIRE_FILE,
        modifications=level.name.lower() if level is not None else "unknown",
        field_name=str(embedded.field_name or ""),
        algorithm=f"{status.pkcs7_signature_mechanism} ({status.md_algorithm})",
    )


def _broken_signature_report(embedded: EmbeddedPdfSignature, error: Exception) -> SignatureReport:
    logger.info("PDF signature could not be validated: %r", error)
    try:
        field_name = str(embedded.field_name or "")
    except Exception:
        field_name = ""
    return SignatureReport(status=Status.INVALID, reasons=[_reason("malformed_signature")], field_name=field_name)


def _looks_like_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def pdf_verify(
    data: bytes,
    *,
    trust_roots: Iterable[Certificate],
    intermediates: Iterable[Certificate] = (),
    crls: Iterable[RevocationList] = (),
    ocsps: Iterable[OcspResponse] = (),
    allow_fetching: bool = False,
) -> FileReport:
    """Check every signature in a PDF: integrity, coverage and later changes, chain, validity, revocation, timestamp.

    Revocation data comes from ``crls``/``ocsps``, the document's ``/DSS`` (B-LT) and, with
    ``allow_fetching``, the network. Never raises on bad input: the report carries the errors.
    """
    report = FileReport(kind="pdf")
    if not _looks_like_pdf(data):
        report.errors.append(_reason("malformed"))
        return report
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            report.errors.append(_reason("encrypted"))
            return report
        signatures = list(reader.embedded_regular_signatures)
    except Exception as error:
        logger.info("PDF could not be read: %r", error)
        report.errors.append(_reason("malformed"))
        return report
    if not signatures:
        report.errors.append(_reason("no_signature"))
        return report

    try:
        trust = _trust(reader, trust_roots, intermediates, crls, ocsps, allow_fetching)
    except Exception as error:
        logger.info("Trust material or security store could not be read: %r", error)
        report.errors.append(_reason("malformed"))
        return report
    for embedded in signatures:
        try:
            report.signatures.append(_signature_report(embedded, trust))
        except Exception as error:
            report.signatures.append(_broken_signature_report(embedded, error))
    return report


def _trust(
    reader: PdfFileReader,
    trust_roots: Iterable[Certificate],
    intermediates: Iterable[Certificate],
    crls: Iterable[RevocationList],
    ocsps: Iterable[OcspResponse],
    allow_fetching: bool,
) -> _Trust:
    other_certificates = [_asn1_certificate(value) for value in intermediates]
    all_crls = [_asn1_crl(value) for value in crls]
    all_ocsps = [_asn1_ocsp(value) for value in ocsps]
    try:
        store = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        store = None
    if store is not None:
        other_certificates.extend(store.load_certs())
        all_crls.extend(
            asn1_crl.CertificateList.load(reference.get_object().read_data(DecodePurpose.CRL))
            for reference in store.crls
        )
        all_ocsps.extend(
            asn1_ocsp.OCSPResponse.load(reference.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
            for reference in store.ocsps
        )
    return _Trust(
        roots=tuple(_asn1_certificate(value) for value in trust_roots),
        other_certificates=tuple(other_certificates),
        crls=tuple(all_crls),
        ocsps=tuple(all_ocsps),
        allow_fetching=allow_fetching,
    )
