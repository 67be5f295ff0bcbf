// PorBot on Azure: an Azure Bot (single-tenant app or user-assigned managed identity; new multi-tenant
// bots can no longer be created) with the Teams channel, a Linux App Service for .NET 10 that hosts
// /api/messages, a Key Vault for the bot's client secret, and a storage account for the scale-out option.
// One user-assigned managed identity reads Key Vault (so no secret is needed for that) and, with
// botAppType = 'UserAssignedMSI', is the bot's identity itself (so no client secret exists at all).
//
//   az deployment group create -g RG --template-file infra/main.bicep --parameters @infra/main.parameters.json
// See README "Deploy to Azure".

targetScope = 'resourceGroup'

@description('Base name for every resource (letters, digits, hyphens). The web app is https://<name>.azurewebsites.net unless webAppName is given.')
@minLength(3)
@maxLength(20)
param name string

@description('Region for everything except the bot, which is global.')
param location string = resourceGroup().location

@description('SingleTenant: an Entra app registration you created (botAppId + a client secret in Key Vault). UserAssignedMSI: the managed identity created here is the bot; no secret.')
@allowed([
  'SingleTenant'
  'UserAssignedMSI'
])
param botAppType string = 'SingleTenant'

@description('SingleTenant only: the Entra app (client) id of your app registration. Ignored for UserAssignedMSI.')
param botAppId string = ''

@description('SingleTenant only, optional: the client secret, stored in Key Vault as MicrosoftAppPassword. Leave empty and set it with az keyvault secret set instead, to keep it out of deployment history.')
@secure()
param botAppPassword string = ''

@description('The Entra tenant of the bot app (and of the managed identity).')
param tenantId string = subscription().tenantId

@description('Globally unique web app name; its host is the bot domain used by the Teams app package.')
param webAppName string = '${name}-${uniqueString(resourceGroup().id)}'

@description('App Service plan SKU (B1 or higher: Always On keeps proactive alerts and the first reply fast).')
param appServiceSku string = 'B1'

@description('Azure Bot pricing tier: F0 (free, standard channels such as Teams are free) or S1.')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('Optional: object id of a user or group that may set secrets in the Key Vault (for example yours: az ad signed-in-user show --query id -o tsv).')
param keyVaultOfficerPrincipalId string = ''

@description('Seed fictional sample partners into an empty registry (useful for a first test; keep false in production).')
param seedSampleData bool = false

var isMsi = botAppType == 'UserAssignedMSI'
var botSecretName = 'MicrosoftAppPassword'
var uniqueSuffix = uniqueString(resourceGroup().id, name)
// Key Vault and storage names are global, short and restricted in characters.
var keyVaultName = take('kv${replace(name, '-', '')}${uniqueSuffix}', 24)
var storageAccountName = take(toLower('st${replace(name, '-', '')}${uniqueSuffix}'), 24)
var appId = isMsi ? identity.properties.clientId : botAppId

// Built-in role definition ids.
var keyVaultSecretsUserRole = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficerRole = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
var storageBlobDataContributorRole = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageTableDataContributorRole = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var storageQueueDataContributorRole = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${name}-identity'
  location: location
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  properties: {
    tenantId: tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Access by Azure RBAC roles (below), not access policies.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    publicNetworkAccess: 'Enabled'
  }
}

resource botSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!isMsi && !empty(botAppPassword)) {
  parent: keyVault
  name: botSecretName
  properties: {
    value: botAppPassword
    contentType: 'Entra client secret of the bot app'
  }
}

resource identityReadsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, identity.id, keyVaultSecretsUserRole)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRole)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource officerSetsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(keyVaultOfficerPrincipalId)) {
  name: guid(keyVault.id, keyVaultOfficerPrincipalId, keyVaultSecretsOfficerRole)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRole)
    principalId: keyVaultOfficerPrincipalId
  }
}

// For the scale-out option (several instances sharing state); the identity gets data roles, so no account key is needed.
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
  }
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [storageBlobDataContributorRole, storageTableDataContributorRole, storageQueueDataContributorRole]: {
    name: guid(storage.id, identity.id, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${name}-plan'
  location: location
  kind: 'linux'
  sku: {
    name: appServiceSku
  }
  properties: {
    reserved: true // Linux
  }
}

// The keys PorBot reads (README "Configuration"); '__' stands for ':' in app settings.
var authSettings = [
  {
    name: 'MicrosoftAppType'
    value: botAppType
  }
  {
    name: 'MicrosoftAppId'
    value: appId
  }
  {
    name: 'MicrosoftAppTenantId'
    value: tenantId
  }
]
// A Key Vault reference without a version always resolves to the latest secret, so rotating it needs no redeploy.
var secretSettings = isMsi
  ? []
  : [
      {
        name: 'MicrosoftAppPassword'
        value: '@Microsoft.KeyVault(VaultName=${keyVault.name};SecretName=${botSecretName})'
      }
    ]
var appSettings = [
  // /home is App Service's persistent storage on Linux; the rest of the file system is reset on restart.
  {
    name: 'ConnectionStrings__PorBot'
    value: 'Data Source=/home/data/porbot.db'
  }
  {
    name: 'Storage__SeedSampleData'
    value: string(seedSampleData)
  }
  {
    name: 'WEBSITES_ENABLE_APP_SERVICE_STORAGE'
    value: 'true'
  }
  {
    name: 'ASPNETCORE_ENVIRONMENT'
    value: 'Production'
  }
]

resource webApp 'Microsoft.Web/sites@2023-12-01' = {
  name: webAppName
  location: location
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references are resolved with the user-assigned identity (it holds Key Vault Secrets User).
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      linuxFxVersion: 'DOTNETCORE|10.0'
      alwaysOn: true
      http20Enabled: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      healthCheckPath: '/healthz'
      appSettings: concat(authSettings, secretSettings, appSettings)
    }
  }
  dependsOn: [
    identityReadsSecrets
  ]
}

var messagingEndpoint = 'https://${webApp.properties.defaultHostName}/api/messages'

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: '${name}-bot'
  location: 'global'
  kind: 'azurebot'
  sku: {
    name: botSku
  }
  properties: {
    displayName: 'PorBot'
    description: 'Partner of Record guidance and POR and partner ID lookups'
    endpoint: messagingEndpoint
    msaAppType: botAppType
    msaAppId: appId
    msaAppTenantId: tenantId
    msaAppMSIResourceId: isMsi ? identity.id : null
    disableLocalAuth: false
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
    }
  }
}

@description('Pass to manifest/build-package as --app-id (BOT_APP_ID).')
output botAppId string = appId

@description('Pass to manifest/build-package as --domain (BOT_DOMAIN).')
output botDomain string = webApp.properties.defaultHostName

output messagingEndpoint string = messagingEndpoint
output webAppName string = webApp.name
output keyVaultName string = keyVault.name
output storageAccountName string = storage.name
output identityClientId string = identity.properties.clientId
