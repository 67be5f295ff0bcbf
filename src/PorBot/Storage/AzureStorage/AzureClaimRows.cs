using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using PorBot.Conflicts;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// The rows of <see cref="AzureTableClaimStore"/>, shared with <c>migrate-to-azure</c>.
/// <list type="bullet">
/// <item><c>Claims</c>, partition = subscription id: <c>_head</c> (its ETag is the concurrency token; it sorts first, so
/// a partition read meets it before any item), <c>claim|id</c>, <c>conflict|id</c>, <c>proof|id</c>, and
/// <c>~fanout|change|n</c> (alerts of a saved change not yet queued; sorted last, so loads skip them).</item>
/// <item><c>ClaimIndex</c>: partition = claim or conflict id, row = its kind, → subscription; partition <c>fanout</c>,
/// row = <c>subscription|change</c>: a change that may have alerts left to queue.</item>
/// <item><c>ClaimKeys</c>: partition = SHA-256 of the key (keys are caller text of any length), row <c>key</c>.</item>
/// </list>
/// </summary>
internal static class AzureClaimRows
{
    public const string HeadRow = "_head";
    public const string ClaimPrefix = "claim|";
    public const string ConflictPrefix = "conflict|";
    public const string ProofPrefix = "proof|";
    public const string FanOutPrefix = "~fanout|";

    public const string ClaimKind = "claim";
    public const string ConflictKind = "conflict";
    public const string FanOutIndexPartition = "fanout";
    public const string KeyRow = "key";

    public static string Partition(Guid subscriptionId) => subscriptionId.ToString("D");

    public static string ClaimRow(Guid claimId) => ClaimPrefix + claimId.ToString("D");

    public static string ConflictRow(Guid conflictId) => ConflictPrefix + conflictId.ToString("D");

    public static string ProofRow(Guid proofId) => ProofPrefix + proofId.ToString("D");

    public static string FanOutRowPrefix(Guid changeId) => FanOutPrefix + changeId.ToString("N") + "|";

    public static string FanOutIndexRow(Guid subscriptionId, Guid changeId) => subscriptionId.ToString("D") + "|" + changeId.ToString("N");

    public static string KeyPartition(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static TableEntity Head(Guid subscriptionId, Guid changeId, DateTimeOffset now) => new(Partition(subscriptionId), HeadRow)
    {
        ["SubscriptionId"] = subscriptionId,
        ["LastChangeId"] = changeId,
        ["UpdatedAt"] = now,
    };

    public static TableEntity IdIndex(Guid id, string kind, Guid subscriptionId) => new(id.ToString("D"), kind)
    {
        ["SubscriptionId"] = subscriptionId,
    };

    public static TableEntity ToEntity(StoredClaim claim)
    {
        var entity = new TableEntity(Partition(claim.SubscriptionId), ClaimRow(claim.ClaimId))
        {
            ["ClaimId"] = claim.ClaimId,
            ["SubscriptionId"] = claim.SubscriptionId,
            ["ClaimantPartnerId"] = claim.ClaimantPartnerId,
            ["Source"] = claim.Source,
            ["Outcome"] = claim.Outcome.ToString(),
            ["Status"] = claim.Status.ToString(),
            ["RegistrySynced"] = claim.RegistrySynced,
            ["CreatedAt"] = claim.CreatedAt,
            ["UpdatedAt"] = claim.UpdatedAt,
        };
        SetIfNotNull(entity, "SourceSystem", claim.SourceSystem);
        SetIfNotNull(entity, "Note", claim.Note);
        if (claim.ConflictId is { } conflictId) entity["ConflictId"] = conflictId;
        SetIfNotNull(entity, "IdempotencyKey", claim.IdempotencyKey);
        SetIfNotNull(entity, "RequestHash", claim.RequestHash);
        SetIfNotNull(entity, "DecidedPorPartnerId", claim.DecidedPorPartnerId);
        SetIfNotNull(entity, "DecidedBy", claim.DecidedBy);
        return entity;
    }

    public static StoredClaim ToClaim(TableEntity e) => new(
        e.GetGuid("ClaimId")!.Value,
        e.GetGuid("SubscriptionId")!.Value,
        e.GetString("ClaimantPartnerId"),
        e.GetString("Source"),
        e.GetString("SourceSystem"),
        e.GetString("Note"),
        Enum.Parse<ClaimOutcome>(e.GetString("Outcome")),
        e.GetGuid("ConflictId"),
        Enum.Parse<ClaimStatus>(e.GetString("Status")),
        e.GetString("IdempotencyKey"),
        e.GetString("RequestHash"),
        e.GetString("DecidedPorPartnerId"),
        e.GetString("DecidedBy"),
        e.GetBoolean("RegistrySynced") ?? true,
        e.GetDateTimeOffset("CreatedAt")!.Value,
        e.GetDateTimeOffset("UpdatedAt")!.Value);

    public static TableEntity ToEntity(StoredConflict conflict)
    {
        var entity = new TableEntity(Partition(conflict.SubscriptionId), ConflictRow(conflict.ConflictId))
        {
            ["ConflictId"] = conflict.ConflictId,
            ["SubscriptionId"] = conflict.SubscriptionId,
            ["CurrentPorPartnerId"] = conflict.CurrentPorPartnerId,
            ["Status"] = conflict.Status.ToString(),
            ["RegistrySynced"] = conflict.RegistrySynced,
            ["Version"] = conflict.Version,
            ["CreatedAt"] = conflict.CreatedAt,
            ["UpdatedAt"] = conflict.UpdatedAt,
        };
        SetIfNotNull(entity, "WinnerPartnerId", conflict.WinnerPartnerId);
        SetIfNotNull(entity, "ResolvedBy", conflict.ResolvedBy);
        return entity;
    }

    public static StoredConflict ToConflict(TableEntity e) => new(
        e.GetGuid("ConflictId")!.Value,
        e.GetGuid("SubscriptionId")!.Value,
        e.GetString("CurrentPorPartnerId"),
        Enum.Parse<ConflictStatus>(e.GetString("Status")),
        e.GetString("WinnerPartnerId"),
        e.GetString("ResolvedBy"),
        e.GetBoolean("RegistrySynced") ?? true,
        e.GetInt32("Version") ?? 0,
        e.GetDateTimeOffset("CreatedAt")!.Value,
        e.GetDateTimeOffset("UpdatedAt")!.Value);

    public static TableEntity ToEntity(Guid subscriptionId, StoredProof proof)
    {
        var entity = new TableEntity(Partition(subscriptionId), ProofRow(proof.ProofId))
        {
            ["ProofId"] = proof.ProofId,
            ["ConflictId"] = proof.ConflictId,
            ["PartnerId"] = proof.PartnerId,
            ["Description"] = proof.Description,
            ["AddedBy"] = proof.AddedBy,
            ["CreatedAt"] = proof.CreatedAt,
        };
        SetIfNotNull(entity, "Link", proof.Link);
        return entity;
    }

    public static StoredProof ToProof(TableEntity e) => new(
        e.GetGuid("ProofId")!.Value,
        e.GetGuid("ConflictId")!.Value,
        e.GetString("PartnerId"),
        e.GetString("Description"),
        e.GetString("Link"),
        e.GetString("AddedBy"),
        e.GetDateTimeOffset("CreatedAt")!.Value);

    public static TableEntity ToEntity(ClaimKey key, DateTimeOffset now)
    {
        var entity = new TableEntity(KeyPartition(key.Key), KeyRow)
        {
            ["Key"] = key.Key,
            ["Cancelled"] = key.Cancelled,
            ["CreatedAt"] = now,
        };
        SetIfNotNull(entity, "RequestHash", key.RequestHash);
        if (key.ClaimId is { } claimId) entity["ClaimId"] = claimId;
        if (key.SubscriptionId is { } subscriptionId) entity["SubscriptionId"] = subscriptionId;
        return entity;
    }

    public static ClaimKey ToKey(TableEntity e) =>
        new(e.GetString("Key"), e.GetString("RequestHash"), e.GetGuid("ClaimId"), e.GetGuid("SubscriptionId"), e.GetBoolean("Cancelled") ?? false);

    // Azure Tables cannot store a null property; an absent one reads back as null.
    private static void SetIfNotNull(TableEntity entity, string name, string? value)
    {
        if (value is not null) entity[name] = value;
    }
}
