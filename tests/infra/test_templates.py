"""Static checks of the Bicep templates in infra/, on their parsed form.

Bicep's own compiler cannot be installed here, so the templates are parsed
with pycep and these tests assert what a deployment must guarantee: identity
instead of keys, secrets only as Key Vault references, hardened storage and
app, role assignments named by guid(), described parameters, and outputs
that carry no secret. No network is needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycep import BicepParser

INFRA = Path(__file__).resolve().parents[2] / "infra"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))

Template = dict[str, Any]

# Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
COMMUNICATION_AND_EMAIL_SERVICE_OWNER = "09976791-48a7-449e-bb21-39d1a415f350"

# API.md "Settings", as the function app sees them in Azure.
EXPECTED_APP_SETTINGS = {
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "AzureWebJobsStorage__accountName",
    "AzureWebJobsStorage__tableServiceUri",
    "AzureWebJobsStorage__queueServiceUri",
    "AzureWebJobsStorage__blobServiceUri",
    "PORTAL_ORIGIN",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_PRICE_ID",
    "ENTRA_CLIENT_ID",
    "ENTRA_CLIENT_SECRET",
    "ENTRA_AUTHORITY",
    "ADDIN_CLIENT_ID",
    "ACS_ENDPOINT",
    "EMAIL_SENDER",
    "SESSION_SECRET",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "AZURE_CLIENT_ID",
}
SECRET_SETTINGS = {
    "STRIPE_SECRET_KEY": "stripe-secret-key",
    "STRIPE_WEBHOOK_SECRET": "stripe-webhook-secret",
    "ENTRA_CLIENT_SECRET": "entra-client-secret",
    "SESSION_SECRET": "session-secret",
}


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    parser = BicepParser()
    return {
        path.relative_to(INFRA).as_posix(): parser.parse(file_path=path) for path in BICEP_FILES
    }


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return {path.relative_to(INFRA).as_posix(): path.read_text() for path in BICEP_FILES}


# --- helpers over pycep's JSON -------------------------------------------------


def body(resource: dict[str, Any]) -> dict[str, Any]:
    """The object of a resource or module, unwrapped from `[for ...]` and `if (...)`."""
    config = resource["config"]
    while "config" in config and ("loop_type" in config or "condition" in config):
        config = config["config"]
    return config


def resources(templates: dict[str, Template], type_: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(file, symbolic name, body) of every resource of one type that a template deploys."""
    found = []
    for file, template in templates.items():
        for name, resource in template.get("resources", {}).items():
            if resource["type"].lower() == type_.lower() and not resource["existing"]:
                found.append((file, name, body(resource)))
    return found


def only(templates: dict[str, Template], type_: str) -> dict[str, Any]:
    found = resources(templates, type_)
    assert len(found) == 1, f"expected one {type_}, found {[(f, n) for f, n, _ in found]}"
    return found[0][2]


def accessor(value: Any) -> list[str]:
    """`a.b.c` as ['a', 'b', 'c']; [] when value is not a property access."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and value.get("operator", {}).get("type") == "property_accessor":
        operands = value["operator"]["operands"]
        return accessor(operands["operand_1"]) + accessor(operands["operand_2"])
    return []


def walk(value: Any) -> Iterator[Any]:
    """Every key and value in a parsed template, depth first."""
    yield value
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def description(parameter: dict[str, Any]) -> str | None:
    for decorator in parameter.get("decorators", []):
        if decorator["type"] == "description":
            return str(decorator["argument"])
    return None


def has_default(parameter: dict[str, Any]) -> bool:
    # pycep gives a literal '' default as "" and no default as None.
    return parameter.get("default") is not None


def module_file(module: dict[str, Any]) -> str:
    return str(module["detail"]["path"])


def app_settings(templates: dict[str, Template]) -> dict[str, Any]:
    configs = [
        conf
        for _, _, conf in resources(templates, "Microsoft.Web/sites/config")
        if conf["name"] == "appsettings"
    ]
    assert len(configs) == 1
    return dict(configs[0]["properties"])


def function_app(templates: dict[str, Template]) -> dict[str, Any]:
    return only(templates, "Microsoft.Web/sites")


def role_definition_guids(
    template: Template, expression: Any, loop: dict[str, Any] | None
) -> set[str]:
    """GUIDs a roleDefinitionId expression can take: a variable, a loop item or a literal call."""
    if isinstance(expression, str):
        if loop and expression == loop["item_name"]:
            values = template["variables"][loop["array_name"]]["value"]
            return set().union(*(role_definition_guids(template, v, None) for v in values))
        if expression in template.get("variables", {}):
            return role_definition_guids(template, template["variables"][expression]["value"], None)
        return set()
    function = expression.get("function", {}) if isinstance(expression, dict) else {}
    if function.get("type") == "subscription_resource_id":
        parameters = function["parameters"]
        assert parameters["resource_type"] == "Microsoft.Authorization/roleDefinitions"
        return {parameters["resource_name_1"]}
    return set()


# --- the set of templates --------------------------------------------------------


def test_every_template_parses(templates: dict[str, Template]) -> None:
    assert "main.bicep" in templates
    assert {
        "modules/functionapp.bicep",
        "modules/storage.bicep",
        "modules/keyvault.bicep",
        "modules/communication.bicep",
        "modules/monitoring.bicep",
        "modules/identity.bicep",
    } <= set(templates)


def test_main_targets_the_subscription_and_creates_the_resource_group(
    templates: dict[str, Template],
) -> None:
    main = templates["main.bicep"]
    assert main["globals"]["scope"]["value"] == "subscription"
    assert [
        name
        for name, r in main["resources"].items()
        if r["type"] == "Microsoft.Resources/resourceGroups"
    ] == ["rg"]
    for name, module in main["modules"].items():
        assert body(module)["scope"] == "rg", name


def test_main_passes_every_required_module_parameter_and_no_unknown_one(
    templates: dict[str, Template],
) -> None:
    main = templates["main.bicep"]
    for name, module in main["modules"].items():
        target = templates[module_file(module)]["parameters"]
        passed = set(body(module)["params"])
        required = {p for p, spec in target.items() if not has_default(spec)}
        assert required <= passed, f"{name} misses {required - passed}"
        assert passed <= set(target), f"{name} passes unknown {passed - set(target)}"


def test_main_reads_only_outputs_that_its_modules_declare(templates: dict[str, Template]) -> None:
    main = templates["main.bicep"]
    modules = main["modules"]
    seen = 0
    for value in walk(main):
        path = accessor(value)
        if len(path) >= 3 and path[0] in modules and path[1] == "outputs":
            declared = templates[module_file(modules[path[0]])]["outputs"]
            assert path[2] in declared, f"{path[0]} has no output {path[2]}"
            seen += 1
    assert seen >= 10


def test_parameters_file_matches_main(templates: dict[str, Template]) -> None:
    main_parameters = templates["main.bicep"]["parameters"]
    given = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(given) <= set(main_parameters)
    required = {p for p, spec in main_parameters.items() if not has_default(spec)}
    assert required <= set(given)


# --- conventions -----------------------------------------------------------------


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.relative_to(INFRA).as_posix())
def test_every_parameter_is_described_as_required_or_optional(path: Path) -> None:
    parameters = BicepParser().parse(file_path=path)["parameters"]
    assert parameters
    for name, parameter in parameters.items():
        text = description(parameter)
        assert text is not None, f"{name} has no @description"
        assert text.startswith(("Required. ", "Optional. ")), f"{name}: {text!r}"
        # 'Required.' means the caller must pass it; 'Optional.' has a default.
        assert text.startswith("Optional.") == has_default(parameter), name
        assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", name), f"{name} is not lowerCamelCase"


def test_main_starts_with_environment_name_and_location(templates: dict[str, Template]) -> None:
    assert list(templates["main.bicep"]["parameters"])[:2] == ["environmentName", "location"]


def test_no_parameter_carries_a_secret(templates: dict[str, Template]) -> None:
    for file, template in templates.items():
        for name, parameter in template["parameters"].items():
            assert not re.search(r"secret|password", name, re.I), f"{file}: {name}"
            secure = any(d["type"] == "secure" for d in parameter.get("decorators", []))
            assert not (secure and has_default(parameter)), f"{file}: {name}"


def test_outputs_carry_no_secret(templates: dict[str, Template]) -> None:
    for file, template in templates.items():
        for name, output in template.get("outputs", {}).items():
            if not name.endswith("ResourceId") and name != "resourceId":
                assert not re.search(r"secret|key|password", name, re.I), f"{file}: {name}"
            assert not any(
                isinstance(v, str) and "ConnectionString" in v for v in walk(output["value"])
            ), f"{file}: {name} outputs a connection string"


def test_no_account_key_or_list_call_anywhere(sources: dict[str, str]) -> None:
    for file, text in sources.items():
        assert not re.search(r"accountkey", text, re.I), file
        assert not re.search(r"\blist[A-Z]\w*\s*\(", text), file
        assert "getSecret(" not in text, file


# --- storage -----------------------------------------------------------------------


def test_storage_account_is_reached_by_identity_over_tls_1_2_only(
    templates: dict[str, Template],
) -> None:
    properties = only(templates, "Microsoft.Storage/storageAccounts")["properties"]
    assert properties["allowSharedKeyAccess"] is False
    assert properties["allowBlobPublicAccess"] is False
    assert properties["minimumTlsVersion"] == "TLS1_2"
    assert properties["supportsHttpsTrafficOnly"] is True


def test_storage_has_the_service_tables_queues_and_package_container(
    templates: dict[str, Template],
) -> None:
    storage = templates["modules/storage.bicep"]

    def loop_names(type_: str) -> set[str]:
        (resource,) = [r for r in storage["resources"].values() if r["type"] == type_]
        loop = resource["config"]["loop_type"]["detail"]
        assert body(resource)["name"] == loop["item_name"]
        return set(storage["variables"][loop["array_name"]]["value"])

    assert loop_names("Microsoft.Storage/storageAccounts/tableServices/tables") == {
        "subscriptions",
        "licenselookup",
        "sessions",
        "directory",
    }
    assert loop_names("Microsoft.Storage/storageAccounts/queueServices/queues") == {
        "emails",
        "emails-poison",
        "licensesync",
        "licensesync-poison",
    }
    container = only(templates, "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert container["properties"]["publicAccess"] == "None"
    assert "deploymentContainer" in accessor(storage["outputs"]["deploymentContainerName"]["value"])


# --- role assignments ----------------------------------------------------------------


def test_role_assignments_are_named_by_guid_of_scope_principal_and_role(
    templates: dict[str, Template],
) -> None:
    assignments = resources(templates, "Microsoft.Authorization/roleAssignments")
    assert len(assignments) >= 5
    for file, name, conf in assignments:
        guid = conf["name"]["function"]
        assert guid["type"] == "guid", f"{file}: {name}"
        parameters = guid["parameters"]
        assert accessor(parameters["base_string"]) == [conf["scope"], "id"], f"{file}: {name}"
        assert parameters["extra_string_1"] == conf["properties"]["principalId"], f"{file}: {name}"
        assert parameters["extra_string_2"] == conf["properties"]["roleDefinitionId"], (
            f"{file}: {name}"
        )
        if conf["properties"]["principalId"] == "principalId":
            assert conf["properties"]["principalType"] == "ServicePrincipal", f"{file}: {name}"


def test_app_identity_gets_storage_key_vault_and_email_roles(
    templates: dict[str, Template],
) -> None:
    granted: dict[str, set[str]] = {}
    for file, template in templates.items():
        for resource in template.get("resources", {}).values():
            if resource["type"] != "Microsoft.Authorization/roleAssignments":
                continue
            conf = body(resource)
            if conf["properties"]["principalId"] != "principalId":
                continue
            loop = resource["config"].get("loop_type")
            guids = role_definition_guids(
                template, conf["properties"]["roleDefinitionId"], loop and loop["detail"]
            )
            granted.setdefault(file, set()).update(guids)
    assert granted["modules/storage.bicep"] == {
        TABLE_DATA_CONTRIBUTOR,
        QUEUE_DATA_CONTRIBUTOR,
        BLOB_DATA_OWNER,
    }
    assert granted["modules/keyvault.bicep"] == {KEY_VAULT_SECRETS_USER}
    assert granted["modules/communication.bicep"] == {COMMUNICATION_AND_EMAIL_SERVICE_OWNER}
    # Every module gets the principal id of the one identity the app runs as.
    for name, module in templates["main.bicep"]["modules"].items():
        principal = body(module)["params"].get("principalId")
        if principal is not None:
            assert accessor(principal) == ["identity", "outputs", "principalId"], name


# --- Key Vault -------------------------------------------------------------------


def test_key_vault_uses_rbac_soft_delete_and_purge_protection(
    templates: dict[str, Template],
) -> None:
    properties = only(templates, "Microsoft.KeyVault/vaults")["properties"]
    assert properties["enableRbacAuthorization"] is True
    assert properties["enableSoftDelete"] is True
    assert properties["enablePurgeProtection"] is True
    assert "accessPolicies" not in properties


def test_templates_create_no_secret(templates: dict[str, Template]) -> None:
    assert resources(templates, "Microsoft.KeyVault/vaults/secrets") == []


# --- function app ------------------------------------------------------------------


def test_function_app_runs_on_flex_consumption_with_python_3_11(
    templates: dict[str, Template],
) -> None:
    plan = only(templates, "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True
    config = function_app(templates)["properties"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityResourceId",
    }


def test_function_app_is_hardened(templates: dict[str, Template]) -> None:
    app = function_app(templates)
    properties = app["properties"]
    assert properties["httpsOnly"] is True
    assert properties["siteConfig"]["minTlsVersion"] == "1.2"
    assert properties["siteConfig"]["ftpsState"] == "Disabled"
    assert app["identity"]["type"] == "UserAssigned"
    assert list(app["identity"]["userAssignedIdentities"]) == ["'${identityResourceId}'"]
    # Key Vault references are resolved with the user-assigned identity.
    assert properties["keyVaultReferenceIdentity"] == "identityResourceId"


def test_basic_publishing_credentials_are_off(templates: dict[str, Template]) -> None:
    policies = resources(templates, "Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    assert {conf["name"]: conf["properties"]["allow"] for _, _, conf in policies} == {
        "ftp": False,
        "scm": False,
    }


def test_app_settings_name_every_setting_of_the_api(templates: dict[str, Template]) -> None:
    settings = app_settings(templates)
    assert EXPECTED_APP_SETTINGS <= set(settings)
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AzureWebJobsStorage__clientId"] == "identityClientId"
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"
    # A bare AzureWebJobsStorage would be a connection string.
    assert "AzureWebJobsStorage" not in settings
    assert settings["ACS_ENDPOINT"] == "acsEndpoint"
    assert settings["EMAIL_SENDER"] == "emailSender"
    assert accessor(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]) == [
        "applicationInsights",
        "properties",
        "ConnectionString",
    ]


def test_secret_settings_are_key_vault_references(templates: dict[str, Template]) -> None:
    settings = app_settings(templates)
    for setting, secret in SECRET_SETTINGS.items():
        assert settings[setting] == (
            f"@Microsoft.KeyVault(SecretUri=${{keyVaultUri}}secrets/{secret}/)"
        ), setting


def test_dev_mode_is_never_set(templates: dict[str, Template]) -> None:
    assert "DEV_MODE" not in app_settings(templates)
    for file, template in templates.items():
        assert not any(isinstance(v, str) and "DEV_MODE" in v for v in walk(template)), file


def test_flex_consumption_deprecated_settings_are_absent(templates: dict[str, Template]) -> None:
    settings = app_settings(templates)
    for name in (
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "AzureWebJobsStorage",
    ):
        assert name not in settings


# --- email and monitoring ----------------------------------------------------------------


def test_email_uses_a_linked_azure_managed_domain_and_do_not_reply_sender(
    templates: dict[str, Template],
) -> None:
    domains = resources(templates, "Microsoft.Communication/emailServices/domains")
    managed = [
        (name, conf)
        for _, name, conf in domains
        if conf["properties"]["domainManagement"] == "AzureManaged"
    ]
    assert len(managed) == 1
    managed_name = managed[0][0]
    service = only(templates, "Microsoft.Communication/communicationServices")
    linked = service["properties"]["linkedDomains"]
    branches = linked["operator"]["operands"] if isinstance(linked, dict) else {"value": linked}
    for branch in branches.values():
        if isinstance(branch, list):
            assert [managed_name, "id"] in [accessor(item) for item in branch]
    sender = templates["modules/communication.bicep"]["outputs"]["senderAddress"]["value"]
    assert sender.startswith("DoNotReply@${")
    main_app = body(templates["main.bicep"]["modules"]["functionApp"])["params"]
    assert accessor(main_app["acsEndpoint"]) == ["communication", "outputs", "endpoint"]
    assert accessor(main_app["emailSender"]) == ["communication", "outputs", "senderAddress"]


def test_application_insights_is_workspace_based(templates: dict[str, Template]) -> None:
    component = only(templates, "Microsoft.Insights/components")
    assert accessor(component["properties"]["WorkspaceResourceId"]) == ["workspace", "id"]
    assert only(templates, "Microsoft.OperationalInsights/workspaces")


def test_main_outputs_the_urls_to_register(templates: dict[str, Template]) -> None:
    outputs = templates["main.bicep"]["outputs"]
    assert outputs["functionAppUrl"]["value"] == "https://${appHost}"
    assert outputs["stripeWebhookUrl"]["value"] == "https://${appHost}/api/stripe/webhook"
    assert outputs["entraRedirectUri"]["value"] == "https://${appHost}/api/auth/callback"
    assert accessor(templates["main.bicep"]["variables"]["appHost"]["value"]) == [
        "functionApp",
        "outputs",
        "defaultHostName",
    ]
