using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// The Azure Storage service clients, built once from <see cref="AzureStorageOptions"/>, and PorBot's
/// tables (every name carries <see cref="AzureStorageOptions.TablePrefix"/>).
/// </summary>
public sealed class AzureStorageClients
{
    private readonly Dictionary<string, TableClient> _tables = new(StringComparer.Ordinal);

    public AzureStorageClients(AzureStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Prefix = options.TablePrefix;
        var tableOptions = new TableClientOptions();
        var queueOptions = new QueueClientOptions();
        Tune(tableOptions.Retry);
        Tune(queueOptions.Retry);
        if (options.UsesConnectionString)
        {
            Tables = new TableServiceClient(options.ConnectionString, tableOptions);
            Queues = new QueueServiceClient(options.ConnectionString, queueOptions);
        }
        else
        {
            var credential = CreateCredential(options);
            Tables = new TableServiceClient(new Uri(options.TableServiceUri!), credential, tableOptions);
            Queues = new QueueServiceClient(new Uri(options.QueueServiceUri!), credential, queueOptions);
        }

        foreach (var name in AzureTableNames.All) _tables[name] = Tables.GetTableClient(Prefix + name);
    }

    public string Prefix { get; }

    public TableServiceClient Tables { get; }

    /// <summary>For the alert outbox (issue 7, part 2).</summary>
    public QueueServiceClient Queues { get; }

    /// <summary>Where the tables live, for messages (never the connection string: it holds the key).</summary>
    public string TableEndpoint => Tables.Uri.GetLeftPart(UriPartial.Path);

    public TableClient Table(string name) => _tables.TryGetValue(name, out var table)
        ? table
        : throw new ArgumentException($"'{name}' is not one of PorBot's tables ({string.Join(", ", AzureTableNames.All)}).", nameof(name));

    /// <summary>Creates every table that does not exist yet; safe on every start and from several instances at once.</summary>
    public async Task CreateTablesAsync(CancellationToken cancellationToken = default)
    {
        await Task.WhenAll(AzureTableNames.All.Select(name => Tables.CreateTableIfNotExistsAsync(Prefix + name, cancellationToken)));
    }

    private static TokenCredential CreateCredential(AzureStorageOptions options)
    {
        var clientId = string.IsNullOrWhiteSpace(options.ManagedIdentityClientId) ? null : options.ManagedIdentityClientId;
        if (string.Equals(options.Credential, AzureStorageOptions.ManagedIdentityCredential, StringComparison.OrdinalIgnoreCase))
        {
            return new ManagedIdentityCredential(clientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        return new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
    }

    // A lookup answers a person in chat: a few quick retries, never the SDK's default minute of back-off.
    private static void Tune(RetryOptions retry)
    {
        retry.Mode = RetryMode.Exponential;
        retry.MaxRetries = 3;
        retry.Delay = TimeSpan.FromMilliseconds(200);
        retry.MaxDelay = TimeSpan.FromSeconds(2);
        retry.NetworkTimeout = TimeSpan.FromSeconds(10);
    }
}

/// <summary>The tables PorBot keeps in Azure Storage (without the prefix).</summary>
public static class AzureTableNames
{
    /// <summary>Conversation references by tenant, plus a by-conversation index (see <see cref="AzureConversationReferenceStore"/>).</summary>
    public const string ConversationReferences = "ConversationReferences";

    public const string DialogState = "DialogState";

    /// <summary>Conversations chosen with <c>alerts here</c>, by tenant (see <see cref="AzureAlertChannelStore"/>).</summary>
    public const string AlertChannels = "AlertChannels";

    /// <summary>One partition per customer tenant: the customer, its subscriptions and their POR change log.</summary>
    public const string RegistryCustomers = "RegistryCustomers";

    public const string RegistryPartners = "RegistryPartners";

    /// <summary>Exact-lookup keys: subscription id → tenant, domain → tenants, partner tenant → partner.</summary>
    public const string RegistryKeys = "RegistryKeys";

    /// <summary>The name search index (see <see cref="AzureNameIndex"/>).</summary>
    public const string RegistryNames = "RegistryNames";

    public static IReadOnlyList<string> All { get; } =
        [ConversationReferences, DialogState, AlertChannels, RegistryCustomers, RegistryPartners, RegistryKeys, RegistryNames];
}
