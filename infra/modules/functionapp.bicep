// The function app on the Flex Consumption plan, running as the user-assigned
// identity: storage, Key Vault references, email and telemetry all go through
// that identity, so no setting holds an account key or a connection string
// with a key.

@description('Required. Name of the function app (globally unique; its host is <name>.azurewebsites.net).')
param name string

@description('Required. Azure region of the plan and the app (a region that offers Flex Consumption).')
param location string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Required. Resource id of the user-assigned managed identity the app runs as.')
param identityResourceId string

@description('Required. Client id of that identity.')
param identityClientId string

@description('Required. Name of the storage account for the host, tables and queues.')
param storageAccountName string

@description('Required. Blob service endpoint of the storage account, without a trailing slash.')
param blobServiceUri string

@description('Required. Queue service endpoint of the storage account, without a trailing slash.')
param queueServiceUri string

@description('Required. Table service endpoint of the storage account, without a trailing slash.')
param tableServiceUri string

@description('Required. Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Required. URI of the Key Vault that holds the secrets, with a trailing slash.')
param keyVaultUri string

@description('Required. Name of the Application Insights resource the app reports to.')
param applicationInsightsName string

@description('Required. Endpoint of the Communication Service (ACS_ENDPOINT).')
param acsEndpoint string

@description('Required. Sender address of the emails (EMAIL_SENDER).')
param emailSender string

@description('Required. Stripe price id of the per-seat subscription (STRIPE_PRICE_ID).')
param stripePriceId string

@description('Required. Application (client) id of the portal sign-in app registration (ENTRA_CLIENT_ID).')
param entraClientId string

@description('Required. Authority of the portal sign-in (ENTRA_AUTHORITY).')
param entraAuthority string

@description('Required. Application (client) id of the add-in app registration, the audience of add-in tokens (ADDIN_CLIENT_ID).')
param addinClientId string

@description('Optional. Application ID URI of the add-in API (ADDIN_APP_ID_URI). Empty: only api://<client id> and the client id.')
param addinAppIdUri string = ''

@description('Optional. Origin of the portal (PORTAL_ORIGIN). Empty: the origin of the app itself, https://<default host name>.')
param portalOrigin string = ''

@description('Optional. True while the Key Vault secret license-signing-key-next holds the next certificate signing key (LICENSE_SIGNING_KEY_NEXT, published before it signs).')
param licenseSigningKeyNext bool = false

@description('Optional. True while the Key Vault secret license-signing-keys-previous holds the keys that signed before the current one (LICENSE_SIGNING_KEYS_PREVIOUS, published until their certificates expire).')
param licenseSigningKeysPrevious bool = false

@description('Optional. Origins allowed to call the API from a browser (CORS), for example the origin that hosts the add-in pages.')
param corsAllowedOrigins array = []

@description('Optional. Largest number of instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Tags applied to the plan and the app.')
param tags object = {}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // checkov:skip=CKV_AZURE_225: zone redundancy of a Flex Consumption plan is offered only in some regions and needs zone-redundant storage; the template must deploy in every Flex region.
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the app to deploy `services.api` of azure.yaml to by this tag.
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    // checkov:skip=CKV_AZURE_17: browsers, the Outlook add-in and Stripe do not present client certificates.
    // checkov:skip=CKV_AZURE_222: the API is public by design: portal users, the add-in in Outlook and Stripe call it from the internet.
    // checkov:skip=CKV_AZURE_212: numberOfWorkers does not exist on Flex Consumption; instances scale per function up to maximumInstanceCount.
    // checkov:skip=CKV_AZURE_213: App Service health check pings every instance each minute, which would keep Flex instances from scaling to zero; GET /api/health serves outside probes instead.
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    // Key Vault references are resolved with this identity (not a system-assigned one).
    keyVaultReferenceIdentity: identityResourceId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobServiceUri}/${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Every name of API.md "Settings" that applies in Azure. DEV_MODE is never
// set here: local mode is refused in Azure. FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION and WEBSITE_RUN_FROM_PACKAGE must not be set on
// Flex Consumption (functionAppConfig replaces them).
// https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
//
// checkov reads every Microsoft.Web/sites/config resource as the site
// configuration ('web'); this one holds the app settings, where the
// properties its checks look for do not exist (the skips below). checkov's
// Bicep parser accepts at most five comment lines in a row inside an object.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_13: the app authenticates every caller itself (MSAL sign-in, Entra tokens of the add-in, Stripe signatures); App Service Authentication would refuse the Stripe webhook.
  // checkov:skip=CKV_AZURE_222: publicNetworkAccess is a property of the site, not an app setting; see the site resource.
  parent: functionApp
  // checkov:skip=CKV_AZURE_63: HTTP logging is a site configuration property, not an app setting; requests are logged by Application Insights.
  // checkov:skip=CKV_AZURE_65: detailed error pages are a site configuration property, not an app setting; errors are logged by Application Insights.
  // checkov:skip=CKV_AZURE_66: failed request tracing is a site configuration property, not an app setting; requests are traced by Application Insights.
  name: 'appsettings'
  // checkov:skip=CKV_AZURE_80: a Python app; no .NET Framework version applies.
  // checkov:skip=CKV_AZURE_88: the app mounts no file share; Flex Consumption runs the package from blob storage.
  properties: {
    // Identity-based connection: https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureWebJobsStorage__accountName: storageAccountName
    AzureWebJobsStorage__blobServiceUri: blobServiceUri
    AzureWebJobsStorage__queueServiceUri: queueServiceUri
    AzureWebJobsStorage__tableServiceUri: tableServiceUri
    AZURE_CLIENT_ID: identityClientId
    PORTAL_ORIGIN: empty(portalOrigin) ? 'https://${functionApp.properties.defaultHostName}' : portalOrigin
    // Secrets: Key Vault references without a version follow the latest
    // version of the secret. https://learn.microsoft.com/azure/app-service/app-service-key-vault-references
    STRIPE_SECRET_KEY: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/stripe-secret-key/)'
    STRIPE_WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/stripe-webhook-secret/)'
    ENTRA_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/entra-client-secret/)'
    SESSION_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/session-secret/)'
    LICENSE_SIGNING_KEY: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/license-signing-key/)'
    // Rotation (docs/deploy.md): empty is unset, so a secret that does not exist is never referenced.
    LICENSE_SIGNING_KEY_NEXT: licenseSigningKeyNext ? '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/license-signing-key-next/)' : ''
    LICENSE_SIGNING_KEYS_PREVIOUS: licenseSigningKeysPrevious ? '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/license-signing-keys-previous/)' : ''
    STRIPE_PRICE_ID: stripePriceId
    ENTRA_CLIENT_ID: entraClientId
    ENTRA_AUTHORITY: entraAuthority
    ADDIN_CLIENT_ID: addinClientId
    ADDIN_APP_ID_URI: addinAppIdUri
    ACS_ENDPOINT: acsEndpoint
    EMAIL_SENDER: emailSender
    APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
    // The host sends its telemetry with the identity (Monitoring Metrics Publisher).
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  }
}

// Publishing goes through Microsoft Entra ID (az login, azd); user-name and
// password publishing for FTP and SCM stays off.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Resource id of the function app.')
output resourceId string = functionApp.id

@description('Name of the function app.')
output name string = functionApp.name

@description('Default host name of the function app.')
output defaultHostName string = functionApp.properties.defaultHostName
