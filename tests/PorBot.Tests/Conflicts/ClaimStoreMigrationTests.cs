using Microsoft.Data.Sqlite;
using PorBot.Conflicts;
using PorBot.Storage.Sqlite;

namespace PorBot.Tests.Conflicts;

/// <summary>A database written before claims moved behind IClaimStore (migration 009) keeps its claims, keys and cancelled cards after the upgrade.</summary>
public sealed class ClaimStoreMigrationTests : IAsyncLifetime
{
    private const string RecordedKey = "api:crm:order-4711";
    private const string CancelledCard = "chat:2f1e0d9c-8b7a-4a6b-9c5d-4e3f2a1b0c9d:aad-1:0f9e8d7c6b5a49388271605f4e3d2c1b";

    private static readonly ClaimRequest RecordedRequest = new(Claims.Unheld, Claims.Fabrikam, ClaimSources.Api("crm"), "CRM", "from CRM", RecordedKey);

    private readonly string _path = Path.Combine(Path.GetTempPath(), "porbot-tests", Guid.NewGuid().ToString("N"), "porbot.db");
    private readonly Guid _pendingClaim = Guid.NewGuid();
    private readonly Guid _conflictClaim = Guid.NewGuid();
    private readonly Guid _conflict = Guid.NewGuid();
    private BotTestHost _bot = null!;

    public async Task InitializeAsync()
    {
        var database = new SqliteDatabase($"Data Source={_path}");
        await using (var connection = await database.OpenAsync())
        {
            await ExecuteAsync(connection, "CREATE TABLE schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)");
            foreach (var (id, sql) in MigrationsUpTo("009"))
            {
                await ExecuteAsync(connection, sql);
                await ExecuteAsync(connection, $"INSERT INTO schema_migrations (id, applied_at) VALUES ('{id}', '2025-01-01T00:00:00.0000000Z')");
            }

            // As the claim code before migration 010 wrote them: the key and hash on the claim, a cancelled card in its own table.
            await ExecuteAsync(connection, $"""
                INSERT INTO claims (claim_id, subscription_id, claimant_partner_id, source, source_system, note, outcome, conflict_id, status,
                                    idempotency_key, request_hash, created_at, updated_at)
                VALUES ('{_pendingClaim:D}', '{Claims.Unheld:D}', '{Claims.Fabrikam}', 'api:crm', 'CRM', 'from CRM', 'Pending', NULL, 'Active',
                        '{RecordedKey}', '{ClaimService.RequestHash(RecordedRequest)}', '2025-01-02T00:00:00.0000000Z', '2025-01-02T00:00:00.0000000Z');
                INSERT INTO conflicts (conflict_id, subscription_id, current_por_partner_id, status, version, created_at, updated_at)
                VALUES ('{_conflict:D}', '{Claims.ContosoHeld:D}', '{Claims.Contoso}', 'Open', 1, '2025-01-03T00:00:00.0000000Z', '2025-01-03T00:00:00.0000000Z');
                INSERT INTO claims (claim_id, subscription_id, claimant_partner_id, source, outcome, conflict_id, status, created_at, updated_at)
                VALUES ('{_conflictClaim:D}', '{Claims.ContosoHeld:D}', '{Claims.Fabrikam}', 'chat', 'Conflict', '{_conflict:D}', 'Active',
                        '2025-01-03T00:00:00.0000000Z', '2025-01-03T00:00:00.0000000Z');
                INSERT INTO cancelled_claim_cards (idempotency_key, cancelled_at) VALUES ('{CancelledCard}', '2025-01-04T00:00:00.0000000Z');
                """);
        }

        SqliteConnection.ClearAllPools();
        _bot = await BotTestHost.StartAsync(databasePath: _path, settings: Claims.Settings);
    }

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task RecordedKey_AfterTheUpgrade_ReplaysTheSameRequestAndRefusesAnother()
    {
        // The other request first: with the key forgotten it would take it, and the repeat would still look right.
        Assert.False(await _bot.Service().CancelCardAsync(RecordedKey, CancellationToken.None));
        await Assert.ThrowsAsync<IdempotencyKeyReusedException>(() => _bot.Service().ClaimAsync(RecordedRequest with { Note = "changed" }, CancellationToken.None));

        var replayed = await _bot.Service().ClaimAsync(RecordedRequest, CancellationToken.None);

        Assert.Equal(new ClaimResult(_pendingClaim, ClaimOutcome.Pending, null, Replayed: true), replayed);
        Assert.Equal(2, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task CancelledCard_AfterTheUpgrade_StillRecordsNothingOnConfirm()
    {
        var error = await Assert.ThrowsAsync<ClaimValidationException>(() =>
            _bot.Service().ClaimAsync(new ClaimRequest(Claims.ContosoHeld, Claims.Northwind, ClaimSources.Chat, IdempotencyKey: CancelledCard), CancellationToken.None));

        Assert.Contains("This claim card was cancelled", error.Message, StringComparison.Ordinal);
        Assert.True(await _bot.Service().CancelCardAsync(CancelledCard, CancellationToken.None));
        Assert.Equal(2, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task ClaimsRecordedBeforeTheUpgrade_CanBeJoinedResolvedAndLookedUp()
    {
        var joined = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Northwind);
        var pending = await _bot.Service().ResolvePendingClaimAsync(_pendingClaim, Claims.Fabrikam, "operator:test", CancellationToken.None);

        Assert.Equal((ClaimOutcome.Conflict, _conflict), (joined.Outcome, joined.ConflictId));
        var conflict = await _bot.Service().GetConflictAsync(_conflictClaim, CancellationToken.None);
        Assert.Equal(2, conflict!.Version);
        Assert.Equal([(_conflictClaim, Claims.Fabrikam), (joined.ClaimId, Claims.Northwind)], conflict.Claimants.Select(c => (c.ClaimId, c.PartnerId)));
        Assert.Equal(ClaimStatus.Won, pending.Status);
        Assert.Equal(new HashSet<Guid> { Claims.ContosoHeld }, await _bot.Service().GetActiveClaimsAsync(Claims.Fabrikam, [Claims.ContosoHeld, Claims.Unheld], CancellationToken.None));
    }

    private static IEnumerable<(string Id, string Sql)> MigrationsUpTo(string last)
    {
        const string prefix = "PorBot.Storage.Sqlite.Migrations.";
        var assembly = typeof(SqliteMigrator).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var id = Path.GetFileNameWithoutExtension(name[prefix.Length..]);
            if (string.CompareOrdinal(id[..3], last) > 0) yield break;
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return (id, reader.ReadToEnd());
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
