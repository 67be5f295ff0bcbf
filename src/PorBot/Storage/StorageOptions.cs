using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace PorBot.Storage;

/// <summary>
/// Section <c>Storage</c>: where PorBot keeps its state. <c>Sqlite</c> (default) is one embedded file
/// (<c>ConnectionStrings:PorBot</c>) for one instance; <c>AzureStorage</c> keeps the shared state in Azure
/// Tables so several instances behind a load balancer see the same registry, conversations and dialogs.
/// </summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";
    public const string SqliteProvider = "Sqlite";
    public const string AzureStorageProvider = "AzureStorage";
    public const string DefaultConnectionString = "Data Source=data/porbot.db";

    public string Provider { get; set; } = SqliteProvider;

    /// <summary>Seed a few sample partners and subscriptions into an empty registry, so a first run has something to show.</summary>
    public bool SeedSampleData { get; set; } = true;

    /// <summary>Section <c>Storage:Azure</c>, read when <see cref="Provider"/> is <c>AzureStorage</c>.</summary>
    public AzureStorageOptions Azure { get; set; } = new();

    public bool IsAzureStorage => string.Equals(Provider, AzureStorageProvider, StringComparison.OrdinalIgnoreCase);

    /// <summary>Read once at registration: the provider cannot change while running.</summary>
    public static bool IsAzureStorageConfigured(IConfiguration configuration) =>
        string.Equals(configuration[$"{SectionName}:{nameof(Provider)}"], AzureStorageProvider, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// How to reach Azure Storage: either <c>ConnectionStrings:AzureStorage</c> (an account key or SAS
/// connection string, or Azurite's development account), or the table and queue service URLs with an
/// Entra credential (managed identity in Azure, developer sign-in locally).
/// </summary>
public sealed class AzureStorageOptions
{
    public const string ConnectionStringName = "AzureStorage";
    public const string DefaultCredential = "Default";
    public const string ManagedIdentityCredential = "ManagedIdentity";

    /// <summary>From <c>ConnectionStrings:AzureStorage</c>, not from this section (secrets live with connection strings).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>e.g. <c>https://porbotstate.table.core.windows.net</c>; used with a credential instead of a connection string.</summary>
    public string? TableServiceUri { get; set; }

    /// <summary>e.g. <c>https://porbotstate.queue.core.windows.net</c>.</summary>
    public string? QueueServiceUri { get; set; }

    /// <summary><c>Default</c> (DefaultAzureCredential: managed identity in Azure, az/VS sign-in locally) or <c>ManagedIdentity</c> only.</summary>
    public string Credential { get; set; } = DefaultCredential;

    /// <summary>Client id of a user-assigned managed identity; empty for the system-assigned one.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Put before every table (and later queue) name, so several deployments or test runs can share one account.</summary>
    public string TablePrefix { get; set; } = "PorBot";

    public bool UsesConnectionString => !string.IsNullOrWhiteSpace(ConnectionString);
}

/// <summary>Start-up validation, with messages that name the key to fix.</summary>
public sealed partial class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions o)
    {
        var problems = new List<string>();
        var isSqlite = string.Equals(o.Provider, StorageOptions.SqliteProvider, StringComparison.OrdinalIgnoreCase);
        if (!isSqlite && !o.IsAzureStorage)
        {
            problems.Add($"Storage:Provider must be 'Sqlite' or 'AzureStorage' (was '{o.Provider}').");
        }

        if (o.IsAzureStorage) ValidateAzure(o.Azure, problems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void ValidateAzure(AzureStorageOptions azure, List<string> problems)
    {
        var hasUris = !string.IsNullOrWhiteSpace(azure.TableServiceUri) || !string.IsNullOrWhiteSpace(azure.QueueServiceUri);
        if (azure.UsesConnectionString && hasUris)
        {
            problems.Add("Storage:Provider=AzureStorage takes either ConnectionStrings:AzureStorage or Storage:Azure:TableServiceUri/QueueServiceUri, not both.");
        }
        else if (azure.UsesConnectionString)
        {
            try
            {
                // The clients parse the connection string in their constructors and send nothing.
                _ = new TableServiceClient(azure.ConnectionString);
                _ = new QueueServiceClient(azure.ConnectionString);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
            {
                // The exception text is not echoed: it could quote part of an account key.
                problems.Add("ConnectionStrings:AzureStorage is not a storage connection string (expected e.g. 'DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net' or 'UseDevelopmentStorage=true').");
            }
        }
        else if (!hasUris)
        {
            problems.Add("Storage:Provider=AzureStorage needs ConnectionStrings:AzureStorage (a storage connection string, e.g. Azurite's) or Storage:Azure:TableServiceUri and Storage:Azure:QueueServiceUri (with a managed identity).");
        }
        else
        {
            CheckServiceUri("Storage:Azure:TableServiceUri", azure.TableServiceUri, "table", problems);
            CheckServiceUri("Storage:Azure:QueueServiceUri", azure.QueueServiceUri, "queue", problems);
            if (!string.Equals(azure.Credential, AzureStorageOptions.DefaultCredential, StringComparison.OrdinalIgnoreCase) &&
                !string.Equals(azure.Credential, AzureStorageOptions.ManagedIdentityCredential, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"Storage:Azure:Credential must be 'Default' or 'ManagedIdentity' (was '{azure.Credential}').");
            }

            if (!string.IsNullOrWhiteSpace(azure.ManagedIdentityClientId) && !Guid.TryParse(azure.ManagedIdentityClientId, out _))
            {
                problems.Add($"Storage:Azure:ManagedIdentityClientId must be the client id (a GUID) of a user-assigned managed identity, or empty for the system-assigned one (was '{azure.ManagedIdentityClientId}').");
            }
        }

        if (!TablePrefixPattern().IsMatch(azure.TablePrefix ?? string.Empty))
        {
            problems.Add($"Storage:Azure:TablePrefix must be 1 to 24 letters and digits, starting with a letter (Azure table names allow nothing else; was '{azure.TablePrefix}').");
        }
    }

    private static void CheckServiceUri(string key, string? value, string service, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{key} is required when the other service URL is set (e.g. https://<account>.{service}.core.windows.net).");
        }
        else if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            // The SDK refuses to send a bearer token over plain http, so say it here rather than on the first request.
            problems.Add($"{key} must be an absolute https URL, e.g. https://<account>.{service}.core.windows.net (was '{value}'); for Azurite use ConnectionStrings:AzureStorage instead.");
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{0,23}$")]
    private static partial Regex TablePrefixPattern();
}
