// Log Analytics workspace and a workspace-based Application Insights resource.
// The function app reads the connection string from this resource itself
// (an `existing` reference), so it is never a deployment output.

@description('Required. Name of the Application Insights resource.')
param name string

@description('Required. Azure region of the workspace and Application Insights.')
param location string

@description('Required. Name of the Log Analytics workspace.')
param workspaceName string

@description('Required. Object id of the service principal of the function app identity; it gets Monitoring Metrics Publisher to send telemetry with Entra ID.')
param principalId string

@description('Optional. Days that logs are retained in the workspace.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Optional. Refuse telemetry authenticated by the instrumentation key alone. Only turn this on once the app passes an Entra ID credential to azure-monitor-opentelemetry.')
param disableLocalAuth bool = false

@description('Optional. Tags applied to both resources.')
param tags object = {}

// https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
var metricsPublisherRoleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '3913510d-42f4-4e42-8a64-420c390055eb')

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: name
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: disableLocalAuth
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, metricsPublisherRoleDefinitionId)
  scope: applicationInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: metricsPublisherRoleDefinitionId
  }
}

@description('Resource id of Application Insights.')
output resourceId string = applicationInsights.id

@description('Name of Application Insights.')
output name string = applicationInsights.name

@description('Resource id of the Log Analytics workspace.')
output workspaceResourceId string = workspace.id
