using Azure.Core;
using Azure.Core.Pipeline;
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
        : this(options, null)
    {
    }

    /// <param name="perTryPolicy">Sees every attempt of every table request (tests lose a response with it, as a network would).</param>
    internal AzureStorageClients(AzureStorageOptions options, HttpPipelinePolicy? perTryPolicy)
    {
        ArgumentNullException.ThrowIfNull(options);
        Prefix = options.TablePrefix;
        var tableOptions = new TableClientOptions();
        var queueOptions = new QueueClientOptions();
        Tune(tableOptions.Retry);
        Tune(queueOptions.Retry);
        if (perTryPolicy is not null) tableOptions.AddPolicy(perTryPolicy, HttpPipelinePosition.PerRetry);
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
        // Queue names allow only lower-case letters, digits and single hyphens; the prefix is letters and digits.
        AlertQueue = Queues.GetQueueClient(Prefix.ToLowerInvariant() + "-alerts");
        AlertPoisonQueue = Queues.GetQueueClient(Prefix.ToLowerInvariant() + "-alerts-poison");
    }

    public string Prefix { get; }

    public TableServiceClient Tables { get; }

    public QueueServiceClient Queues { get; }

    /// <summary>The alert outbox's work queue (<c>&lt;prefix&gt;-alerts</c>, see <see cref="AzureQueueAlertOutbox"/>).</summary>
    public QueueClient AlertQueue { get; }

    /// <summary>Where alert outbox messages that cannot be processed are kept, with the reason.</summary>
    public QueueClient AlertPoisonQueue { get; }

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

    /// <summary>Creates the queues that do not exist yet; as safe to repeat as <see cref="CreateTablesAsync"/>.</summary>
    public async Task CreateQueuesAsync(CancellationToken cancellationToken = default)
    {
        await Task.WhenAll(AlertQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken), AlertPoisonQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken));
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

    /// <summary>One partition per subscription: its claims, conflicts and proofs, and the fan-out of a change not yet queued (see <see cref="AzureTableClaimStore"/>).</summary>
    public const string Claims = "Claims";

    /// <summary>Claim and conflict id → subscription, and the changes whose alerts may still have to be queued.</summary>
    public const string ClaimIndex = "ClaimIndex";

    /// <summary>Idempotency keys of the claims API and of claim cards: the first request to take one, or a cancelled card.</summary>
    public const string ClaimKeys = "ClaimKeys";

    /// <summary>Alert outbox rows, partition per conflict (see <see cref="AzureQueueAlertOutbox"/>).</summary>
    public const string AlertOutbox = "AlertOutbox";

    /// <summary>Alert id → conflict (the row's partition), and the Waiting rows oldest first.</summary>
    public const string AlertOutboxIndex = "AlertOutboxIndex";

    public static IReadOnlyList<string> All { get; } =
    [
        ConversationReferences, DialogState, AlertChannels, RegistryCustomers, RegistryPartners, RegistryKeys, RegistryNames,
        Claims, ClaimIndex, ClaimKeys, AlertOutbox, AlertOutboxIndex,
    ];
}
