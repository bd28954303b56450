"""Signing keys: kept encrypted under a PIN, or on a PKCS#11 token; unlocked for one signing at a time.

Software keys at rest (``SigningKey.encrypted_key``, parameters in ``SigningKey.key_derivation``):

* the private key as PKCS#8 DER, encrypted with AES-256-GCM (96-bit random nonce); the associated data is
  the certificate's SHA-256 fingerprint, so a ciphertext copied onto another key row does not open;
* the AES key is ``HKDF-SHA256(ikm=scrypt(PIN), salt=pepper)``, where scrypt runs with n=2**15, r=8, p=1
  (32 MiB, about 0.1 s) and a random 16-byte salt, and the pepper is ``HKDF-SHA256(SECRET_KEY)``: a dump of
  the database alone does not allow trying PINs offline, the secret key is needed too;
* ``key_derivation`` records the algorithm names, parameters, salt and nonce (base64) and a short
  identifier of the pepper, so that a changed ``SECRET_KEY`` is reported as such instead of as a wrong PIN
  (``SECRET_KEY_FALLBACKS`` are tried as well; a PIN change re-encrypts under the current secret);
* a failed decryption (the GCM tag does not match) is a wrong PIN.

PIN rules (software keys): 6 to 12 characters, each a printable ASCII character other than the space
(digits, Latin letters, punctuation), so the same PIN gives the same bytes on every keyboard and machine.
Keys on tokens follow the token's own PIN rules.

Wrong PINs: counted on the key in a transaction of their own that the caller's rollback does not undo
(``attempts.wrong_pin_count``); five in a row lock the key until an administrator unblocks it
(``signing_key_unblock``); a right PIN resets the count. PKCS#11 tokens also count on their own.

PKCS#11 keys (``tokens``): only the module path and the token and key labels are stored; each signature
logs in to the token with the PIN and the key never leaves it.
"""

from motcua.signatures.keys.attempts import MAX_WRONG_PINS
from motcua.signatures.keys.encryption import PIN_MAX_LENGTH, PIN_MIN_LENGTH, pin_validate
from motcua.signatures.keys.signer import KeySigner, pdf_sign_with, xml_sign_with
from motcua.signatures.keys.store import (
    signing_key_change_pin,
    signing_key_create_software,
    signing_key_find,
    signing_key_import,
    signing_key_register_pkcs11,
    signing_key_unblock,
    signing_key_unlock,
)

__all__ = [
    "MAX_WRONG_PINS",
    "PIN_MAX_LENGTH",
    "PIN_MIN_LENGTH",
    "KeySigner",
    "pdf_sign_with",
    "pin_validate",
    "signing_key_change_pin",
    "signing_key_create_software",
    "signing_key_find",
    "signing_key_import",
    "signing_key_register_pkcs11",
    "signing_key_unblock",
    "signing_key_unlock",
    "xml_sign_with",
]
