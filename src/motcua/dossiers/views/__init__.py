"""HTML views of the one-stop shop: the applicant's side (citizen.py) and the officials' side (officials.py)."""
