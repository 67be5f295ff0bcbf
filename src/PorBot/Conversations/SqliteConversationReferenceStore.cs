using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using PorBot.Storage.Sqlite;

namespace PorBot.Conversations;

public sealed class SqliteConversationReferenceStore(SqliteDatabase database, TimeProvider time) : IConversationReferenceStore
{
    // Every message refreshes its reference; skipping writes that would change nothing keeps a busy
    // chat from turning every turn into a database write.
    private static readonly TimeSpan RewriteAfter = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<(string, string, string), (StoredConversationReference Reference, DateTimeOffset WrittenAt)> _recent = new();

    public async Task UpsertAsync(StoredConversationReference reference, CancellationToken cancellationToken)
    {
        var key = (reference.TenantId, reference.ConversationId, reference.UserAadObjectId);
        var now = time.GetUtcNow();
        if (_recent.TryGetValue(key, out var recent) && now - recent.WrittenAt < RewriteAfter && SameApartFromTime(recent.Reference, reference))
        {
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.Command("""
            INSERT INTO conversation_references (tenant_id, conversation_id, user_aad_object_id, user_id, user_name, bot_id, service_url,
                service_url_verified, channel_id, conversation_type, team_id, team_aad_group_id, is_dead, dead_reason, created_at, updated_at)
            VALUES ($tenant, $conversation, $user, $userId, $userName, $bot, $serviceUrl, $verified, $channel, $type, $team, $teamGroup, 0, NULL, $now, $now)
            ON CONFLICT (tenant_id, conversation_id, user_aad_object_id) DO UPDATE SET
                user_id = coalesce(excluded.user_id, user_id),
                user_name = coalesce(excluded.user_name, user_name),
                bot_id = excluded.bot_id,
                service_url = excluded.service_url,
                service_url_verified = excluded.service_url_verified,
                channel_id = excluded.channel_id,
                conversation_type = coalesce(excluded.conversation_type, conversation_type),
                team_id = coalesce(excluded.team_id, team_id),
                team_aad_group_id = coalesce(excluded.team_aad_group_id, team_aad_group_id),
                is_dead = 0,
                dead_reason = NULL,
                updated_at = excluded.updated_at
            """)
            .With("$tenant", reference.TenantId).With("$conversation", reference.ConversationId).With("$user", reference.UserAadObjectId)
            .With("$userId", reference.UserId).With("$userName", reference.UserName).With("$bot", reference.BotId)
            .With("$serviceUrl", reference.ServiceUrl).With("$verified", reference.ServiceUrlVerified ? 1 : 0)
            .With("$channel", reference.ChannelId).With("$type", reference.ConversationType).With("$team", reference.TeamId)
            .With("$teamGroup", reference.TeamAadGroupId)
            .With("$now", now.ToDbTime())
            .ExecuteNonQueryAsync(cancellationToken);
        _recent[key] = (reference, now);
    }

    // The middleware never sets UpdatedAt, so on the hot path this compares without copying either record.
    private static bool SameApartFromTime(StoredConversationReference a, StoredConversationReference b) =>
        a.UpdatedAt == b.UpdatedAt ? a == b : a with { UpdatedAt = default } == b with { UpdatedAt = default };

    public async Task MarkDeadAsync(string conversationId, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.Command("UPDATE conversation_references SET is_dead = 1, dead_reason = $reason, updated_at = $now WHERE conversation_id = $conversation")
            .With("$reason", reason).With("$now", time.GetUtcNow().ToDbTime()).With("$conversation", conversationId)
            .ExecuteNonQueryAsync(cancellationToken);
        foreach (var key in _recent.Keys.Where(k => k.Item2 == conversationId)) _recent.TryRemove(key, out _);
    }

    public async Task<StoredConversationReference?> GetAsync(string tenantId, string conversationId, string userAadObjectId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command($"{Select} WHERE tenant_id = $tenant AND conversation_id = $conversation AND user_aad_object_id = $user")
            .With("$tenant", tenantId).With("$conversation", conversationId).With("$user", userAadObjectId)
            .ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<StoredConversationReference>> ListLiveByTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command($"{Select} WHERE tenant_id = $tenant AND is_dead = 0 ORDER BY conversation_id, user_aad_object_id")
            .With("$tenant", tenantId).ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredConversationReference>();
        while (await reader.ReadAsync(cancellationToken)) list.Add(Read(reader));
        return list;
    }

    public async Task<IReadOnlyList<StoredConversationReference>> ListAlertTargetsByTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        // A personal chat is reached through its user's row; a designated conversation through its own row (user ''),
        // never through the rows of people who wrote there, so each place gets one card.
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command($"""
            {Select} r
            WHERE r.tenant_id = $tenant AND r.is_dead = 0 AND (
                  (r.user_aad_object_id <> '' AND lower(coalesce(r.conversation_type, 'personal')) = 'personal')
               OR (r.user_aad_object_id = '' AND EXISTS (SELECT 1 FROM alert_channels a WHERE a.tenant_id = r.tenant_id AND a.conversation_id = r.conversation_id)))
            ORDER BY r.conversation_id, r.user_aad_object_id
            """).With("$tenant", tenantId).ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredConversationReference>();
        while (await reader.ReadAsync(cancellationToken)) list.Add(Read(reader));
        return list;
    }

    private const string Select = """
        SELECT tenant_id, conversation_id, user_aad_object_id, user_id, user_name, bot_id, service_url, service_url_verified,
               channel_id, conversation_type, team_id, is_dead, dead_reason, updated_at, team_aad_group_id
        FROM conversation_references
        """;

    private static StoredConversationReference Read(SqliteDataReader r) => new()
    {
        TenantId = r.GetString(0),
        ConversationId = r.GetString(1),
        UserAadObjectId = r.GetString(2),
        UserId = r.GetNullableString(3),
        UserName = r.GetNullableString(4),
        BotId = r.GetString(5),
        ServiceUrl = r.GetString(6),
        ServiceUrlVerified = r.GetInt64(7) != 0,
        ChannelId = r.GetString(8),
        ConversationType = r.GetNullableString(9),
        TeamId = r.GetNullableString(10),
        IsDead = r.GetInt64(11) != 0,
        DeadReason = r.GetNullableString(12),
        UpdatedAt = SqliteExtensions.FromDbTime(r.GetString(13)),
        TeamAadGroupId = r.GetNullableString(14),
    };
}
