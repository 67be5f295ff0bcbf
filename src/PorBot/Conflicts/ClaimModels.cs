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
