using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using PorBot.Conversations;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// Conversation references in Azure Tables. A reference lives in its tenant's partition
/// (<c>t|tenant</c>, row <c>conversation|user</c>), so an alert fan-out reads one partition. Marking a
/// conversation dead needs every reference to it whatever the tenant, so each reference also has a
/// key-only row in <c>c|conversation</c>; those rows never change once written, and a stray one (the
/// reference write failed after it) is skipped.
/// </summary>
/// <remarks>
/// Unlike the SQLite store this writes every refresh: skipping "unchanged" refreshes would keep a
/// reference dead that another instance marked dead in the meantime (uninstall on one, reinstall on another).
/// </remarks>
public sealed class AzureConversationReferenceStore(AzureStorageClients clients, IAlertChannelStore alertChannels, TimeProvider time) : IConversationReferenceStore
{
    private const int MaxKnownIndexRows = 100_000;
    private readonly TableClient _table = clients.Table(AzureTableNames.ConversationReferences);
    private readonly ConcurrentDictionary<(string, string), byte> _indexed = new();

    public async Task UpsertAsync(StoredConversationReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var partition = TenantPartition(reference.TenantId);
        var row = Row(reference.ConversationId, reference.UserAadObjectId);
        await EnsureIndexedAsync(reference.ConversationId, partition, row, cancellationToken);

        // Merge leaves a property alone when it is absent, so a null user name keeps the stored one (as
        // SQLite's coalesce does); the dead reason is cleared with an empty string, which reads back as null.
        var entity = new TableEntity(partition, row)
        {
            ["TenantId"] = reference.TenantId,
            ["ConversationId"] = reference.ConversationId,
            ["UserAadObjectId"] = reference.UserAadObjectId,
            ["BotId"] = reference.BotId,
            ["ServiceUrl"] = reference.ServiceUrl,
            ["ServiceUrlVerified"] = reference.ServiceUrlVerified,
            ["ChannelId"] = reference.ChannelId,
            ["IsDead"] = false,
            ["DeadReason"] = string.Empty,
            ["UpdatedAt"] = time.GetUtcNow(),
        };
        if (reference.UserId is not null) entity["UserId"] = reference.UserId;
        if (reference.UserName is not null) entity["UserName"] = reference.UserName;
        if (reference.ConversationType is not null) entity["ConversationType"] = reference.ConversationType;
        if (reference.TeamId is not null) entity["TeamId"] = reference.TeamId;
        if (reference.TeamAadGroupId is not null) entity["TeamAadGroupId"] = reference.TeamAadGroupId;
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    public async Task MarkDeadAsync(string conversationId, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await foreach (var index in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ConversationPartition(conversationId)}"), select: ["Partition", "Row"], cancellationToken: cancellationToken))
        {
            var dead = new TableEntity(index.GetString("Partition"), index.GetString("Row"))
            {
                ["IsDead"] = true,
                ["DeadReason"] = reason,
                ["UpdatedAt"] = now,
            };
            try
            {
                // Merge with ETag * updates only an existing reference, never creates a half one.
                await _table.UpdateEntityAsync(dead, ETag.All, TableUpdateMode.Merge, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.IsNotFound())
            {
            }
        }
    }

    public async Task<StoredConversationReference?> GetAsync(string tenantId, string conversationId, string userAadObjectId, CancellationToken cancellationToken)
    {
        var entity = await _table.GetEntityIfExistsAsync<TableEntity>(TenantPartition(tenantId), Row(conversationId, userAadObjectId), cancellationToken: cancellationToken);
        return entity.HasValue ? Read(entity.Value!) : null;
    }

    public async Task<IReadOnlyList<StoredConversationReference>> ListLiveByTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        var list = new List<StoredConversationReference>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {TenantPartition(tenantId)} and IsDead eq {false}"), cancellationToken: cancellationToken))
        {
            list.Add(Read(entity));
        }

        return list.OrderBy(r => r.ConversationId, StringComparer.Ordinal).ThenBy(r => r.UserAadObjectId, StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyList<StoredConversationReference>> ListAlertTargetsByTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        // As in SQLite: a personal chat through its user's row, a designated conversation through its own row (user '').
        // Two reads per tenant whatever the number of conversations, side by side.
        var referencesRead = ListLiveByTenantAsync(tenantId, cancellationToken);
        var designationsRead = alertChannels.ListByTenantAsync(tenantId, cancellationToken);
        await Task.WhenAll(referencesRead, designationsRead);
        var references = await referencesRead;
        var designated = (await designationsRead).Select(c => c.ConversationId).ToHashSet(StringComparer.Ordinal);
        return references.Where(r => r.UserAadObjectId.Length > 0
                ? string.Equals(r.ConversationType ?? "personal", "personal", StringComparison.OrdinalIgnoreCase)
                : designated.Contains(r.ConversationId))
            .ToList();
    }

    internal static string TenantPartition(string tenantId) => "t|" + TableKeys.Escape(tenantId);

    internal static string ConversationPartition(string conversationId) => "c|" + TableKeys.Escape(conversationId);

    internal static string Row(string conversationId, string userAadObjectId) => TableKeys.Escape(conversationId) + "|" + TableKeys.Escape(userAadObjectId);

    /// <summary>The row the migration writes for one reference (with the times it had), and its index row.</summary>
    internal static (TableEntity Reference, TableEntity Index) ToEntities(StoredConversationReference reference)
    {
        var partition = TenantPartition(reference.TenantId);
        var row = Row(reference.ConversationId, reference.UserAadObjectId);
        var entity = new TableEntity(partition, row)
        {
            ["TenantId"] = reference.TenantId,
            ["ConversationId"] = reference.ConversationId,
            ["UserAadObjectId"] = reference.UserAadObjectId,
            ["UserId"] = reference.UserId,
            ["UserName"] = reference.UserName,
            ["BotId"] = reference.BotId,
            ["ServiceUrl"] = reference.ServiceUrl,
            ["ServiceUrlVerified"] = reference.ServiceUrlVerified,
            ["ChannelId"] = reference.ChannelId,
            ["ConversationType"] = reference.ConversationType,
            ["TeamId"] = reference.TeamId,
            ["TeamAadGroupId"] = reference.TeamAadGroupId,
            ["IsDead"] = reference.IsDead,
            ["DeadReason"] = reference.DeadReason ?? string.Empty,
            ["UpdatedAt"] = reference.UpdatedAt,
        };
        return (entity, IndexRow(reference.ConversationId, partition, row));
    }

    private static TableEntity IndexRow(string conversationId, string partition, string row) =>
        new(ConversationPartition(conversationId), partition + "|" + row) { ["Partition"] = partition, ["Row"] = row };

    private async Task EnsureIndexedAsync(string conversationId, string partition, string row, CancellationToken cancellationToken)
    {
        if (_indexed.ContainsKey((partition, row))) return;
        await _table.UpsertEntityAsync(IndexRow(conversationId, partition, row), TableUpdateMode.Replace, cancellationToken);
        if (_indexed.Count >= MaxKnownIndexRows) _indexed.Clear();
        _indexed.TryAdd((partition, row), 0);
    }

    internal static StoredConversationReference Read(TableEntity e) => new()
    {
        TenantId = e.GetString("TenantId"),
        ConversationId = e.GetString("ConversationId"),
        UserAadObjectId = e.GetString("UserAadObjectId"),
        UserId = e.GetString("UserId"),
        UserName = e.GetString("UserName"),
        BotId = e.GetString("BotId"),
        ServiceUrl = e.GetString("ServiceUrl"),
        ServiceUrlVerified = e.GetBoolean("ServiceUrlVerified") ?? false,
        ChannelId = e.GetString("ChannelId"),
        ConversationType = e.GetString("ConversationType"),
        TeamId = e.GetString("TeamId"),
        TeamAadGroupId = e.GetString("TeamAadGroupId"),
        IsDead = e.GetBoolean("IsDead") ?? false,
        DeadReason = e.GetString("DeadReason") is { Length: > 0 } reason ? reason : null,
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? default,
    };
}
