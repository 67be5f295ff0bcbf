using Azure;
using Azure.Data.Tables;
using PorBot.Conversations;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// Alert channel designations in Azure Tables, one partition per tenant (<c>t|tenant</c>, row: the conversation),
/// so an alert fan-out reads a tenant's designations in one query. <c>alerts off here</c> turns the row into a
/// tombstone instead of deleting it: a later run of <c>migrate-to-azure</c> can then tell a designation removed
/// in Azure from one it never copied, and does not bring it back.
/// </summary>
/// <remarks>
/// Designating is one Merge upsert (a type or name left out keeps the stored one, as SQLite's coalesce does), so
/// two instances designating at once both land. Removing reads the row and replaces it only if it is still the
/// revision read (ETag): of two instances removing at once, one says it removed it and the other that nothing was
/// there. Listing by partner scans the table, which holds one row per conversation anyone ever designated; only
/// <c>alerts status</c> does that.
/// </remarks>
public sealed class AzureAlertChannelStore(AzureStorageClients clients, TimeProvider time) : IAlertChannelStore
{
    private const int MaxRemoveAttempts = 5;
    private const int ReachabilityParallelism = 8;

    private readonly TableClient _table = clients.Table(AzureTableNames.AlertChannels);
    private readonly TableClient _references = clients.Table(AzureTableNames.ConversationReferences);

    public async Task DesignateAsync(AlertChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var entity = ToEntity(channel);
        if (channel.ConversationType is null) entity.Remove("ConversationType");
        if (channel.DisplayName is null) entity.Remove("DisplayName");
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    public async Task<bool> RemoveAsync(string tenantId, string conversationId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = await _table.GetEntityIfExistsAsync<TableEntity>(Partition(tenantId), Row(conversationId), cancellationToken: cancellationToken);
            if (!current.HasValue || IsRemoved(current.Value!)) return false;
            var tombstone = new TableEntity(Partition(tenantId), Row(conversationId))
            {
                ["TenantId"] = tenantId,
                ["ConversationId"] = conversationId,
                ["Removed"] = true,
                ["RemovedAt"] = time.GetUtcNow(),
            };
            try
            {
                await _table.UpdateEntityAsync(tombstone, current.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                return true;
            }
            catch (RequestFailedException ex) when (ex.IsNotFound())
            {
                return false;
            }
            catch (RequestFailedException ex) when (ex.IsConcurrencyConflict() && attempt < MaxRemoveAttempts)
            {
                // Changed since it was read: removed by another instance (the next read says so) or designated again.
            }
        }
    }

    public async Task<AlertChannel?> GetAsync(string tenantId, string conversationId, CancellationToken cancellationToken)
    {
        var entity = await _table.GetEntityIfExistsAsync<TableEntity>(Partition(tenantId), Row(conversationId), cancellationToken: cancellationToken);
        return entity.HasValue && !IsRemoved(entity.Value!) ? Read(entity.Value!) : null;
    }

    public async Task<IReadOnlyList<AlertChannel>> ListByTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        var list = new List<AlertChannel>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(tenantId)} and Removed eq {false}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken)) list.Add(Read(entity));
        return list.OrderBy(c => c.ConversationId, StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<AlertChannelState>> ListAsync(string? partnerId, CancellationToken cancellationToken)
    {
        var filter = partnerId is null
            ? TableClient.CreateQueryFilter($"Removed eq {false}")
            : TableClient.CreateQueryFilter($"Removed eq {false} and PartnerId eq {partnerId}");
        var channels = new List<AlertChannel>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken)) channels.Add(Read(entity));

        // Reachable as in SQLite: the conversation's own reference (user '') is there and not dead.
        var reachable = new bool[channels.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = ReachabilityParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, channels.Count), options, async (i, ct) =>
        {
            var reference = await _references.GetEntityIfExistsAsync<TableEntity>(
                AzureConversationReferenceStore.TenantPartition(channels[i].TenantId), AzureConversationReferenceStore.Row(channels[i].ConversationId, string.Empty),
                select: ["IsDead"], cancellationToken: ct);
            reachable[i] = reference.HasValue && !(reference.Value!.GetBoolean("IsDead") ?? false);
        });

        return channels.Select((c, i) => new AlertChannelState(c, reachable[i]))
            .OrderBy(s => s.Channel.PartnerId, StringComparer.Ordinal).ThenBy(s => s.Channel.DesignatedAt)
            .ToList();
    }

    internal static string Partition(string tenantId) => "t|" + TableKeys.Escape(tenantId);

    internal static string Row(string conversationId) => TableKeys.Escape(conversationId);

    /// <summary>The whole row of a live designation, as the migration writes it.</summary>
    internal static TableEntity ToEntity(AlertChannel channel) => new(Partition(channel.TenantId), Row(channel.ConversationId))
    {
        ["TenantId"] = channel.TenantId,
        ["ConversationId"] = channel.ConversationId,
        ["PartnerId"] = channel.PartnerId,
        ["ConversationType"] = channel.ConversationType,
        ["DisplayName"] = channel.DisplayName,
        ["DesignatedBy"] = channel.DesignatedBy,
        ["DesignatedAt"] = channel.DesignatedAt,
        ["Removed"] = false,
    };

    internal static bool IsRemoved(TableEntity entity) => entity.GetBoolean("Removed") ?? false;

    /// <summary>When the row last changed: designated, or removed for a tombstone.</summary>
    internal static DateTimeOffset ChangedAt(TableEntity entity) =>
        (IsRemoved(entity) ? entity.GetDateTimeOffset("RemovedAt") : entity.GetDateTimeOffset("DesignatedAt")) ?? default;

    internal static AlertChannel Read(TableEntity e) => new(
        e.GetString("TenantId"), e.GetString("ConversationId"), e.GetString("PartnerId"), e.GetString("ConversationType"), e.GetString("DisplayName"),
        e.GetString("DesignatedBy"), e.GetDateTimeOffset("DesignatedAt") ?? default);
}
