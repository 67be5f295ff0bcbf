using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using PorBot.Conflicts;
using PorBot.Conversations;
using static PorBot.Storage.AzureStorage.AzureClaimRows;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// Claims, conflicts and proofs in Azure Tables (layout: <see cref="AzureClaimRows"/>), one partition per subscription.
/// A save is one entity group transaction: the head row replaced under the ETag the change was based on (added for a
/// new subscription), so of two instances saving on the same read exactly one succeeds; the claims, conflicts and
/// proofs it puts; and the alerts it owes, as fan-out rows committed with it. Right after, those alerts are queued
/// in the outbox and their rows deleted; <see cref="FinishPendingFanOutAsync"/> finishes a fan-out a crash (or an
/// outbox failure) left, and queueing twice is harmless (<see cref="IAlertOutbox.EnqueueAsync"/> is idempotent).
/// </summary>
/// <remarks>
/// Index rows (claim or conflict id → subscription, and "this change may have alerts to queue") are written before
/// the transaction: one left by a save that then failed points at nothing and is ignored, or removed.
/// </remarks>
public sealed class AzureTableClaimStore(AzureStorageClients clients, IAlertOutbox outbox, TimeProvider time, ILogger<AzureTableClaimStore> logger) : IClaimStore
{
    /// <summary>
    /// How long a change's fan-out may be in the making (index written, transaction not yet sent) before recovery
    /// takes rows of it that were never committed for those of a failed save. A save spends seconds there; the SDK
    /// gives up on a request well within this.
    /// </summary>
    public static readonly TimeSpan FanOutGracePeriod = TimeSpan.FromMinutes(5);

    private const int MaxTransactionRows = 100;

    // A string property holds 64 KiB (32K UTF-16 characters) and an entity 1 MiB; a transaction 4 MiB. Alerts are
    // packed per row, each row parseable on its own so a fan-out half deleted can still be finished.
    private const int MaxPropertyChars = 30_000;
    private const int PropertiesPerFanOutRow = 8;
    private const int MaxFanOutRowChars = MaxPropertyChars * PropertiesPerFanOutRow;

    // Up to this many fan-out rows go in the save's transaction itself; more are written before it, uncommitted, and
    // the transaction only marks them committed (a small merge each), which also fails it if recovery removed them.
    private const int MaxInlineFanOutRows = 3;
    private const int FanOutRowsPerStagingTransaction = 6;

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly TableClient _claims = clients.Table(AzureTableNames.Claims);
    private readonly TableClient _index = clients.Table(AzureTableNames.ClaimIndex);
    private readonly TableClient _keys = clients.Table(AzureTableNames.ClaimKeys);

    public async Task<SubscriptionClaims> LoadAsync(Guid subscriptionId, CancellationToken cancellationToken)
    {
        var partition = await ReadPartitionAsync(_claims, subscriptionId, cancellationToken);
        return partition.ToClaims(subscriptionId);
    }

    public async Task<Guid?> FindSubscriptionAsync(Guid claimOrConflictId, CancellationToken cancellationToken)
    {
        var id = claimOrConflictId.ToString("D");
        await foreach (var index in _index.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {id}"), cancellationToken: cancellationToken))
        {
            if (index.GetGuid("SubscriptionId") is not { } subscriptionId) continue;
            var row = index.RowKey == ClaimKind ? ClaimRow(claimOrConflictId) : ConflictRow(claimOrConflictId);
            // The index is written before the save: it counts only once the row it points at exists.
            var found = await _claims.GetEntityIfExistsAsync<TableEntity>(Partition(subscriptionId), row, select: ["RowKey"], cancellationToken: cancellationToken);
            if (found.HasValue) return subscriptionId;
        }

        return null;
    }

    public async Task<bool> TrySaveAsync(ClaimsChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var subscriptionId = change.Base.SubscriptionId;
        Validate(change);
        // A token no head ever had (not a table ETag) can only be stale: refused like one, without a doomed round trip
        // the service would answer with a bad request rather than a failed condition.
        if (change.Base.ConcurrencyToken is { } given && !IsTableETag(given)) return false;

        var changeId = Guid.NewGuid();
        var now = time.GetUtcNow();
        var fanOut = FanOutRows(subscriptionId, changeId, change.Alerts, now);
        var rows = 1 + change.PutClaims.Count + change.PutConflicts.Count + change.AddProofs.Count + fanOut.Count;
        if (rows > MaxTransactionRows)
        {
            throw new InvalidOperationException(
                $"A change to subscription {subscriptionId:D} needs {rows} rows in one transaction; Azure Tables takes at most {MaxTransactionRows}.");
        }

        // Index rows first: one left by a save that fails is harmless, one missing behind a saved change is not.
        var knownClaims = change.Base.Claims.Select(c => c.ClaimId).ToHashSet();
        var knownConflicts = change.Base.Conflicts.Select(c => c.ConflictId).ToHashSet();
        var index = change.PutClaims.Where(c => !knownClaims.Contains(c.ClaimId)).Select(c => IdIndex(c.ClaimId, ClaimKind, subscriptionId))
            .Concat(change.PutConflicts.Where(c => !knownConflicts.Contains(c.ConflictId)).Select(c => IdIndex(c.ConflictId, ConflictKind, subscriptionId)))
            .ToList();
        if (fanOut.Count > 0) index.Add(FanOutIndex(subscriptionId, changeId, now));
        await Task.WhenAll(index.Select(e => _index.UpsertEntityAsync(e, TableUpdateMode.Replace, cancellationToken)));

        var staged = fanOut.Count > MaxInlineFanOutRows;
        if (staged)
        {
            foreach (var group in fanOut.Chunk(FanOutRowsPerStagingTransaction))
            {
                await _claims.SubmitTransactionAsync(group.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r.Entity)), cancellationToken);
            }
        }

        var head = Head(subscriptionId, changeId, now);
        var actions = new List<TableTransactionAction>(rows)
        {
            change.Base.ConcurrencyToken is { } token
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, head, new ETag(token))
                : new TableTransactionAction(TableTransactionActionType.Add, head),
        };
        actions.AddRange(change.PutClaims.Select(c => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(c))));
        actions.AddRange(change.PutConflicts.Select(c => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(c))));
        actions.AddRange(change.AddProofs.Select(p => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(subscriptionId, p))));
        actions.AddRange(fanOut.Select(r => staged
            ? new TableTransactionAction(TableTransactionActionType.UpdateMerge, new TableEntity(r.Entity.PartitionKey, r.Entity.RowKey) { ["Committed"] = true }, ETag.All)
            : new TableTransactionAction(TableTransactionActionType.Add, WithCommitted(r.Entity))));

        try
        {
            await _claims.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (IsChangedMeanwhile(ex, staged))
        {
            // The client retries a transaction whose answer was lost, and the retry then fails on the head this very
            // change wrote: the head names the change that wrote it.
            if (!await HeadNamesAsync(subscriptionId, changeId, cancellationToken))
            {
                await DiscardFanOutAsync(subscriptionId, changeId, fanOut, staged);
                return false;
            }
        }
        catch (TableTransactionFailedException)
        {
            await DiscardFanOutAsync(subscriptionId, changeId, fanOut, staged);
            throw;
        }

        if (fanOut.Count > 0)
        {
            // The change is saved: queueing its alerts is no longer the caller's to cancel, and a failure here is
            // finished by recovery, so the caller is told the truth (saved) either way.
            try
            {
                foreach (var row in fanOut)
                {
                    await outbox.EnqueueAsync(row.Alerts, CancellationToken.None);
                    await DeleteIfExistsAsync(_claims, row.Entity.PartitionKey, row.Entity.RowKey, CancellationToken.None);
                }

                await DeleteIfExistsAsync(_index, FanOutIndexPartition, FanOutIndexRow(subscriptionId, changeId), CancellationToken.None);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Change {ChangeId} to subscription {SubscriptionId} is saved but its {Alerts} alerts are not all queued yet; recovery will queue them",
                    changeId, subscriptionId, change.Alerts.Count);
            }
        }

        return true;
    }

    public async Task<IReadOnlySet<Guid>> GetActiveClaimsAsync(string partnerId, IReadOnlyCollection<Guid> subscriptionIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partnerId);
        ArgumentNullException.ThrowIfNull(subscriptionIds);
        var active = nameof(ClaimStatus.Active);
        var found = await Task.WhenAll(subscriptionIds.Distinct().Select(async subscriptionId =>
        {
            var filter = TableClient.CreateQueryFilter(
                $"PartitionKey eq {Partition(subscriptionId)} and RowKey ge {ClaimPrefix} and RowKey lt {TableKeys.PrefixEnd(ClaimPrefix)} and ClaimantPartnerId eq {partnerId} and Status eq {active}");
            await foreach (var _ in _claims.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["RowKey"], cancellationToken: cancellationToken))
            {
                return (subscriptionId, true);
            }

            return (subscriptionId, false);
        }));
        return found.Where(f => f.Item2).Select(f => f.subscriptionId).ToHashSet();
    }

    public async Task<ClaimKey> ReserveKeyAsync(string key, string requestHash, Guid claimId, Guid subscriptionId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(requestHash);
        var reservation = new ClaimKey(key, requestHash, claimId, subscriptionId, Cancelled: false);
        return await TryAddKeyAsync(reservation, cancellationToken) ? reservation : await ReadKeyAsync(key, cancellationToken);
    }

    public async Task<ClaimKey?> FindKeyAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var entity = await _keys.GetEntityIfExistsAsync<TableEntity>(KeyPartition(key), KeyRow, cancellationToken: cancellationToken);
        return entity.HasValue ? ToKey(entity.Value!) : null;
    }

    public async Task<bool> CancelKeyAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return await TryAddKeyAsync(new ClaimKey(key, null, null, null, Cancelled: true), cancellationToken)
            || (await ReadKeyAsync(key, cancellationToken)).Cancelled;
    }

    /// <summary>
    /// Queues the alerts of every saved change whose fan-out was left unfinished (the process stopped, or the outbox
    /// failed, between the save and the queueing), and clears what saves that failed left behind. Safe to run on
    /// every instance at once and at any time.
    /// </summary>
    /// <returns>How many outbox rows were added.</returns>
    public async Task<int> FinishPendingFanOutAsync(CancellationToken cancellationToken)
    {
        var pending = new List<TableEntity>();
        await foreach (var e in _index.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {FanOutIndexPartition}"), cancellationToken: cancellationToken))
        {
            pending.Add(e);
        }

        var added = 0;
        foreach (var entry in pending)
        {
            if (entry.GetGuid("SubscriptionId") is not { } subscriptionId || entry.GetGuid("ChangeId") is not { } changeId) continue;
            var old = time.GetUtcNow() - (entry.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue) > FanOutGracePeriod;
            try
            {
                var (queued, finished) = await FinishFanOutAsync(subscriptionId, changeId, deleteUncommittedAndIndexIfNothing: old, cancellationToken);
                added += queued;
                if (finished > 0) logger.LogInformation("Queued the alerts of change {ChangeId} to subscription {SubscriptionId}, left unfinished ({Rows} outbox rows added)", changeId, subscriptionId, queued);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One fan-out the outbox refuses must not hold up the others; it is tried again on the next pass.
                logger.LogWarning(ex, "Could not finish the fan-out of change {ChangeId} to subscription {SubscriptionId}; trying again on the next pass", changeId, subscriptionId);
            }
        }

        return added;
    }

    /// <returns>Outbox rows added, and fan-out rows finished.</returns>
    private async Task<(int Queued, int Finished)> FinishFanOutAsync(Guid subscriptionId, Guid changeId, bool deleteUncommittedAndIndexIfNothing, CancellationToken cancellationToken)
    {
        var prefix = FanOutRowPrefix(changeId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(subscriptionId)} and RowKey ge {prefix} and RowKey lt {TableKeys.PrefixEnd(prefix)}");
        var rows = new List<TableEntity>();
        await foreach (var e in _claims.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken)) rows.Add(e);

        // Committed rows are all committed together, so a change either has its alerts to queue or none at all.
        var committed = rows.Where(r => r.GetBoolean("Committed") == true).ToList();
        var queued = 0;
        foreach (var row in committed)
        {
            queued += await outbox.EnqueueAsync(ReadAlerts(row), cancellationToken);
            await DeleteIfExistsAsync(_claims, row.PartitionKey, row.RowKey, cancellationToken);
        }

        if (committed.Count == 0)
        {
            // Uncommitted rows (or none) may belong to a save still on its way: only an old change is a failed one.
            if (!deleteUncommittedAndIndexIfNothing) return (0, 0);
            foreach (var row in rows) await DeleteIfExistsAsync(_claims, row.PartitionKey, row.RowKey, cancellationToken);
        }

        await DeleteIfExistsAsync(_index, FanOutIndexPartition, FanOutIndexRow(subscriptionId, changeId), cancellationToken);
        return (queued, committed.Count);
    }

    // Best effort: what is left here is removed by recovery once the grace period is over.
    private async Task DiscardFanOutAsync(Guid subscriptionId, Guid changeId, List<FanOutRow> fanOut, bool staged)
    {
        if (fanOut.Count == 0) return;
        try
        {
            if (staged)
            {
                foreach (var row in fanOut) await DeleteIfExistsAsync(_claims, row.Entity.PartitionKey, row.Entity.RowKey, CancellationToken.None);
            }

            await DeleteIfExistsAsync(_index, FanOutIndexPartition, FanOutIndexRow(subscriptionId, changeId), CancellationToken.None);
        }
        catch (RequestFailedException ex)
        {
            logger.LogDebug(ex, "Could not clear the fan-out of unsaved change {ChangeId}; recovery will", changeId);
        }
    }

    private async Task<bool> HeadNamesAsync(Guid subscriptionId, Guid changeId, CancellationToken cancellationToken)
    {
        var head = await _claims.GetEntityIfExistsAsync<TableEntity>(Partition(subscriptionId), HeadRow, select: ["LastChangeId"], cancellationToken: cancellationToken);
        return head.HasValue && head.Value!.GetGuid("LastChangeId") == changeId;
    }

    private async Task<bool> TryAddKeyAsync(ClaimKey key, CancellationToken cancellationToken)
    {
        try
        {
            await _keys.AddEntityAsync(ToEntity(key, time.GetUtcNow()), cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    private async Task<ClaimKey> ReadKeyAsync(string key, CancellationToken cancellationToken) =>
        await FindKeyAsync(key, cancellationToken) ?? throw new InvalidOperationException($"Idempotency key row {KeyPartition(key)} was taken but cannot be read.");

    // Only the head can fail on its ETag (412) or as already there (409: every other added row has this change's new
    // id). A 404 is the head gone, unless it may be a staged fan-out row that recovery removed: then the save failed.
    private static bool IsTableETag(string token) =>
        token.StartsWith("W/\"datetime'", StringComparison.Ordinal) && token.EndsWith("'\"", StringComparison.Ordinal);

    private static bool IsChangedMeanwhile(TableTransactionFailedException ex, bool staged) =>
        ex.Status is 409 or 412 || (ex.Status == 404 && (!staged || ex.FailedTransactionActionIndex == 0));

    private static void Validate(ClaimsChange change)
    {
        var subscriptionId = change.Base.SubscriptionId;
        var problems = new List<string>();
        if (change.PutClaims.Any(c => c.SubscriptionId != subscriptionId)) problems.Add("a claim of another subscription");
        if (change.PutConflicts.Any(c => c.SubscriptionId != subscriptionId)) problems.Add("a conflict of another subscription");
        var conflicts = change.Base.Conflicts.Select(c => c.ConflictId).Concat(change.PutConflicts.Select(c => c.ConflictId)).ToHashSet();
        if (change.AddProofs.Any(p => !conflicts.Contains(p.ConflictId))) problems.Add("a proof of a conflict not on this subscription");
        if (change.PutClaims.DistinctBy(c => c.ClaimId).Count() != change.PutClaims.Count) problems.Add("the same claim twice");
        if (change.PutConflicts.DistinctBy(c => c.ConflictId).Count() != change.PutConflicts.Count) problems.Add("the same conflict twice");
        if (change.AddProofs.DistinctBy(p => p.ProofId).Count() != change.AddProofs.Count) problems.Add("the same proof twice");
        if (problems.Count > 0) throw new ArgumentException($"The change to subscription {subscriptionId:D} holds {string.Join(", ", problems)}.", nameof(change));
    }

    private static TableEntity FanOutIndex(Guid subscriptionId, Guid changeId, DateTimeOffset now) => new(FanOutIndexPartition, FanOutIndexRow(subscriptionId, changeId))
    {
        ["SubscriptionId"] = subscriptionId,
        ["ChangeId"] = changeId,
        ["CreatedAt"] = now,
    };

    /// <summary>The change's alerts as rows of its subscription's partition, uncommitted, each holding whole alerts.</summary>
    private static List<FanOutRow> FanOutRows(Guid subscriptionId, Guid changeId, IReadOnlyList<NewAlert> alerts, DateTimeOffset now)
    {
        var rows = new List<FanOutRow>();
        var json = new StringBuilder();
        var pending = new List<NewAlert>();

        void Flush()
        {
            if (pending.Count == 0) return;
            json.Append(']');
            var text = json.ToString();
            var row = new TableEntity(Partition(subscriptionId), FanOutRowPrefix(changeId) + rows.Count.ToString("D4", System.Globalization.CultureInfo.InvariantCulture))
            {
                ["ChangeId"] = changeId,
                ["Alerts"] = pending.Count,
                ["Committed"] = false,
                ["CreatedAt"] = now,
            };
            // The default encoder escapes everything outside ASCII, so a cut never splits a character.
            for (var part = 0; part * MaxPropertyChars < text.Length; part++)
            {
                row["Json" + part.ToString(System.Globalization.CultureInfo.InvariantCulture)] = text.Substring(part * MaxPropertyChars, Math.Min(MaxPropertyChars, text.Length - part * MaxPropertyChars));
            }

            rows.Add(new FanOutRow(row, pending));
            json.Clear();
            pending = [];
        }

        foreach (var alert in alerts)
        {
            var one = JsonSerializer.Serialize(new FanOutAlert(alert.ConflictId, alert.Kind, alert.Revision, alert.PartyPartnerId, alert.Place), Json);
            if (pending.Count > 0 && json.Length + 1 + one.Length + 1 > MaxFanOutRowChars) Flush();
            json.Append(pending.Count == 0 ? '[' : ',').Append(one);
            pending.Add(alert);
        }

        Flush();
        return rows;
    }

    private static TableEntity WithCommitted(TableEntity row)
    {
        row["Committed"] = true;
        return row;
    }

    private static List<NewAlert> ReadAlerts(TableEntity row)
    {
        var json = new StringBuilder();
        for (var part = 0; row.GetString("Json" + part.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } text; part++) json.Append(text);
        return (JsonSerializer.Deserialize<List<FanOutAlert>>(json.ToString(), Json) ?? [])
            .Select(a => new NewAlert(a.ConflictId, a.Kind, a.Revision, a.PartyPartnerId, a.Place))
            .ToList();
    }

    private static async Task DeleteIfExistsAsync(TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(partitionKey, rowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.IsNotFound())
        {
        }
    }

    /// <summary>A subscription's rows as read in one partition query (the head first), for the store and the migration.</summary>
    internal static async Task<ClaimsPartition> ReadPartitionAsync(TableClient claims, Guid subscriptionId, CancellationToken cancellationToken)
    {
        var partition = new ClaimsPartition();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(subscriptionId)} and RowKey lt {FanOutPrefix}");
        await foreach (var e in claims.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (e.RowKey == HeadRow) partition.Head = e;
            else if (e.RowKey.StartsWith(ClaimPrefix, StringComparison.Ordinal)) partition.Claims.Add(e);
            else if (e.RowKey.StartsWith(ConflictPrefix, StringComparison.Ordinal)) partition.Conflicts.Add(e);
            else if (e.RowKey.StartsWith(ProofPrefix, StringComparison.Ordinal)) partition.Proofs.Add(e);
        }

        return partition;
    }

    private sealed record FanOutRow(TableEntity Entity, List<NewAlert> Alerts);

    private sealed record FanOutAlert(Guid ConflictId, string Kind, int Revision, string PartyPartnerId, StoredConversationReference? Place);
}

/// <summary>One subscription's rows in the <c>Claims</c> table.</summary>
internal sealed class ClaimsPartition
{
    public TableEntity? Head { get; set; }

    public List<TableEntity> Claims { get; } = [];

    public List<TableEntity> Conflicts { get; } = [];

    public List<TableEntity> Proofs { get; } = [];

    // Rows come in key order; the port's lists are in the order they were made.
    public SubscriptionClaims ToClaims(Guid subscriptionId) => new(
        subscriptionId,
        Head?.ETag.ToString(),
        Claims.Select(AzureClaimRows.ToClaim).OrderBy(c => c.CreatedAt).ThenBy(c => c.ClaimId).ToList(),
        Conflicts.Select(AzureClaimRows.ToConflict).OrderBy(c => c.CreatedAt).ThenBy(c => c.ConflictId).ToList(),
        Proofs.Select(AzureClaimRows.ToProof).OrderBy(p => p.CreatedAt).ThenBy(p => p.ProofId).ToList());
}
