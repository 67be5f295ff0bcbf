using Microsoft.Data.Sqlite;
using PorBot.Storage.Sqlite;

namespace PorBot.Conversations;

public sealed class SqliteAlertChannelStore(SqliteDatabase database) : IAlertChannelStore
{
    private const string Columns = "a.tenant_id, a.conversation_id, a.partner_id, a.conversation_type, a.display_name, a.designated_by, a.designated_at";

    public async Task DesignateAsync(AlertChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.Command("""
            INSERT INTO alert_channels (tenant_id, conversation_id, partner_id, conversation_type, display_name, designated_by, designated_at)
            VALUES ($tenant, $conversation, $partner, $type, $name, $by, $at)
            ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
                partner_id = excluded.partner_id,
                conversation_type = coalesce(excluded.conversation_type, conversation_type),
                display_name = coalesce(excluded.display_name, display_name),
                designated_by = excluded.designated_by,
                designated_at = excluded.designated_at
            """)
            .With("$tenant", channel.TenantId).With("$conversation", channel.ConversationId).With("$partner", channel.PartnerId)
            .With("$type", channel.ConversationType).With("$name", channel.DisplayName).With("$by", channel.DesignatedBy)
            .With("$at", channel.DesignatedAt.ToDbTime())
            .ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> RemoveAsync(string tenantId, string conversationId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.Command("DELETE FROM alert_channels WHERE tenant_id = $tenant AND conversation_id = $conversation")
            .With("$tenant", tenantId).With("$conversation", conversationId).ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<AlertChannel?> GetAsync(string tenantId, string conversationId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command($"SELECT {Columns} FROM alert_channels a WHERE a.tenant_id = $tenant AND a.conversation_id = $conversation")
            .With("$tenant", tenantId).With("$conversation", conversationId).ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<AlertChannel>> ListByTenantAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command($"SELECT {Columns} FROM alert_channels a WHERE a.tenant_id = $tenant ORDER BY a.conversation_id")
            .With("$tenant", tenantId).ExecuteReaderAsync(cancellationToken);
        var list = new List<AlertChannel>();
        while (await reader.ReadAsync(cancellationToken)) list.Add(Read(reader));
        return list;
    }

    public async Task<IReadOnlyList<AlertChannelState>> ListAsync(string? partnerId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command($"""
            SELECT {Columns}, EXISTS (SELECT 1 FROM conversation_references r
                                      WHERE r.tenant_id = a.tenant_id AND r.conversation_id = a.conversation_id AND r.user_aad_object_id = '' AND r.is_dead = 0)
            FROM alert_channels a
            WHERE $partner IS NULL OR a.partner_id = $partner
            ORDER BY a.partner_id, a.designated_at
            """).With("$partner", partnerId).ExecuteReaderAsync(cancellationToken);
        var list = new List<AlertChannelState>();
        while (await reader.ReadAsync(cancellationToken)) list.Add(new AlertChannelState(Read(reader), reader.GetInt64(7) != 0));
        return list;
    }

    private static AlertChannel Read(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetNullableString(3), r.GetNullableString(4), r.GetString(5),
        SqliteExtensions.FromDbTime(r.GetString(6)));
}
