namespace PorBot.Conflicts;

public enum ClaimOutcome
{
    /// <summary>The claimant already is the POR: nothing to decide.</summary>
    NoOp,

    /// <summary>No POR is listed: the claim waits for the customer to confirm it.</summary>
    Pending,

    /// <summary>Another partner is POR: a conflict is open (or was joined) and every party is alerted.</summary>
    Conflict,
}

public enum ClaimStatus { Active, Withdrawn, Won, Lost }

public enum ConflictStatus { Open, Resolved }

public static class ClaimSources
{
    public const string Chat = "chat";

    public static string Api(string keyName) => "api:" + keyName;
}

/// <summary>A claim to record. <see cref="IdempotencyKey"/> (already scoped by the caller) makes a repeat return the first result.</summary>
public sealed record ClaimRequest(
    Guid SubscriptionId,
    string ClaimantPartnerId,
    string Source,
    string? SourceSystem = null,
    string? Note = null,
    string? IdempotencyKey = null);

/// <param name="Replayed">True when this is the stored result of an earlier request with the same idempotency key (or the same active claim).</param>
public sealed record ClaimResult(Guid ClaimId, ClaimOutcome Outcome, Guid? ConflictId, bool Replayed = false);

public sealed record ClaimantState(Guid ClaimId, string PartnerId, ClaimStatus Status, DateTimeOffset CreatedAt);

public sealed record ConflictState(
    Guid ConflictId,
    Guid SubscriptionId,
    string CurrentPorPartnerId,
    ConflictStatus Status,
    string? WinnerPartnerId,
    int Version,
    IReadOnlyList<ClaimantState> Claimants);

/// <summary>The request cannot be recorded as it is; every problem found is listed.</summary>
public sealed class ClaimValidationException(IReadOnlyList<string> problems)
    : Exception(string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>The idempotency key was used before for a different request.</summary>
public sealed class IdempotencyKeyReusedException()
    : Exception("This Idempotency-Key was already used for a different request.");

public sealed class ConflictNotFoundException(Guid id)
    : Exception($"No conflict or claim {id:D}.");

/// <summary>The conflict was resolved (by someone else, perhaps at the same moment) with another outcome.</summary>
public sealed class ConflictAlreadyResolvedException(ConflictState state)
    : Exception($"Conflict {state.ConflictId:D} is already resolved in favour of partner {state.WinnerPartnerId}.")
{
    public ConflictState State { get; } = state;
}

/// <summary>Proof of execution a party added to a conflict; <see cref="Description"/> and <see cref="Link"/> are the user's own words, untrusted.</summary>
public sealed record ConflictProof(Guid ProofId, string PartnerId, string Description, string? Link, DateTimeOffset AddedAt);

/// <param name="AddedBy">The Entra object id of the user who added it.</param>
public sealed record ProofRequest(Guid ConflictId, string PartnerId, string Description, string? Link, string AddedBy);

/// <summary>The customer's answer on a pending claim: the partner it named is now POR; the claim is Won when that is its claimant, else Lost.</summary>
public sealed record PendingClaimResolution(Guid ClaimId, Guid SubscriptionId, string ClaimantPartnerId, ClaimStatus Status, string PorPartnerId);

/// <summary>What a resolution decided: a conflict, or a pending claim (exactly one is set).</summary>
public sealed record Resolution(ConflictState? Conflict, PendingClaimResolution? Claim);

/// <summary>The claim cannot take a decision: it was withdrawn, needed none, or was already decided otherwise.</summary>
public sealed class ClaimNotPendingException(string message, PendingClaimResolution? state = null) : Exception(message)
{
    /// <summary>The decision already recorded, when there is one.</summary>
    public PendingClaimResolution? State { get; } = state;
}

/// <summary>How a partner stands in a conflict: the access rules of the conflict card's actions.</summary>
public static class ConflictParties
{
    /// <summary>The current POR or any claimant, past or present: someone whose card this is.</summary>
    public static bool Involves(this ConflictState conflict, string? partnerId) =>
        partnerId is not null && (conflict.CurrentPorPartnerId == partnerId || conflict.Claimants.Any(c => c.PartnerId == partnerId));

    public static ClaimantState? ActiveClaimOf(this ConflictState conflict, string? partnerId) =>
        conflict.Claimants.FirstOrDefault(c => c.PartnerId == partnerId && c.Status == ClaimStatus.Active);

    /// <summary>The current POR or a claimant whose claim is still active: who may add proof.</summary>
    public static bool IsActiveParty(this ConflictState conflict, string? partnerId) =>
        partnerId is not null && (conflict.CurrentPorPartnerId == partnerId || conflict.ActiveClaimOf(partnerId) is not null);

    /// <summary>Every claimant withdrew: the conflict closed with the POR unchanged.</summary>
    public static bool WasWithdrawn(this ConflictState conflict) =>
        conflict.Status == ConflictStatus.Resolved && conflict.Claimants.Count > 0 && conflict.Claimants.All(c => c.Status == ClaimStatus.Withdrawn);
}
