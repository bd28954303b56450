"""Digital signatures and PKI: sign and verify PDFs (PAdES) and XML (XML-DSig), trusted timestamps."""
