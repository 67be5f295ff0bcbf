using System.Text.Json;
using PorBot.Storage.Sqlite;

namespace PorBot.Conversations;

public sealed class SqliteDialogStateStore(SqliteDatabase database, TimeProvider time) : IDialogStateStore
{
    public async Task<VersionedDialogState?> GetAsync(DialogKey key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command("""
                SELECT state_json, version, updated_at FROM dialog_state
                WHERE tenant_id = $tenant AND conversation_id = $conversation AND user_id = $user
                """)
            .With("$tenant", key.TenantId).With("$conversation", key.ConversationId).With("$user", key.UserId)
            .ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        using var document = JsonDocument.Parse(reader.GetString(0));
        return new VersionedDialogState(document.RootElement.Clone(), reader.GetInt64(1), SqliteExtensions.FromDbTime(reader.GetString(2)));
    }

    public async Task<bool> TrySaveAsync(DialogKey key, JsonElement state, long expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var json = state.GetRawText();
        var now = time.GetUtcNow().ToDbTime();
        var command = expectedVersion == 0
            ? connection.Command("""
                INSERT INTO dialog_state (tenant_id, conversation_id, user_id, state_json, version, updated_at)
                VALUES ($tenant, $conversation, $user, $json, 1, $now)
                ON CONFLICT DO NOTHING
                """)
            : connection.Command("""
                UPDATE dialog_state SET state_json = $json, version = version + 1, updated_at = $now
                WHERE tenant_id = $tenant AND conversation_id = $conversation AND user_id = $user AND version = $expected
                """).With("$expected", expectedVersion);
        await using (command)
        {
            return await command
                .With("$tenant", key.TenantId).With("$conversation", key.ConversationId).With("$user", key.UserId)
                .With("$json", json).With("$now", now)
                .ExecuteNonQueryAsync(cancellationToken) == 1;
        }
    }

    public async Task DeleteAsync(DialogKey key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.Command("DELETE FROM dialog_state WHERE tenant_id = $tenant AND conversation_id = $conversation AND user_id = $user")
            .With("$tenant", key.TenantId).With("$conversation", key.ConversationId).With("$user", key.UserId)
            .ExecuteNonQueryAsync(cancellationToken);
    }
}
