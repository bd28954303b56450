"""Keys on PKCS#11 tokens and HSMs (python-pkcs11), seen through cryptography's private-key interfaces.

``Pkcs11RsaPrivateKey`` and ``Pkcs11EcPrivateKey`` are ``rsa.RSAPrivateKey`` / ``ec.EllipticCurvePrivateKey``
whose ``sign()`` runs on the token, so signxml and the pyHanko signer use them like software keys; the key
itself never leaves the token (``private_bytes`` and ``private_numbers`` refuse).

Every operation opens its own session, logs in with the PIN, and closes the session, which logs out when it
is the process's last one. A lock per token keeps our sessions one at a time: PKCS#11 login state is shared
by all sessions of a process, so a second login would be refused (or, worse, an open login would let a wrong
PIN through unnoticed).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Callable
from typing import Any, NoReturn, Self, TypeVar

import pkcs11
from asn1crypto import algos
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import NoDigestInfo, Prehashed
from cryptography.utils import Buffer
from pkcs11 import KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import encode_ecdsa_signature

_T = TypeVar("_T")

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_RSA_MECHANISMS = {
    "sha256": Mechanism.SHA256_RSA_PKCS,
    "sha384": Mechanism.SHA384_RSA_PKCS,
    "sha512": Mechanism.SHA512_RSA_PKCS,
}
_PKCS1v15 = padding.PKCS1v15  # the parameter named ``padding`` of sign() hides the module
_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


class TokenWrongPin(Exception):
    """The token refused the PIN."""


class TokenLocked(Exception):
    """The token locked its user PIN after too many wrong ones."""


class TokenUnavailable(Exception):
    """The module, the token or the key cannot be reached; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _lock(module: str, token_label: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault((module, token_label), threading.Lock())


def _library(module: str) -> Any:
    if not os.path.isfile(module):
        raise TokenUnavailable("module_missing")
    try:
        return pkcs11.lib(module)
    except Exception as error:
        raise TokenUnavailable("module_unloadable") from error


def _token(module: str, token_label: str) -> Any:
    library = _library(module)
    try:
        return library.get_token(token_label=token_label)
    except pkcs11.NoSuchToken:
        # Tokens initialised after the module was loaded appear only after C_Finalize/C_Initialize.
        library.reinitialize()
    except pkcs11.MultipleTokensReturned as error:
        raise TokenUnavailable("token_ambiguous") from error
    try:
        return library.get_token(token_label=token_label)
    except pkcs11.NoSuchToken as error:
        raise TokenUnavailable("token_missing") from error


def _pkcs11_error(error: pkcs11.PKCS11Error) -> NoReturn:
    if isinstance(error, pkcs11.PinIncorrect | pkcs11.PinLenRange):
        raise TokenWrongPin() from error
    if isinstance(error, pkcs11.PinLocked):
        raise TokenLocked() from error
    if isinstance(error, pkcs11.NoSuchKey):
        raise TokenUnavailable("key_missing") from error
    if isinstance(error, pkcs11.MultipleObjectsReturned):
        raise TokenUnavailable("key_ambiguous") from error
    if isinstance(error, pkcs11.UserAlreadyLoggedIn):
        raise TokenUnavailable("token_busy") from error
    raise TokenUnavailable("token_failed") from error


def with_private_key(
    *, module: str, token_label: str, key_label: str, pin: str, action: Callable[[Any], _T], rw: bool = False
) -> _T:
    """Log in, find the private key by label, run ``action(key)``, log out."""
    with _lock(module, token_label):
        token = _token(module, token_label)
        try:
            with token.open(rw=rw, user_pin=pin) as session:
                key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
                return action(key)
        except pkcs11.PKCS11Error as error:
            _pkcs11_error(error)


def pin_change(*, module: str, token_label: str, old_pin: str, new_pin: str) -> None:
    """Change the token's user PIN (C_SetPIN in a read-write session)."""
    with _lock(module, token_label):
        token = _token(module, token_label)
        try:
            with token.open(rw=True, user_pin=old_pin) as session:
                session.set_pin(old_pin, new_pin)
        except pkcs11.PKCS11Error as error:
            _pkcs11_error(error)


def public_key_find(*, module: str, token_label: str, key_label: str) -> PublicKey | None:
    """The public key stored beside the private one, when the token shows it without logging in."""
    with _lock(module, token_label):
        token = _token(module, token_label)
        try:
            with token.open() as session:
                key = session.get_key(object_class=ObjectClass.PUBLIC_KEY, label=key_label)
                if key.key_type == KeyType.RSA:
                    numbers = rsa.RSAPublicNumbers(
                        int.from_bytes(key[pkcs11.Attribute.PUBLIC_EXPONENT], "big"),
                        int.from_bytes(key[pkcs11.Attribute.MODULUS], "big"),
                    )
                    return numbers.public_key()
                if key.key_type == KeyType.EC:
                    loaded = serialization.load_der_public_key(pkcs11.util.ec.encode_ec_public_key(key))
                    return loaded if isinstance(loaded, ec.EllipticCurvePublicKey) else None
                return None
        except pkcs11.NoSuchKey:
            return None
        except pkcs11.PKCS11Error as error:
            _pkcs11_error(error)


class _TokenKey:
    """What both token-backed keys share: where the key is, the PIN, and the certificate's public key."""

    def __init__(self, *, module: str, token_label: str, key_label: str, pin: str, public_key: Any) -> None:
        self._module = module
        self._token_label = token_label
        self._key_label = key_label
        self._pin = pin
        self._public_key = public_key

    def _sign_on_token(self, data: bytes, mechanism: Mechanism) -> bytes:
        return with_private_key(
            module=self._module,
            token_label=self._token_label,
            key_label=self._key_label,
            pin=self._pin,
            action=lambda key: bytes(key.sign(data, mechanism=mechanism)),
        )

    def _refuse_export(self) -> NoReturn:
        raise UnsupportedAlgorithm("A key on a PKCS#11 token cannot be exported.")

    def private_bytes(
        self,
        encoding: serialization.Encoding,
        format: serialization.PrivateFormat,
        encryption_algorithm: serialization.KeySerializationEncryption,
    ) -> bytes:
        self._refuse_export()

    # A handle on the token, not key material: copies are the same handle.
    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._token_label}/{self._key_label}>"


def _hash_name(algorithm: hashes.HashAlgorithm) -> str:
    return algorithm.name.lower()


class Pkcs11RsaPrivateKey(_TokenKey, rsa.RSAPrivateKey):
    """An RSA key on a token: PKCS#1 v1.5 signatures (CKM_SHA256_RSA_PKCS and its SHA-384/512 siblings)."""

    def sign(
        self,
        data: bytes,
        padding: padding.AsymmetricPadding,
        algorithm: Prehashed | hashes.HashAlgorithm | NoDigestInfo,
    ) -> bytes:
        if not isinstance(padding, _PKCS1v15):
            raise UnsupportedAlgorithm("Only PKCS#1 v1.5 signatures are made with keys on tokens.")
        if isinstance(algorithm, NoDigestInfo):
            return self._sign_on_token(bytes(data), Mechanism.RSA_PKCS)
        if isinstance(algorithm, Prehashed):
            # CKM_RSA_PKCS signs a DigestInfo that we build around the given hash.
            name = _hash_name(algorithm._algorithm)
            digest_info = algos.DigestInfo({"digest_algorithm": {"algorithm": name}, "digest": data}).dump()
            return self._sign_on_token(digest_info, Mechanism.RSA_PKCS)
        mechanism = _RSA_MECHANISMS.get(_hash_name(algorithm))
        if mechanism is None:
            raise UnsupportedAlgorithm(f"{algorithm.name} is not used with keys on tokens.")
        return self._sign_on_token(bytes(data), mechanism)

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public_key  # type: ignore[no-any-return]

    @property
    def key_size(self) -> int:
        return int(self._public_key.key_size)

    def decrypt(self, ciphertext: bytes, padding: padding.AsymmetricPadding) -> bytes:
        raise UnsupportedAlgorithm("Keys on tokens are registered for signing only.")

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        self._refuse_export()


class Pkcs11EcPrivateKey(_TokenKey, ec.EllipticCurvePrivateKey):
    """An elliptic-curve key on a token: CKM_ECDSA over a hash made here, the raw r||s returned as DER."""

    def sign(self, data: Buffer, signature_algorithm: ec.EllipticCurveSignatureAlgorithm) -> bytes:
        if not isinstance(signature_algorithm, ec.ECDSA):
            raise UnsupportedAlgorithm("Only ECDSA signatures are made with keys on tokens.")
        algorithm = signature_algorithm.algorithm
        if isinstance(algorithm, Prehashed):
            digest = bytes(data)
        else:
            digest = hashlib.new(_hash_name(algorithm).replace("-", "_"), bytes(data)).digest()
        return bytes(encode_ecdsa_signature(self._sign_on_token(digest, Mechanism.ECDSA)))

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public_key  # type: ignore[no-any-return]

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._public_key.curve  # type: ignore[no-any-return]

    @property
    def key_size(self) -> int:
        return int(self._public_key.curve.key_size)

    def exchange(self, algorithm: ec.ECDH, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        raise UnsupportedAlgorithm("Keys on tokens are registered for signing only.")

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        self._refuse_export()


def token_private_key(
    *, module: str, token_label: str, key_label: str, pin: str, public_key: PublicKey
) -> Pkcs11RsaPrivateKey | Pkcs11EcPrivateKey:
    """Log in once to check the PIN and that the token's key is the certificate's (a test signature).

    Raises ``TokenWrongPin``, ``TokenLocked`` or ``TokenUnavailable`` (``key_mismatch`` when the key on the
    token does not belong to the certificate).
    """
    key: Pkcs11RsaPrivateKey | Pkcs11EcPrivateKey
    if isinstance(public_key, rsa.RSAPublicKey):
        key = Pkcs11RsaPrivateKey(
            module=module, token_label=token_label, key_label=key_label, pin=pin, public_key=public_key
        )
    else:
        key = Pkcs11EcPrivateKey(
            module=module, token_label=token_label, key_label=key_label, pin=pin, public_key=public_key
        )
    challenge = secrets.token_bytes(32)
    try:
        if isinstance(key, Pkcs11RsaPrivateKey):
            signature = key.sign(challenge, padding.PKCS1v15(), hashes.SHA256())
            key.public_key().verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
        else:
            signature = key.sign(challenge, ec.ECDSA(hashes.SHA256()))
            key.public_key().verify(signature, challenge, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise TokenUnavailable("key_mismatch") from error
    except TokenUnavailable as error:
        if error.reason == "token_failed":  # e.g. an EC key under the label of an RSA certificate
            raise TokenUnavailable("key_mismatch") from error
        raise
    return key
