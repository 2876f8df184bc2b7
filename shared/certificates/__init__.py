"""Signed license certificates: the keys that sign them, and the certificates themselves."""
