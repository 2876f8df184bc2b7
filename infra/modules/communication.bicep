// Azure Communication Services for the welcome and invitation emails: an Email
// Communication Service with an Azure-managed domain (always created; it works
// without DNS changes), optionally a custom domain, and the Communication
// Service they are linked to. The app sends with EmailClient through its
// managed identity; there is no connection string with an access key.

@description('Required. Name of the Communication Service (globally unique).')
param name string

@description('Optional. Location of the Communication Services resources; they are global resources.')
param location string = 'global'

@description('Required. Name of the Email Communication Service.')
param emailServiceName string

@description('Required. Object id of the service principal of the function app identity; it gets the role that lets it send email.')
param principalId string

@description('Optional. Where the Communication Services keep data at rest.')
@allowed([
  'Africa'
  'Asia Pacific'
  'Australia'
  'Brazil'
  'Canada'
  'Europe'
  'France'
  'Germany'
  'India'
  'Japan'
  'Korea'
  'Norway'
  'Switzerland'
  'UAE'
  'UK'
  'United States'
])
param dataLocation string = 'United States'

@description('Optional. A custom sender domain (for example mail.example.com). Empty: only the Azure-managed domain is used.')
param customDomainName string = ''

@description('Optional. Set to true once the DNS records of customDomainName are verified: the custom domain is then linked and becomes the sender. An unverified domain cannot be linked.')
param customDomainVerified bool = false

@description('Optional. Tags applied to the resources.')
param tags object = {}

var useCustomDomain = !empty(customDomainName) && customDomainVerified

// No data-plane role exists for sending email. Of the built-in roles that
// allow it, "Communication and Email Service Owner" is the narrowest: it
// covers only Microsoft.Communication actions, where Contributor covers every
// resource type in scope. Custom roles are not honoured by the email data
// plane, so a still narrower role cannot be built.
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/integration#communication-and-email-service-owner
var emailSenderRoleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '09976791-48a7-449e-bb21-39d1a415f350')

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: location
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource managedDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: location
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource customDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = if (!empty(customDomainName)) {
  parent: emailService
  name: empty(customDomainName) ? 'unused' : customDomainName
  location: location
  tags: tags
  properties: {
    domainManagement: 'CustomerManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource customSender 'Microsoft.Communication/emailServices/domains/senderUsernames@2023-04-01' = if (!empty(customDomainName)) {
  parent: customDomain
  name: 'donotreply'
  properties: {
    username: 'DoNotReply'
    displayName: 'SecureMailMerge'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: useCustomDomain ? [
      managedDomain.id
      customDomain.id
    ] : [
      managedDomain.id
    ]
  }
}

resource emailSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communicationService.id, principalId, emailSenderRoleDefinitionId)
  scope: communicationService
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: emailSenderRoleDefinitionId
  }
}

@description('Resource id of the Communication Service.')
output resourceId string = communicationService.id

@description('Resource id of the Email Communication Service.')
output emailServiceResourceId string = emailService.id

@description('Endpoint of the Communication Service: ACS_ENDPOINT.')
output endpoint string = 'https://${communicationService.properties.hostName}'

@description('Sender address of the emails: EMAIL_SENDER.')
output senderAddress string = 'DoNotReply@${useCustomDomain ? customDomainName : managedDomain.properties.mailFromSenderDomain}'

@description('Domain the Azure-managed domain sends from.')
output managedSenderDomain string = managedDomain.properties.mailFromSenderDomain
