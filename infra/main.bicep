// The licensing service of SecureMailMerge in one subscription-scope
// deployment: the resource group and everything in it.
//
//   az deployment sub create -l <location> -f infra/main.bicep \
//     -p environmentName=prod location=<location> stripePriceId=price_... \
//        entraClientId=<guid> addinClientId=<guid>
//
// or `azd up` (azure.yaml, infra/main.parameters.json). Secrets are not
// parameters: set them in the Key Vault afterwards (docs/deploy.md).
targetScope = 'subscription'

@description('Required. Short name of the environment in lower-case letters, digits and dashes (for example prod, staging); part of every resource name.')
@minLength(1)
@maxLength(16)
param environmentName string

@description('Required. Azure region of the resources (one that offers Flex Consumption). The Communication Services are global.')
@minLength(1)
param location string

@description('Required. Stripe price id of the per-seat subscription, price_... (STRIPE_PRICE_ID).')
@minLength(1)
param stripePriceId string

@description('Required. Application (client) id of the portal sign-in app registration (ENTRA_CLIENT_ID).')
@minLength(1)
param entraClientId string

@description('Required. Application (client) id of the add-in API app registration: the audience of add-in tokens (ADDIN_CLIENT_ID).')
@minLength(1)
param addinClientId string

@description('Optional. Application ID URI of the add-in API (ADDIN_APP_ID_URI), e.g. api://addin.example.com/<client id> for Office SSO; add-in tokens may carry it as their audience. Empty: only api://<client id> and the client id.')
param addinAppIdUri string = ''

@description('Optional. Authority of the portal sign-in (ENTRA_AUTHORITY). The default admits work and school accounts of any tenant.')
param entraAuthority string = 'https://login.microsoftonline.com/organizations'

@description('Optional. Origin of the portal (PORTAL_ORIGIN). Empty: the function app origin, https://<app>.azurewebsites.net.')
param portalOrigin string = ''

@description('Optional. Origins allowed to call the API from a browser (CORS), for example the origin that serves the add-in pages.')
param corsAllowedOrigins array = []

@description('Optional. True while the Key Vault secret license-signing-key-next holds the next certificate signing key: it is published, not yet used (docs/deploy.md, rotation).')
param licenseSigningKeyNext bool = false

@description('Optional. True while the Key Vault secret license-signing-keys-previous holds the keys that signed before the current one: published until their certificates expire (docs/deploy.md, rotation).')
param licenseSigningKeysPrevious bool = false

@description('Optional. Name of the resource group to create. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Optional. Object id of the operator who sets the Key Vault secrets; gets Key Vault Secrets Officer on the vault (azd passes the signed-in user). Empty: grant it separately.')
param operatorPrincipalId string = ''

@description('Optional. Kind of principal that operatorPrincipalId names.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

@description('Optional. Replication of the storage account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param storageSkuName string = 'Standard_GRS'

@description('Optional. Where Communication Services keep data at rest.')
param emailDataLocation string = 'United States'

@description('Optional. A custom sender domain for email (for example mail.example.com). Empty: the Azure-managed domain sends.')
param customEmailDomain string = ''

@description('Optional. True once the DNS records of customEmailDomain are verified: the custom domain is then linked and used as sender.')
param customEmailDomainVerified bool = false

@description('Optional. Largest number of instances the function app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Refuse Application Insights telemetry authenticated by the instrumentation key alone (needs the app to send with an Entra ID credential).')
param appInsightsDisableLocalAuth bool = false

@description('Optional. Tags applied to every resource, besides azd-env-name.')
param tags object = {}

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, {
  'azd-env-name': environmentName
})
var functionAppName = 'func-smm-${environmentName}-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: allTags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-smm-${environmentName}-${resourceToken}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    name: 'appi-smm-${environmentName}-${resourceToken}'
    location: location
    workspaceName: 'log-smm-${environmentName}-${resourceToken}'
    principalId: identity.outputs.principalId
    disableLocalAuth: appInsightsDisableLocalAuth
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stsmm${resourceToken}'
    location: location
    principalId: identity.outputs.principalId
    skuName: storageSkuName
    deploymentContainerName: 'app-package'
    tags: allTags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: 'kv-smm-${resourceToken}'
    location: location
    principalId: identity.outputs.principalId
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
    tags: allTags
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  scope: rg
  params: {
    name: 'acs-smm-${environmentName}-${resourceToken}'
    emailServiceName: 'ecs-smm-${environmentName}-${resourceToken}'
    principalId: identity.outputs.principalId
    dataLocation: emailDataLocation
    customDomainName: customEmailDomain
    customDomainVerified: customEmailDomainVerified
    tags: allTags
  }
}

// Uses the outputs of every other module, so it is deployed after all role
// assignments exist: the first start finds its storage, secrets and sender.
module functionApp 'modules/functionapp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    location: location
    planName: 'plan-smm-${environmentName}-${resourceToken}'
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobServiceUri: storage.outputs.blobServiceUri
    queueServiceUri: storage.outputs.queueServiceUri
    tableServiceUri: storage.outputs.tableServiceUri
    deploymentContainerName: storage.outputs.deploymentContainerName
    keyVaultUri: keyVault.outputs.vaultUri
    applicationInsightsName: monitoring.outputs.name
    acsEndpoint: communication.outputs.endpoint
    emailSender: communication.outputs.senderAddress
    stripePriceId: stripePriceId
    entraClientId: entraClientId
    entraAuthority: entraAuthority
    addinClientId: addinClientId
    addinAppIdUri: addinAppIdUri
    portalOrigin: portalOrigin
    corsAllowedOrigins: corsAllowedOrigins
    licenseSigningKeyNext: licenseSigningKeyNext
    licenseSigningKeysPrevious: licenseSigningKeysPrevious
    maximumInstanceCount: maximumInstanceCount
    tags: allTags
  }
}

var appHost = functionApp.outputs.defaultHostName

@description('Name of the resource group.')
output resourceGroupName string = rg.name

@description('Name of the function app, for func azure functionapp publish.')
output functionAppName string = functionApp.outputs.name

@description('URL of the function app.')
output functionAppUrl string = 'https://${appHost}'

@description('Endpoint to register as the Stripe webhook.')
output stripeWebhookUrl string = 'https://${appHost}/api/stripe/webhook'

@description('Web redirect URI to register on the portal sign-in app.')
output entraRedirectUri string = 'https://${appHost}/api/auth/callback'

@description('Name of the vault to set the secrets in with az keyvault secret set.')
output vaultName string = keyVault.outputs.name

@description('Resource id of the Key Vault.')
output keyVaultResourceId string = keyVault.outputs.resourceId

@description('Address the service sends email from.')
output emailSenderAddress string = communication.outputs.senderAddress

@description('Client id of the managed identity the app runs as.')
output identityClientId string = identity.outputs.clientId
