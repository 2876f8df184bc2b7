// The Key Vault that holds the service's secrets. The template creates no
// secret: the operator sets them with `az keyvault secret set` (docs/deploy.md),
// so no secret ever passes through a parameter, the deployment history or an
// output. The app reads them through Key Vault references.

@description('Required. Name of the Key Vault (3-24 letters, digits and dashes, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region of the Key Vault.')
param location string

@description('Required. Object id of the service principal of the function app identity; it gets Key Vault Secrets User (read secret values).')
param principalId string

@description('Optional. Object id of the operator who sets the secrets; gets Key Vault Secrets Officer. Leave empty to grant that role separately.')
param operatorPrincipalId string = ''

@description('Optional. Kind of principal that operatorPrincipalId names.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

@description('Optional. Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Optional. Tags applied to the Key Vault.')
param tags object = {}

// https://learn.microsoft.com/azure/key-vault/general/rbac-guide#azure-built-in-roles-for-key-vault-data-plane-operations
var secretsUserRoleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
var secretsOfficerRoleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7')

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // checkov:skip=CKV_AZURE_109: without a virtual network, App Service resolves Key Vault references over the public endpoint and is not a trusted service that a firewall bypass admits; access is by Entra ID role only (RBAC mode).
    // checkov:skip=CKV_AZURE_189: same reason: the app (no virtual network) and the operator setting secrets reach the vault over its public endpoint.
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsUserRoleDefinitionId)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: secretsUserRoleDefinitionId
  }
}

resource operatorSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(vault.id, operatorPrincipalId, secretsOfficerRoleDefinitionId)
  scope: vault
  properties: {
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
    roleDefinitionId: secretsOfficerRoleDefinitionId
  }
}

@description('Resource id of the Key Vault.')
output resourceId string = vault.id

@description('Name of the Key Vault.')
output name string = vault.name

@description('URI of the Key Vault, with a trailing slash.')
output vaultUri string = vault.properties.vaultUri
