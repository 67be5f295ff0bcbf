using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using PorBot.Conflicts;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// One alert outbox row in the <c>AlertOutbox</c> table: partition = conflict id (a place's rows are read with one
/// partition query), row = alert id. The same fields as SQLite's <c>alert_outbox</c>; a null property is absent.
/// </summary>
internal sealed class AlertOutboxRow : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Kind { get; set; } = "";

    public int Revision { get; set; }

    public string PartyPartnerId { get; set; } = "";

    public string? TenantId { get; set; }

    public string? ConversationId { get; set; }

    public string? UserAadObjectId { get; set; }

    public string Status { get; set; } = "";

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    public DateTimeOffset? SendStartedAt { get; set; }

    public string? SentAs { get; set; }

    public string? ActivityId { get; set; }

    public string? LastError { get; set; }

    public string? HeldReason { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    // Methods, not properties: the table client would store a property.
    public Guid GetAlertId() => Guid.Parse(RowKey);

    public Guid GetConflictId() => Guid.Parse(PartitionKey);

    public bool IsHeld() => Status == OutboxStatus.Unknown && HeldReason is not null;

    public AlertOutboxRow Clone() => (AlertOutboxRow)MemberwiseClone();

    public OutboxItem ToItem() =>
        new(GetAlertId(), GetConflictId(), Kind, Revision, PartyPartnerId, TenantId, ConversationId, UserAadObjectId, Attempts);

    public static AlertOutboxRow New(NewAlert alert, DateTimeOffset now) => new()
    {
        PartitionKey = Key(alert.ConflictId),
        RowKey = Key(alert.AlertId),
        Kind = alert.Kind,
        Revision = alert.Revision,
        PartyPartnerId = alert.PartyPartnerId,
        TenantId = alert.Place?.TenantId,
        ConversationId = alert.Place?.ConversationId,
        UserAadObjectId = alert.Place?.UserAadObjectId,
        Status = alert.Place is null ? OutboxStatus.Waiting : OutboxStatus.Pending,
        NextAttemptAt = now,
        CreatedAt = now,
        UpdatedAt = now,
    };

    /// <summary>Same conflict (the partition), party and target conversation: what SQLite's outbox calls the same place.</summary>
    public bool IsSamePlace(OutboxItem item) =>
        PartyPartnerId == item.PartyPartnerId && TenantId == item.TenantId && ConversationId == item.ConversationId && UserAadObjectId == item.UserAadObjectId;

    public static string Key(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);
}

/// <summary>The statuses an outbox row goes through (the strings SQLite stores too).</summary>
internal static class OutboxStatus
{
    public const string Waiting = "Waiting";
    public const string Pending = "Pending";
    public const string Sending = "Sending";
    public const string Delivered = "Delivered";
    public const string Failed = "Failed";
    public const string Undeliverable = "Undeliverable";
    public const string Unknown = "Unknown";

    public static bool IsKnown(string status) => status is Waiting or Pending or Sending or Delivered or Failed or Undeliverable or Unknown;

    public static bool IsSettled(string status) => status is Delivered or Failed or Undeliverable;
}

/// <summary>
/// A queue message: "look at this row". It names the row's keys and counts the times it could not be processed
/// (the queue's own dequeue count also goes up every time a message is only put back until its row is due).
/// </summary>
internal sealed record OutboxMessage(
    [property: JsonPropertyName("a")] Guid AlertId,
    [property: JsonPropertyName("c")] Guid ConflictId,
    [property: JsonPropertyName("f")] int Failures = 0,
    [property: JsonPropertyName("e")] string? LastFailure = null)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static bool TryParse(string? text, [NotNullWhen(true)] out OutboxMessage? message)
    {
        message = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        try
        {
            message = JsonSerializer.Deserialize<OutboxMessage>(text);
        }
        catch (JsonException)
        {
            return false;
        }

        return message is not null && message.AlertId != Guid.Empty && message.ConflictId != Guid.Empty;
    }
}
