// The storage account behind the service: the tables and queues of the
// licensing data, the Functions host's own state, and the Flex Consumption
// deployment package. Reached only through Microsoft Entra ID (no shared key).

@description('Required. Name of the storage account (3-24 lower-case letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region of the storage account.')
param location string

@description('Required. Object id of the service principal of the function app identity; it gets data-plane roles on the account.')
param principalId string

@description('Optional. Tags applied to the storage account.')
param tags object = {}

@description('Optional. Replication of the account. Geo-redundant by default: it holds the license data.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param skuName string = 'Standard_GRS'

@description('Optional. Name of the blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string = 'app-package'

@description('Optional. Days that deleted blobs and containers are kept before they are purged.')
@minValue(1)
@maxValue(365)
param deleteRetentionDays int = 7

// The service's tables and queues (see shared/ in the app). The poison queues
// are created here too so that their alerts and metrics exist before the
// first message fails.
var tableNames = [
  'subscriptions'
  'licenselookup'
  'sessions'
  'directory'
]
var queueNames = [
  'emails'
  'emails-poison'
  'licensesync'
  'licensesync-poison'
]

// Built-in roles: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage
// Blob Data Owner (not Contributor) because the Functions host manages blob
// leases and containers of its own (azure-webjobs-hosts) besides the package.
var roleDefinitionIds = [
  subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3') // Storage Table Data Contributor
  subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '974c5e8b-45b9-4653-ba55-5f855dd0fb88') // Storage Queue Data Contributor
  subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b') // Storage Blob Data Owner
]

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    // The function app has no virtual network, so it reaches the account over
    // its public endpoint; what keeps others out is Entra ID: no shared key,
    // no anonymous blob access, data roles for the app identity only.
    // checkov:skip=CKV_AZURE_59: public endpoint needed, the app has no virtual network; access is by Entra ID role only (shared keys off).
    // checkov:skip=CKV_AZURE_35: a default Deny rule would lock out the function app, which has no virtual network; access is by Entra ID role only.
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    isLocalUserEnabled: false
    isSftpEnabled: false
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    supportsHttpsTrafficOnly: true
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storageAccount
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storageAccount
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for tableName in tableNames: {
  parent: tableService
  name: tableName
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storageAccount
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queueName in queueNames: {
  parent: queueService
  name: queueName
}]

resource roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleDefinitionId in roleDefinitionIds: {
  name: guid(storageAccount.id, principalId, roleDefinitionId)
  scope: storageAccount
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: roleDefinitionId
  }
}]

@description('Resource id of the storage account.')
output resourceId string = storageAccount.id

@description('Name of the storage account.')
output name string = storageAccount.name

@description('Blob service endpoint, without a trailing slash.')
output blobServiceUri string = 'https://${storageAccount.name}.blob.${environment().suffixes.storage}'

@description('Queue service endpoint, without a trailing slash.')
output queueServiceUri string = 'https://${storageAccount.name}.queue.${environment().suffixes.storage}'

@description('Table service endpoint, without a trailing slash.')
output tableServiceUri string = 'https://${storageAccount.name}.table.${environment().suffixes.storage}'

@description('Name of the blob container for the deployment package.')
output deploymentContainerName string = deploymentContainer.name
