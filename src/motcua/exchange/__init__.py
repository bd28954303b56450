"""Document interconnection (liên thông văn bản): official documents, document books, edXML (QCVN 102)
packages, signed delivery between agencies and between deployments, status feedback."""
