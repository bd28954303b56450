"""Synchronisation with the National Public Service Portal (Cổng Dịch vụ công quốc gia).

``payloads`` defines the two integration records (DongBoHoSoMC, CapNhatTienDoHoSoMC) field by field;
``clients`` is the plugin registry of transports (an HTTP client for the portal's endpoint, and a
recording client for tests and the embedded run).
"""
