#!/usr/bin/env bash
# Test tools from Debian's packages: Chromium for the browser journeys (no browser download from the
# internet), poppler-utils and zbar-tools to render the generated PDFs and read their QR codes back,
# poppler's pdfsig, xmlsec1 and openssl as independent validators of signatures, SoftHSM2 for PKCS#11.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages for the tests: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "WARNING: ${missing[*]} not found and cannot be installed here (needs root and apt-get);" >&2
echo "         install these Debian packages, or the browser journeys and PDF checks will fail." >&2
