using System.Text.Json;

namespace PorBot.Conversations;

/// <summary>
/// Where a user's place in a guided dialog is kept between turns (and across restarts). Saves are
/// optimistic: a save based on a stale version fails instead of overwriting a newer step.
/// </summary>
public interface IDialogStateStore
{
    Task<VersionedDialogState?> GetAsync(DialogKey key, CancellationToken cancellationToken);

    /// <summary>Saves when the stored version still equals <paramref name="expectedVersion"/> (0 = not stored yet); false otherwise.</summary>
    Task<bool> TrySaveAsync(DialogKey key, JsonElement state, long expectedVersion, CancellationToken cancellationToken);

    Task DeleteAsync(DialogKey key, CancellationToken cancellationToken);
}

/// <summary>Identifies one user's dialog in one conversation.</summary>
public sealed record DialogKey(string TenantId, string ConversationId, string UserId);

public sealed record VersionedDialogState(JsonElement State, long Version, DateTimeOffset UpdatedAt);
