namespace PorBot.Conflicts;

/// <summary>
/// Where claims, conflicts and proofs are kept. <see cref="ClaimService"/> holds every rule; a store only reads
/// one subscription's claims whole and saves a change to them all or nothing, refusing the save when someone
/// else saved that subscription since it was read (two instances, two clicks). The alerts a change owes are saved
/// with it: a store may add them to the outbox in the same transaction, or record them with the change and add
/// them to the outbox right after, finishing that after a crash (<see cref="IAlertOutbox.EnqueueAsync"/> is
/// idempotent), so that an alert is queued exactly when its change exists.
/// </summary>
public interface IClaimStore
{
    /// <summary>Every claim, conflict and proof of the subscription; an empty set (no token) when there are none.</summary>
    Task<SubscriptionClaims> LoadAsync(Guid subscriptionId, CancellationToken cancellationToken);

    /// <summary>The subscription a claim or a conflict is about; null when no claim or conflict has that id.</summary>
    Task<Guid?> FindSubscriptionAsync(Guid claimOrConflictId, CancellationToken cancellationToken);

    /// <summary>Saves the change and its alerts, all or nothing.</summary>
    /// <returns>False, with nothing saved, when the subscription's claims changed since <see cref="ClaimsChange.Base"/> was loaded.</returns>
    Task<bool> TrySaveAsync(ClaimsChange change, CancellationToken cancellationToken);

    /// <summary>The subscriptions among <paramref name="subscriptionIds"/> on which <paramref name="partnerId"/> has an Active claim.</summary>
    Task<IReadOnlySet<Guid>> GetActiveClaimsAsync(string partnerId, IReadOnlyCollection<Guid> subscriptionIds, CancellationToken cancellationToken);

    /// <summary>
    /// Takes an idempotency key (of the claims API, or of a claim card) for a request about to be recorded as
    /// <paramref name="claimId"/>. The first taker wins for good: the answer is the key as stored, which is this
    /// request's reservation, another request's (compare <see cref="ClaimKey.RequestHash"/>), or a cancelled card.
    /// </summary>
    Task<ClaimKey> ReserveKeyAsync(string key, string requestHash, Guid claimId, Guid subscriptionId, CancellationToken cancellationToken);

    Task<ClaimKey?> FindKeyAsync(string key, CancellationToken cancellationToken);

    /// <summary>Cancel on a claim card: true when the key is now (or already was) cancelled; false when a request took it first.</summary>
    Task<bool> CancelKeyAsync(string key, CancellationToken cancellationToken);
}

/// <summary>Everything claimed on one subscription, as read at one moment.</summary>
/// <param name="ConcurrencyToken">What the store compares on save (a version, an ETag); null when nothing is stored for the subscription.</param>
public sealed record SubscriptionClaims(
    Guid SubscriptionId,
    string? ConcurrencyToken,
    IReadOnlyList<StoredClaim> Claims,
    IReadOnlyList<StoredConflict> Conflicts,
    IReadOnlyList<StoredProof> Proofs)
{
    public static SubscriptionClaims Empty(Guid subscriptionId) => new(subscriptionId, null, [], [], []);
}

/// <param name="DecidedPorPartnerId">For a Pending claim the customer answered: the partner it named as POR.</param>
/// <param name="RegistrySynced">The decision this claim records was written to the POR registry (or needs no writing).</param>
public sealed record StoredClaim(
    Guid ClaimId,
    Guid SubscriptionId,
    string ClaimantPartnerId,
    string Source,
    string? SourceSystem,
    string? Note,
    ClaimOutcome Outcome,
    Guid? ConflictId,
    ClaimStatus Status,
    string? IdempotencyKey,
    string? RequestHash,
    string? DecidedPorPartnerId,
    string? DecidedBy,
    bool RegistrySynced,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <param name="Version">Goes up with every change a party's card shows; the outbox's Update revision.</param>
/// <param name="RegistrySynced">The resolution was written to the POR registry (or needs no writing).</param>
public sealed record StoredConflict(
    Guid ConflictId,
    Guid SubscriptionId,
    string CurrentPorPartnerId,
    ConflictStatus Status,
    string? WinnerPartnerId,
    string? ResolvedBy,
    bool RegistrySynced,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record StoredProof(Guid ProofId, Guid ConflictId, string PartnerId, string Description, string? Link, string AddedBy, DateTimeOffset CreatedAt);

/// <summary>One all-or-nothing change to a subscription's claims, made against <paramref name="Base"/>.</summary>
/// <param name="PutClaims">New claims, or claims replaced whole (by id).</param>
/// <param name="PutConflicts">New conflicts, or conflicts replaced whole (by id).</param>
/// <param name="AddProofs">Proofs to add (proofs are never changed).</param>
/// <param name="Alerts">What the change owes the parties: queued exactly when the change is saved.</param>
public sealed record ClaimsChange(
    SubscriptionClaims Base,
    IReadOnlyList<StoredClaim> PutClaims,
    IReadOnlyList<StoredConflict> PutConflicts,
    IReadOnlyList<StoredProof> AddProofs,
    IReadOnlyList<NewAlert> Alerts);

/// <summary>An idempotency key as stored: the request that took it, or a cancelled claim card.</summary>
/// <param name="RequestHash">The request's canonical hash; null for a cancelled card.</param>
/// <param name="ClaimId">The claim the request is (or was to be) recorded as; null for a cancelled card.</param>
public sealed record ClaimKey(string Key, string? RequestHash, Guid? ClaimId, Guid? SubscriptionId, bool Cancelled);
