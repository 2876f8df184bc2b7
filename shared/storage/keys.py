"""Values made safe for PartitionKey and RowKey, where '/', '\\', '#', '?' and control
characters are not allowed (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model).

Everything outside a small safe set is percent-encoded, so '|' and '~' never occur in an
encoded value and can delimit the parts of a key.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

_SAFE = "@.-_+"


def encode_key(value: str) -> str:
    # quote() never escapes '~' (RFC 3986 "unreserved"), so it is escaped here to keep the
    # promise above: '~' may then start keys that no encoded value can collide with.
    return quote(value, safe=_SAFE).replace("~", "%7E")


def decode_key(value: str) -> str:
    return unquote(value)
