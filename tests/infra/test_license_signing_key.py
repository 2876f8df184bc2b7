"""The certificate signing key in the templates: LICENSE_SIGNING_KEY always from Key Vault, the
rotation's next and previous keys referenced only while their parameters say the secrets exist
(an unresolved reference would stop the app at start-up)."""

from __future__ import annotations

from typing import Any

import pytest
from pycep import BicepParser

from tests.infra.test_templates import BICEP_FILES, INFRA, Template, app_settings


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    parser = BicepParser()
    return {
        path.relative_to(INFRA).as_posix(): parser.parse(file_path=path) for path in BICEP_FILES
    }


def reference(secret: str) -> str:
    return f"@Microsoft.KeyVault(SecretUri=${{keyVaultUri}}secrets/{secret}/)"


def test_the_signing_key_is_a_key_vault_reference(templates: dict[str, Template]) -> None:
    assert app_settings(templates)["LICENSE_SIGNING_KEY"] == reference("license-signing-key")


@pytest.mark.parametrize(
    ("setting", "parameter", "secret"),
    [
        ("LICENSE_SIGNING_KEY_NEXT", "licenseSigningKeyNext", "license-signing-key-next"),
        (
            "LICENSE_SIGNING_KEYS_PREVIOUS",
            "licenseSigningKeysPrevious",
            "license-signing-keys-previous",
        ),
    ],
)
def test_rotation_keys_are_referenced_only_while_switched_on(
    templates: dict[str, Template], setting: str, parameter: str, secret: str
) -> None:
    value: Any = app_settings(templates)[setting]
    operands = value["operator"]["operands"]
    assert value["operator"]["type"] == "conditional"
    assert operands == {
        "condition": parameter,
        "true_value": reference(secret),
        "false_value": "",
    }
    for file in ("main.bicep", "modules/functionapp.bicep"):
        declared = templates[file]["parameters"][parameter]
        assert declared["type"] == "bool" and declared["default"] is False, file
    passed = templates["main.bicep"]["modules"]["functionApp"]["config"]["params"]
    assert passed[parameter] == parameter
