using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using PorBot.Conversations;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// Dialog state in Azure Tables, one entity per tenant × conversation × user. The port's version
/// numbers are kept as a property; the write itself is guarded by the entity's ETag, so two instances
/// advancing the same dialog from the same version cannot both succeed: the first insert wins (409 for
/// the other), the first update wins (412 for the other), exactly where the SQLite store's
/// <c>WHERE version = expected</c> matches no row.
/// </summary>
public sealed class AzureDialogStateStore(AzureStorageClients clients, TimeProvider time) : IDialogStateStore
{
    // Table string properties hold 64 KiB of UTF-16; a dialog state is a few hundred bytes.
    private const int MaxStateChars = 32_000;
    private const int MaxRememberedETags = 50_000;

    private readonly TableClient _table = clients.Table(AzureTableNames.DialogState);

    // The ETag each version had when this instance last read or wrote it, so the usual read-then-save
    // turn costs no extra read. An ETag names one exact revision, so a remembered one can only be stale
    // (the save then fails and is checked against a fresh read), never wrong.
    private readonly ConcurrentDictionary<DialogKey, (long Version, ETag ETag)> _etags = new();

    public async Task<VersionedDialogState?> GetAsync(DialogKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var entity = await ReadAsync(key, cancellationToken);
        return entity is null ? null : ToState(entity);
    }

    public async Task<bool> TrySaveAsync(DialogKey key, JsonElement state, long expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var json = state.GetRawText();
        if (json.Length > MaxStateChars)
        {
            throw new InvalidOperationException($"Dialog state of {json.Length} characters is larger than Azure Tables can hold in one property ({MaxStateChars}).");
        }

        var entity = ToEntity(key, json, expectedVersion + 1, time.GetUtcNow());
        if (expectedVersion == 0)
        {
            try
            {
                var added = await _table.AddEntityAsync(entity, cancellationToken);
                Remember(key, 1, added.Headers.ETag);
                return true;
            }
            catch (RequestFailedException ex) when (ex.IsConcurrencyConflict())
            {
                return false;
            }
        }

        // A remembered ETag that fails may be from before a delete and re-create that reached the same
        // version, so a failure with it is settled by one fresh read; a fresh ETag that fails means another save won.
        if (_etags.TryGetValue(key, out var known) && known.Version == expectedVersion && await TryReplaceAsync(key, entity, known.ETag, cancellationToken))
        {
            return true;
        }

        var current = await ReadAsync(key, cancellationToken);
        return current is not null && (current.GetInt64("Version") ?? 0) == expectedVersion && await TryReplaceAsync(key, entity, current.ETag, cancellationToken);
    }

    private async Task<bool> TryReplaceAsync(DialogKey key, TableEntity entity, ETag etag, CancellationToken cancellationToken)
    {
        try
        {
            var updated = await _table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, cancellationToken);
            Remember(key, entity.GetInt64("Version") ?? 0, updated.Headers.ETag);
            return true;
        }
        catch (RequestFailedException ex) when (ex.IsConcurrencyConflict() || ex.IsNotFound())
        {
            return false;
        }
    }

    public async Task DeleteAsync(DialogKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        _etags.TryRemove(key, out _);
        try
        {
            await _table.DeleteEntityAsync(Partition(key), Row(key), ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.IsNotFound())
        {
        }
    }

    internal static string Partition(DialogKey key) => TableKeys.Escape(key.TenantId) + "|" + TableKeys.Escape(key.ConversationId);

    internal static string Row(DialogKey key) => "u|" + TableKeys.Escape(key.UserId);

    internal static TableEntity ToEntity(DialogKey key, string json, long version, DateTimeOffset updatedAt) => new(Partition(key), Row(key))
    {
        ["TenantId"] = key.TenantId,
        ["ConversationId"] = key.ConversationId,
        ["UserId"] = key.UserId,
        ["State"] = json,
        ["Version"] = version,
        ["UpdatedAt"] = updatedAt,
    };

    private async Task<TableEntity?> ReadAsync(DialogKey key, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(Partition(key), Row(key), cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            _etags.TryRemove(key, out _);
            return null;
        }

        var entity = response.Value!;
        Remember(key, entity.GetInt64("Version") ?? 0, entity.ETag);
        return entity;
    }

    private void Remember(DialogKey key, long version, ETag? etag)
    {
        if (etag is not { } value) return;
        if (_etags.Count >= MaxRememberedETags) _etags.Clear();
        _etags[key] = (version, value);
    }

    private static VersionedDialogState ToState(TableEntity entity)
    {
        using var document = JsonDocument.Parse(entity.GetString("State"));
        return new VersionedDialogState(document.RootElement.Clone(), entity.GetInt64("Version") ?? 0, entity.GetDateTimeOffset("UpdatedAt") ?? default);
    }
}
