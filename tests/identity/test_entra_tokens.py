"""The one validator of Entra tokens, and Entra's signing keys cached by kid."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import InvalidToken, UpstreamUnavailable
from shared.identity.entra_tokens import (
    ENTRA_JWKS_URL,
    JwksCache,
    StaticKeys,
    TokenRules,
    parse_jwks,
    verify_token,
)
from tests.conftest import Clock
from tests.identity.fake_entra import (
    PORTAL_CLIENT_ID,
    TOKEN_DEFECTS,
    SigningKey,
    b64url,
    entra_claims,
)

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
NONCE = "5c1f0e4b9a"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey()


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey()


def keys_of(*signing_keys: SigningKey) -> StaticKeys:
    return StaticKeys(parse_jwks({"keys": [k.public_jwk() for k in signing_keys]}))


def id_token_rules(nonce: str | None = NONCE) -> TokenRules:
    return TokenRules(audience=lambda audience: audience == PORTAL_CLIENT_ID, nonce=nonce)


def claims(**extra: Any) -> dict[str, Any]:
    return entra_claims(audience=PORTAL_CLIENT_ID, now=NOW, nonce=NONCE, **extra)


def test_a_valid_id_token_yields_its_claims(key: SigningKey) -> None:
    verified = verify_token(key.sign(claims()), keys_of(key), id_token_rules(), now=NOW)
    assert verified["preferred_username"] == "ann@contoso.com"
    assert verified["aud"] == PORTAL_CLIENT_ID


@pytest.mark.parametrize("defect", sorted(TOKEN_DEFECTS))
def test_each_token_defect_is_refused(defect: str, key: SigningKey, other_key: SigningKey) -> None:
    token = TOKEN_DEFECTS[defect](claims(), key, other_key)
    with pytest.raises(InvalidToken) as refused:
        verify_token(token, keys_of(key), id_token_rules(), now=NOW)
    assert refused.value.status == 401 and refused.value.code == "invalid_token"


@pytest.mark.parametrize("nonce", ["another-nonce", "", None, 42])
def test_a_wrong_or_missing_nonce_is_refused(key: SigningKey, nonce: object) -> None:
    token_claims = claims()
    if nonce is None:
        del token_claims["nonce"]
    else:
        token_claims["nonce"] = nonce
    with pytest.raises(InvalidToken, match="sign-in"):
        verify_token(key.sign(token_claims), keys_of(key), id_token_rules(), now=NOW)


def test_a_v1_token_is_not_an_id_token(key: SigningKey) -> None:
    token = key.sign(claims(version="1.0"))
    with pytest.raises(InvalidToken, match="version"):
        verify_token(token, keys_of(key), id_token_rules(), now=NOW)


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [
        (NOW + timedelta(hours=1, minutes=1), True),  # within the leeway after exp
        (NOW + timedelta(hours=1, minutes=3), False),
        (NOW - timedelta(minutes=1), True),  # within the leeway before nbf
        (NOW - timedelta(minutes=3), False),
    ],
)
def test_lifetime_allows_a_small_clock_skew(
    key: SigningKey, moment: datetime, accepted: bool
) -> None:
    token = key.sign(claims())
    if accepted:
        verify_token(token, keys_of(key), id_token_rules(), now=moment)
    else:
        with pytest.raises(InvalidToken):
            verify_token(token, keys_of(key), id_token_rules(), now=moment)


@given(st.text(max_size=300))
def test_any_string_is_refused_as_invalid_token(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        verify_token(garbage, StaticKeys({}), id_token_rules(), now=NOW)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)


@given(
    header=st.dictionaries(
        st.sampled_from(["alg", "kid", "typ", "crit", "jku"]), json_values, max_size=4
    ),
    payload=st.dictionaries(st.text(max_size=10), json_values, max_size=6),
    signature=st.binary(max_size=300),
)
def test_tokens_of_random_parts_are_refused_as_invalid_token(
    key: SigningKey, header: dict[str, Any], payload: dict[str, Any], signature: bytes
) -> None:
    token = ".".join(
        [
            b64url(json.dumps(header).encode()),
            b64url(json.dumps(payload).encode()),
            b64url(signature),
        ]
    )
    with pytest.raises(InvalidToken):
        verify_token(token, keys_of(key), id_token_rules(), now=NOW)


@given(overrides=st.dictionaries(st.sampled_from(sorted(claims())), json_values, min_size=1))
def test_validly_signed_tokens_with_random_claims_never_crash(
    key: SigningKey, overrides: dict[str, Any]
) -> None:
    token = key.sign_any({**claims(), **overrides})
    try:
        verify_token(token, keys_of(key), id_token_rules(), now=NOW)
    except InvalidToken:
        pass


def test_unusable_keys_in_a_jwks_are_skipped(key: SigningKey) -> None:
    document = {
        "keys": [
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            "not a key",
            key.public_jwk(),
        ]
    }
    assert list(parse_jwks(document)) == [key.kid]
    with pytest.raises(ValueError):
        parse_jwks({"keys": "none"})


# The JWKS cache, against Entra's keys endpoint faked at the HTTP level.


@pytest.fixture
def jwks_endpoint(key: SigningKey) -> Iterator[tuple[responses.RequestsMock, list[SigningKey]]]:
    published = [key]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(
            responses.GET,
            ENTRA_JWKS_URL,
            callback=lambda request: (
                200,
                {},
                json.dumps({"keys": [k.public_jwk() for k in published]}),
            ),
        )
        yield mock, published


def test_keys_are_fetched_once_and_cached_by_kid(
    jwks_endpoint: tuple[responses.RequestsMock, list[SigningKey]], key: SigningKey, clock: Clock
) -> None:
    mock, _ = jwks_endpoint
    cache = JwksCache(ENTRA_JWKS_URL, clock=clock)
    for _ in range(5):
        assert cache.signing_key(key.kid) is not None
        clock.advance(timedelta(hours=1))
    assert len(mock.calls) == 1


def test_an_unknown_kid_refreshes_the_keys_at_most_every_five_minutes(
    jwks_endpoint: tuple[responses.RequestsMock, list[SigningKey]],
    key: SigningKey,
    other_key: SigningKey,
    clock: Clock,
) -> None:
    mock, published = jwks_endpoint
    cache = JwksCache(ENTRA_JWKS_URL, clock=clock)
    assert cache.signing_key(key.kid) is not None
    for _ in range(20):  # a burst of tokens with kids nobody published
        assert cache.signing_key("forged-" + str(_)) is None
        clock.advance(timedelta(seconds=10))
    assert len(mock.calls) == 1  # the first look-up's fetch only: 200 s < 5 minutes

    published.append(other_key)  # Entra rolls over to a new key
    assert cache.signing_key(other_key.kid) is None  # not yet: the limit holds
    clock.advance(timedelta(minutes=2))
    assert cache.signing_key(other_key.kid) is not None
    assert len(mock.calls) == 2


def test_keys_are_reread_daily_so_a_withdrawn_key_stops_working(
    jwks_endpoint: tuple[responses.RequestsMock, list[SigningKey]],
    key: SigningKey,
    other_key: SigningKey,
    clock: Clock,
) -> None:
    _, published = jwks_endpoint
    cache = JwksCache(ENTRA_JWKS_URL, clock=clock)
    assert cache.signing_key(key.kid) is not None
    published[:] = [other_key]
    clock.advance(timedelta(hours=25))
    assert cache.signing_key(key.kid) is None
    assert cache.signing_key(other_key.kid) is not None


def test_an_unreachable_keys_endpoint_is_a_503_then_retried(key: SigningKey, clock: Clock) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        failing = mock.add(responses.GET, ENTRA_JWKS_URL, status=503)
        cache = JwksCache(ENTRA_JWKS_URL, clock=clock)
        with pytest.raises(UpstreamUnavailable):
            cache.signing_key(key.kid)
        with pytest.raises(UpstreamUnavailable):
            cache.signing_key(key.kid)  # within the retry delay: no new request
        assert len(mock.calls) == 1
        mock.remove(failing)
        mock.add(responses.GET, ENTRA_JWKS_URL, json={"keys": [key.public_jwk()]})
        clock.advance(timedelta(seconds=31))
        assert cache.signing_key(key.kid) is not None


def test_known_keys_keep_working_while_entra_is_unreachable(key: SigningKey, clock: Clock) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        answer = mock.add(responses.GET, ENTRA_JWKS_URL, json={"keys": [key.public_jwk()]})
        cache = JwksCache(ENTRA_JWKS_URL, clock=clock)
        assert cache.signing_key(key.kid) is not None
        mock.remove(answer)
        mock.add(responses.GET, ENTRA_JWKS_URL, body="<html>maintenance</html>", status=200)
        clock.advance(timedelta(hours=25))
        assert cache.signing_key(key.kid) is not None


@pytest.mark.parametrize("payload", [[1, 2], "claims", 42, None])
def test_a_signed_payload_that_is_not_an_object_is_refused(
    key: SigningKey, payload: object
) -> None:
    with pytest.raises(InvalidToken):
        verify_token(key.sign_any(payload), keys_of(key), id_token_rules(), now=NOW)
