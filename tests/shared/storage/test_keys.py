from hypothesis import given
from hypothesis import strategies as st

from shared.storage.keys import decode_key, encode_key


@given(st.text())
def test_encoded_values_round_trip_and_never_hold_delimiters(value: str) -> None:
    encoded = encode_key(value)
    assert decode_key(encoded) == value
    assert not set(encoded) & set("|~/\\#?")
    assert all(0x20 < ord(c) < 0x7F for c in encoded)


def test_a_tilde_is_escaped() -> None:
    assert encode_key("~auto") == "%7Eauto"
