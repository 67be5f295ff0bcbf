using System.Security.Cryptography;
using System.Text;
using PorBot.Conversations;

namespace PorBot.Conflicts;

/// <summary>
/// The alert outbox: every alert and card update owed to a party in one conversation, and its delivery state
/// (Pending → Sending → Delivered | Pending again | Failed | Undeliverable; Unknown when a send's outcome is not
/// known and must be reconciled; Waiting while the party has nowhere to be alerted). The dispatcher, sender and
/// reconciler drive it; <see cref="SqliteAlertOutbox"/> keeps it in the embedded database, and the Azure Storage
/// adapter in a table with a queue of due work. Every implementation must make a row sendable by one worker at a
/// time, across processes: that is what keeps an alert from showing twice.
/// </summary>
public interface IAlertOutbox
{
    /// <summary>
    /// Adds rows for alerts a change owes (a no-op for any already there: <see cref="NewAlert.AlertId"/> is the same
    /// for the same place and revision). Stores that hold claims elsewhere call this once their change is committed.
    /// </summary>
    /// <returns>How many rows were added.</returns>
    Task<int> EnqueueAsync(IReadOnlyList<NewAlert> alerts, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="max"/> due Pending rows, Alerts before Updates, oldest first, leaving out the conversations and tenants the caller cannot send to now.</summary>
    Task<IReadOnlyList<OutboxItem>> ListDueAsync(int max, IReadOnlyCollection<string> skipConversations, IReadOnlyCollection<string> skipTenants, CancellationToken cancellationToken);

    /// <summary>Claims one row for sending now (Pending → Sending, one attempt used); null if it is no longer due or someone else took it.</summary>
    Task<OutboxItem?> TryLeaseAsync(Guid alertId, CancellationToken cancellationToken);

    /// <summary>Records, just before the connector call, that a leased row is being sent and how; false when the row is no longer this worker's.</summary>
    Task<bool> BeginSendAsync(Guid alertId, SendKind kind, DateTimeOffset startedAt, CancellationToken cancellationToken);

    /// <summary>Rows left in Sending past their lease: never sent → Pending; sent → Unknown, due for reconciliation.</summary>
    Task<ParkedLeases> ParkExpiredLeasesAsync(CancellationToken cancellationToken);

    /// <summary>A live worker gave up on a leased row: settled as a crash would settle it, at once.</summary>
    Task<ParkedLeases> ParkInterruptedAsync(Guid alertId, string reason, CancellationToken cancellationToken);

    Task MarkDeliveredAsync(Guid alertId, string? activityId, CancellationToken cancellationToken);

    Task MarkUndeliverableAsync(Guid alertId, string reason, CancellationToken cancellationToken);

    /// <summary>A transient failure: Pending again after a jittered back-off (never before <paramref name="notBefore"/>), or Failed once attempts run out.</summary>
    /// <param name="onlyIfNotSent">Leave the row alone if its send had begun.</param>
    Task RescheduleAsync(OutboxItem item, string reason, CancellationToken cancellationToken, TimeSpan? notBefore = null, bool onlyIfNotSent = false);

    /// <summary>The connector answered a post ambiguously: Unknown, reconciled once a late delivery can no longer land.</summary>
    Task MarkUnknownAsync(Guid alertId, string reason, DateTimeOffset sendStartedAt, CancellationToken cancellationToken);

    /// <summary>Unknown rows not held for an operator whose time to be checked has come, oldest first.</summary>
    Task<IReadOnlyList<UnknownSend>> ListUnknownDueAsync(int max, CancellationToken cancellationToken);

    /// <summary>An Unknown row goes out again as a normal send (the interrupted attempt still counts).</summary>
    Task<bool> RequeueUnknownAsync(Guid alertId, string reason, CancellationToken cancellationToken);

    /// <summary>An Unknown row not worth another attempt: Failed, with the reason.</summary>
    Task GiveUpUnknownAsync(Guid alertId, string reason, CancellationToken cancellationToken);

    /// <summary>The probe could not answer for now: ask again after <paramref name="delay"/>.</summary>
    Task RecheckLaterAsync(Guid alertId, string reason, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Nothing can settle this row automatically: it stays Unknown until an operator releases it.</summary>
    Task HoldAsync(Guid alertId, string reason, CancellationToken cancellationToken);

    /// <summary><c>alerts resend</c>: an operator wants an Unknown alert sent again; the outcome, and the row's status when it was not released.</summary>
    Task<(ReleaseOutcome Outcome, string? Status)> ReleaseByOperatorAsync(Guid alertId, string operatorId, CancellationToken cancellationToken);

    /// <summary>Not this row's turn yet: back to Pending after <paramref name="delay"/> without using up an attempt (never a row whose send had begun).</summary>
    Task DeferAsync(Guid alertId, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>The card already in this row's conversation for its party and conflict, with the row that posted it.</summary>
    Task<DeliveredCard?> FindDeliveredCardAsync(OutboxItem item, CancellationToken cancellationToken);

    /// <summary>True while a first card for this row's place may still appear: an Update must wait for it.</summary>
    Task<bool> HasAlertInFlightAsync(OutboxItem item, CancellationToken cancellationToken);

    Task<IReadOnlyList<OutboxItem>> ListWaitingAsync(int max, CancellationToken cancellationToken);

    /// <summary>Replaces a Waiting row by one Pending row per place, all or nothing (a no-op if someone else already did); the number of rows added.</summary>
    Task<int> PromoteWaitingAsync(OutboxItem waiting, IReadOnlyList<StoredConversationReference> places, CancellationToken cancellationToken);

    /// <param name="partnerId">Only this party's rows; null for all.</param>
    /// <param name="recentProblems">How many problem rows to list: held ones first, then the latest.</param>
    Task<AlertStatusReport> GetStatusAsync(string? partnerId, int recentProblems, CancellationToken cancellationToken);
}

public static class AlertKinds
{
    /// <summary>The first card a party gets in a conversation about a conflict.</summary>
    public const string Alert = "Alert";

    /// <summary>That card brought up to date in place (a new claimant, proof, withdrawal, the decision).</summary>
    public const string Update = "Update";
}

/// <summary>An alert a change owes: to <paramref name="PartyPartnerId"/> in <paramref name="Place"/>, or Waiting when the party has nowhere to be alerted yet.</summary>
public sealed record NewAlert(Guid ConflictId, string Kind, int Revision, string PartyPartnerId, StoredConversationReference? Place)
{
    /// <summary>
    /// The same for the same conflict, kind, revision, party and place, so that queueing an alert twice (a retried
    /// change, a recovered fan-out, two instances) keeps one row; a name-based (version 8) UUID from SHA-256.
    /// </summary>
    public Guid AlertId { get; } = IdFor(ConflictId, Kind, Revision, PartyPartnerId, Place?.TenantId, Place?.ConversationId, Place?.UserAadObjectId);

    public static Guid IdFor(Guid conflictId, string kind, int revision, string party, string? tenantId, string? conversationId, string? userAadObjectId)
    {
        var name = string.Join('\u001f', conflictId.ToString("D"), kind, revision.ToString(System.Globalization.CultureInfo.InvariantCulture), party,
            tenantId?.ToLowerInvariant() ?? "", conversationId ?? "", userAadObjectId?.ToLowerInvariant() ?? "");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}

/// <summary>One outbox row leased for sending (or a Waiting row to retarget).</summary>
public sealed record OutboxItem(
    Guid AlertId,
    Guid ConflictId,
    string Kind,
    int Revision,
    string PartyPartnerId,
    string? TenantId,
    string? ConversationId,
    string? UserAadObjectId,
    int Attempts);

/// <summary>The connector call a send makes: a new card, or an update in place of the card already delivered there.</summary>
public enum SendKind { Post, Update }

/// <summary>An Unknown row due for reconciliation; <paramref name="SentAs"/> is null only for rows older than that record.</summary>
public sealed record UnknownSend(OutboxItem Item, SendKind? SentAs, DateTimeOffset SendStartedAt);

/// <summary>The card a place already has: its activity id, and the outbox row that posted it (the key the card carries).</summary>
public sealed record DeliveredCard(string ActivityId, Guid PostedBy);

/// <summary>What a pass found left over from a stopped process.</summary>
public readonly record struct ParkedLeases(int NeverSent, int Unknown);

public enum ReleaseOutcome { Released, NotUnknown, NoSuchAlert }

/// <param name="Held">An Unknown row nothing could settle: it waits for <c>alerts resend</c>.</param>
public sealed record AlertFailure(Guid AlertId, Guid ConflictId, string PartyPartnerId, string Status, string? ConversationId, string? Reason, DateTimeOffset UpdatedAt, bool Held = false);

/// <param name="Held">How many of the Unknown rows wait for an operator.</param>
public sealed record AlertStatusReport(IReadOnlyDictionary<string, int> CountsByStatus, IReadOnlyList<AlertFailure> RecentProblems, int Held = 0);
