using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PorBot.Cli;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Storage.AzureStorage;
using PorBot.Storage.Sqlite;
using PorBot.Tests.Registry;

namespace PorBot.Tests.Storage;

/// <summary><c>migrate-to-azure</c> from a real SQLite file into Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class MigrateToAzureCommandTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Partners = """
        partner_id,name,tenant_ids,country
        4412345,Contoso Cloud Partners,1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01,AU
        5523456,Fabrikam Consulting,2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c02,NZ
        """;

    private const string Subscriptions = """
        subscription_id,customer_name,customer_tenant_id,customer_domain,program,product,por_partner_id,por_since
        8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11,Contoso,c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21,contoso.com,EA,Azure,4412345,2025-03-14
        9b0c1d2e-3f4a-4b6c-9d7e-8f9a0b1c2d12,Contoso,c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21,contoso.com,CSP,Office365,,
        """;

    private static readonly Guid ContosoOffice = Guid.Parse("9b0c1d2e-3f4a-4b6c-9d7e-8f9a0b1c2d12");
    private static readonly Guid ContosoAzure = Guid.Parse("8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11");
    private static readonly DateTimeOffset ClaimedAt = new(2026, 3, 2, 9, 15, 30, TimeSpan.Zero);

    // On ContosoAzure (POR 4412345), Fabrikam's API claim opened a conflict, with proof; on ContosoOffice a chat
    // claim is pending, the customer's decision recorded but not yet in the registry; and a claim card was cancelled.
    private static readonly StoredConflict SeededConflict = new(Guid.Parse("c1000000-0000-4000-8000-000000000001"), ContosoAzure, "4412345",
        ConflictStatus.Open, null, null, true, 2, ClaimedAt, ClaimedAt.AddMinutes(5));

    private static readonly StoredClaim ApiClaim = new(Guid.Parse("a1000000-0000-4000-8000-000000000001"), ContosoAzure, "5523456", "api:crm", "Dynamics",
        "Signed in March", ClaimOutcome.Conflict, SeededConflict.ConflictId, ClaimStatus.Active, "api:crm:order-42", "hash-42", null, null, true, ClaimedAt, ClaimedAt);

    private static readonly StoredClaim PendingClaim = new(Guid.Parse("a1000000-0000-4000-8000-000000000002"), ContosoOffice, "4412345", ClaimSources.Chat, null,
        null, ClaimOutcome.Pending, null, ClaimStatus.Won, null, "hash-7", "4412345", "aad-customer", false, ClaimedAt.AddHours(1), ClaimedAt.AddHours(2));

    private static readonly StoredProof SeededProof = new(Guid.Parse("b1000000-0000-4000-8000-000000000001"), SeededConflict.ConflictId, "5523456",
        "Azure landing zone, SOW 42", "https://fabrikam.example/sow/42", "aad-fabrikam", ClaimedAt.AddMinutes(5));

    private RegistryTestDatabase _db = null!;
    private AzureStorageClients _clients = null!;

    public async Task InitializeAsync()
    {
        _db = await RegistryTestDatabase.CreateAsync();
        _clients = await azurite.CreateClientsAsync();
        await _db.ImportOkAsync(_db.WriteFile("partners.csv", Partners), _db.WriteFile("subscriptions.csv", Subscriptions));
        await _db.Registry().RecordPorChangeAsync(new PorChange(ContosoOffice, "5523456", new DateOnly(2026, 2, 1), "claim approved"), default);
        var references = new SqliteConversationReferenceStore(_db.Database, TimeProvider.System);
        await references.UpsertAsync(new StoredConversationReference
        {
            TenantId = "1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01", ConversationId = "a:chat-1", UserAadObjectId = "aad-1", UserName = "Megan",
            BotId = "28:bot", ServiceUrl = "https://smba.trafficmanager.net/amer/", ServiceUrlVerified = true, ChannelId = "msteams",
        }, default);
        await references.UpsertAsync(new StoredConversationReference
        {
            TenantId = "1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01", ConversationId = "a:chat-2", UserAadObjectId = "aad-2",
            BotId = "28:bot", ServiceUrl = "https://smba.trafficmanager.net/amer/", ServiceUrlVerified = false, ChannelId = "msteams",
        }, default);
        await references.MarkDeadAsync("a:chat-2", "403 BotBlocked", default);
        var dialogs = new SqliteDialogStateStore(_db.Database, TimeProvider.System);
        Assert.True(await dialogs.TrySaveAsync(new DialogKey("t", "a:chat-1", "29:u"), JsonSerializer.SerializeToElement(new { step = 1 }), 0, default));
        Assert.True(await dialogs.TrySaveAsync(new DialogKey("t", "a:chat-1", "29:u"), JsonSerializer.SerializeToElement(new { step = 2 }), 1, default));
        await SeedClaimsAsync();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Migrate_CopiesRegistryReferencesAndDialogs_AndSaysWhatIsNotCopiedYet()
    {
        var run = await MigrateAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("partners: 2 read, 2 copied", run.Output, StringComparison.Ordinal);
        Assert.Contains("subscriptions: 2 read, 2 copied", run.Output, StringComparison.Ordinal);
        Assert.Contains("POR change log: 1 entries copied", run.Output, StringComparison.Ordinal);
        Assert.Contains("conversation references: 2 read, 2 copied", run.Output, StringComparison.Ordinal);
        Assert.Contains("dialog state: 1 read, 1 copied", run.Output, StringComparison.Ordinal);
        Assert.Contains("claims: 2 read, 2 copied", run.Output, StringComparison.Ordinal);
        Assert.Contains("conflicts: 1 read, 1 copied", run.Output, StringComparison.Ordinal);
        Assert.Contains("proofs: 1 read, 1 copied", run.Output, StringComparison.Ordinal);
        Assert.Contains("claim keys: 2 read, 2 copied", run.Output, StringComparison.Ordinal);
        Assert.Contains("alert outbox: 0 read, 0 copied", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("TODO", run.Output, StringComparison.Ordinal);

        var registry = new AzureTablePorRegistry(_clients, TimeProvider.System);
        var office = await registry.GetSubscriptionAsync(ContosoOffice, default);
        Assert.Equal("Fabrikam Consulting", office!.PorPartnerName);
        Assert.Equal(2, (await registry.GetSubscriptionsByDomainAsync("contoso.com", default)).Count);
        Assert.Equal("Contoso", Assert.Single(await registry.SearchCustomersAsync("contso", 10, default)).CustomerName);
        Assert.Equal("4412345", (await registry.GetPartnerByTenantAsync(Guid.Parse("1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01"), default))!.PartnerId);

        var references = new AzureConversationReferenceStore(_clients, new AzureAlertChannelStore(_clients, TimeProvider.System), TimeProvider.System);
        var live = Assert.Single(await references.ListLiveByTenantAsync("1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01", default));
        Assert.Equal("Megan", live.UserName);
        var dead = await references.GetAsync("1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01", "a:chat-2", "aad-2", default);
        Assert.Equal("403 BotBlocked", dead!.DeadReason);

        var dialog = await new AzureDialogStateStore(_clients, TimeProvider.System).GetAsync(new DialogKey("t", "a:chat-1", "29:u"), default);
        Assert.Equal(2, dialog!.Version);
        Assert.Equal(2, dialog.State.GetProperty("step").GetInt32());

        var claims = ClaimStore();
        var azure = await claims.LoadAsync(ContosoAzure, default);
        Assert.NotNull(azure.ConcurrencyToken);
        Assert.Equal(ApiClaim, Assert.Single(azure.Claims));
        Assert.Equal(SeededConflict, Assert.Single(azure.Conflicts));
        Assert.Equal(SeededProof, Assert.Single(azure.Proofs));
        Assert.Equal(PendingClaim, Assert.Single((await claims.LoadAsync(ContosoOffice, default)).Claims));
        Assert.Equal(ContosoAzure, await claims.FindSubscriptionAsync(SeededConflict.ConflictId, default));
        Assert.Equal(ContosoOffice, await claims.FindSubscriptionAsync(PendingClaim.ClaimId, default));
        Assert.Equal(new ClaimKey("api:crm:order-42", "hash-42", ApiClaim.ClaimId, ContosoAzure, false), await claims.FindKeyAsync("api:crm:order-42", default));
        Assert.Equal(new ClaimKey("card:cancelled-1", null, null, null, true), await claims.FindKeyAsync("card:cancelled-1", default));
        Assert.False(await claims.CancelKeyAsync("api:crm:order-42", default));
    }

    [Fact]
    public async Task Migrate_RunAgain_WritesNothingNewAndDuplicatesNothing()
    {
        await MigrateAsync();
        var before = await AzureTableDump.AllAsync(_clients);

        var again = await MigrateAsync();

        Assert.Equal(0, again.ExitCode);
        Assert.Contains("partners: 2 read, 0 copied, 2 unchanged", again.Output, StringComparison.Ordinal);
        Assert.Contains("subscriptions: 2 read, 0 copied, 2 unchanged", again.Output, StringComparison.Ordinal);
        Assert.Contains("conversation references: 2 read, 0 copied, 2 unchanged", again.Output, StringComparison.Ordinal);
        Assert.Contains("dialog state: 1 read, 0 copied, 1 unchanged", again.Output, StringComparison.Ordinal);
        Assert.Contains("claims: 2 read, 0 copied, 2 unchanged", again.Output, StringComparison.Ordinal);
        Assert.Contains("conflicts: 1 read, 0 copied, 1 unchanged", again.Output, StringComparison.Ordinal);
        Assert.Contains("proofs: 1 read, 0 copied, 1 unchanged", again.Output, StringComparison.Ordinal);
        Assert.Contains("claim keys: 2 read, 0 copied, 2 unchanged", again.Output, StringComparison.Ordinal);
        Assert.Equal(before, await AzureTableDump.AllAsync(_clients));
    }

    [Fact]
    public async Task Migrate_RunAgainAfterChangesInAzure_KeepsTheNewerAzureRows()
    {
        await MigrateAsync();
        await new AzureTablePorRegistry(_clients, TimeProvider.System).RecordPorChangeAsync(new PorChange(ContosoOffice, "4412345", new DateOnly(2026, 6, 1), "claim approved in Azure"), default);
        var dialogs = new AzureDialogStateStore(_clients, TimeProvider.System);
        Assert.True(await dialogs.TrySaveAsync(new DialogKey("t", "a:chat-1", "29:u"), JsonSerializer.SerializeToElement(new { step = 3 }), 2, default));

        var again = await MigrateAsync();

        Assert.Contains("subscriptions: 2 read, 0 copied, 1 unchanged, 1 kept (newer in Azure)", again.Output, StringComparison.Ordinal);
        Assert.Contains("dialog state: 1 read, 0 copied, 0 unchanged, 1 kept (newer in Azure)", again.Output, StringComparison.Ordinal);
        Assert.Equal("4412345", (await new AzureTablePorRegistry(_clients, TimeProvider.System).GetSubscriptionAsync(ContosoOffice, default))!.PorPartnerId);
        Assert.Equal(3, (await dialogs.GetAsync(new DialogKey("t", "a:chat-1", "29:u"), default))!.Version);
    }

    [Fact]
    public async Task Migrate_RunAgainAfterClaimsChangedOnBothSides_CopiesWhatSqliteChanged_KeepsWhatAzureChanged()
    {
        await MigrateAsync();
        var claims = ClaimStore();
        var azure = await claims.LoadAsync(ContosoAzure, default);
        var withdrawnInAzure = ApiClaim with { Status = ClaimStatus.Withdrawn, UpdatedAt = ClaimedAt.AddDays(1) };
        var resolvedInAzure = SeededConflict with { Status = ConflictStatus.Resolved, WinnerPartnerId = "4412345", Version = 3, UpdatedAt = ClaimedAt.AddDays(1) };
        Assert.True(await claims.TrySaveAsync(new ClaimsChange(azure, [withdrawnInAzure], [resolvedInAzure], [], []), default));
        await using (var connection = await _db.Database.OpenAsync(default))
        {
            await connection.Command("UPDATE claims SET registry_synced = 1, updated_at = $at WHERE claim_id = $id")
                .With("$at", ClaimedAt.AddHours(3).ToDbTime()).With("$id", PendingClaim.ClaimId.ToString("D")).ExecuteNonQueryAsync();
            await connection.Command("UPDATE claims SET note = 'changed in SQLite', updated_at = $at WHERE claim_id = $id")
                .With("$at", ClaimedAt.AddHours(3).ToDbTime()).With("$id", ApiClaim.ClaimId.ToString("D")).ExecuteNonQueryAsync();
        }

        var again = await MigrateAsync();

        Assert.Contains("claims: 2 read, 1 copied, 0 unchanged, 1 kept (newer in Azure)", again.Output, StringComparison.Ordinal);
        Assert.Contains("conflicts: 1 read, 0 copied, 0 unchanged, 1 kept (newer in Azure)", again.Output, StringComparison.Ordinal);
        var kept = await claims.LoadAsync(ContosoAzure, default);
        Assert.Equal(withdrawnInAzure, Assert.Single(kept.Claims));
        Assert.Equal(resolvedInAzure, Assert.Single(kept.Conflicts));
        Assert.True(Assert.Single((await claims.LoadAsync(ContosoOffice, default)).Claims).RegistrySynced);
    }

    [Fact]
    public async Task Migrate_AlertOutbox_CopiedAsItIs_RowsStillToSendQueuedForAzure_RerunCopiesNothing()
    {
        var conflict = Guid.NewGuid();
        await using (var connection = await _db.Database.OpenAsync())
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "INSERT INTO conflicts (conflict_id, subscription_id, current_por_partner_id, status, version, created_at, updated_at) "
                + "VALUES ($id, $sub, '4412345', 'Open', 1, '2026-03-02T09:00:00.0000000Z', '2026-03-02T09:00:00.0000000Z')";
            command.Parameters.AddWithValue("$id", conflict.ToString("D"));
            command.Parameters.AddWithValue("$sub", ContosoOffice.ToString("D"));
            await command.ExecuteNonQueryAsync();
        }

        var options = Microsoft.Extensions.Options.Options.Create(new AlertDeliveryOptions());
        var sqlite = new SqliteAlertOutbox(_db.Database, TimeProvider.System, options);
        var pending = new NewAlert(conflict, AlertKinds.Alert, 0, "4412345", Place("a:chat-1", "aad-1"));
        var delivered = new NewAlert(conflict, AlertKinds.Alert, 0, "4412345", Place("a:chat-3", "aad-3"));
        var waiting = new NewAlert(conflict, AlertKinds.Alert, 0, "5523456", null);
        await sqlite.EnqueueAsync([pending, delivered, waiting], default);
        var sent = (await sqlite.TryLeaseAsync(delivered.AlertId, default))!;
        Assert.True(await sqlite.BeginSendAsync(delivered.AlertId, SendKind.Post, DateTimeOffset.UtcNow, default));
        await sqlite.MarkDeliveredAsync(delivered.AlertId, "1:card", default);

        var run = await MigrateAsync();

        Assert.Contains("alert outbox: 3 read, 3 copied (1 of them queued for delivery), 0 already in Azure (left as they are).", run.Output, StringComparison.Ordinal);
        Assert.Contains("conflicts: 2 read, 2 copied", run.Output, StringComparison.Ordinal);
        var azure = new AzureQueueAlertOutbox(_clients, TimeProvider.System, options, NullLogger<AzureQueueAlertOutbox>.Instance);
        Assert.Equal(pending.AlertId, Assert.Single(await azure.ListDueAsync(10, [], [], default)).AlertId);
        Assert.Equal(waiting.AlertId, Assert.Single(await azure.ListWaitingAsync(10, default)).AlertId);
        Assert.Equal(new DeliveredCard("1:card", delivered.AlertId), await azure.FindDeliveredCardAsync(sent, default));
        Assert.Equal((await sqlite.GetStatusAsync(null, 10, default)).CountsByStatus.OrderBy(c => c.Key),
            (await azure.GetStatusAsync(null, 10, default)).CountsByStatus.OrderBy(c => c.Key));

        var again = await MigrateAsync();

        Assert.Contains("alert outbox: 3 read, 0 copied (0 of them queued for delivery), 3 already in Azure (left as they are).", again.Output, StringComparison.Ordinal);
    }

    private static StoredConversationReference Place(string conversationId, string user) =>
        TestReferences.Place("1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01", conversationId, user);

    [Fact]
    public async Task Migrate_CopiesAlertChannelDesignations_AndAlertsGoWhereTheyWentBefore()
    {
        var yesterday = DesignationTime();
        await DesignateInSqliteAsync(DealDesk(yesterday));
        await DesignateInSqliteAsync(new AlertChannel(PartnerTenant, PorChannel, "4412345", "channel", null, "aad-operator", yesterday.AddMinutes(5)));

        var run = await MigrateAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("alert channel designations: 2 read, 2 copied, 0 unchanged, 0 kept (newer in Azure)", run.Output, StringComparison.Ordinal);
        var channels = new AzureAlertChannelStore(_clients, TimeProvider.System);
        Assert.Equal(DealDesk(yesterday), await channels.GetAsync(PartnerTenant, DealDeskChat, default));
        Assert.Equal([DealDeskChat, PorChannel], (await channels.ListAsync("4412345", default)).Select(s => s.Channel.ConversationId));
        var sqliteTargets = await new SqliteConversationReferenceStore(_db.Database, TimeProvider.System).ListAlertTargetsByTenantAsync(PartnerTenant, default);
        var azureTargets = await new AzureConversationReferenceStore(_clients, channels, TimeProvider.System).ListAlertTargetsByTenantAsync(PartnerTenant, default);
        Assert.Equal([$"{DealDeskChat}|", $"{PorChannel}|", "a:chat-1|aad-1"], sqliteTargets.Select(t => $"{t.ConversationId}|{t.UserAadObjectId}"));
        Assert.Equal(sqliteTargets.Select(t => $"{t.ConversationId}|{t.UserAadObjectId}"), azureTargets.Select(t => $"{t.ConversationId}|{t.UserAadObjectId}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Migrate_RunAgainAfterAlertsHereAndAlertsOffHereInAzure_KeepsWhatAzureSaysAndRedesignatesNothing()
    {
        var yesterday = DesignationTime();
        await DesignateInSqliteAsync(DealDesk(yesterday));
        await DesignateInSqliteAsync(new AlertChannel(PartnerTenant, PorChannel, "4412345", "channel", null, "aad-operator", yesterday));
        await MigrateAsync();
        var unchanged = await MigrateAsync();
        var channels = new AzureAlertChannelStore(_clients, TimeProvider.System);
        Assert.True(await channels.RemoveAsync(PartnerTenant, PorChannel, default));
        await channels.DesignateAsync(DealDesk(DateTimeOffset.UtcNow) with { DisplayName = "Deal desk (renamed)", DesignatedBy = "aad-admin-2" }, default);

        var again = await MigrateAsync();

        Assert.Contains("alert channel designations: 2 read, 0 copied, 2 unchanged, 0 kept (newer in Azure)", unchanged.Output, StringComparison.Ordinal);
        Assert.Contains("alert channel designations: 2 read, 0 copied, 0 unchanged, 2 kept (newer in Azure)", again.Output, StringComparison.Ordinal);
        Assert.Null(await channels.GetAsync(PartnerTenant, PorChannel, default));
        Assert.Equal("Deal desk (renamed)", (await channels.GetAsync(PartnerTenant, DealDeskChat, default))!.DisplayName);
    }

    [Fact]
    public async Task Migrate_DesignationNewerInSqlite_ReplacesTheOlderAzureRow()
    {
        var yesterday = DesignationTime();
        await DesignateInSqliteAsync(DealDesk(yesterday));
        await MigrateAsync();
        await DesignateInSqliteAsync(DealDesk(yesterday.AddHours(1)) with { DisplayName = "Deal desk (renamed)" });

        var again = await MigrateAsync();

        Assert.Contains("alert channel designations: 1 read, 1 copied, 0 unchanged, 0 kept (newer in Azure)", again.Output, StringComparison.Ordinal);
        Assert.Equal(DealDesk(yesterday.AddHours(1)) with { DisplayName = "Deal desk (renamed)" },
            await new AzureAlertChannelStore(_clients, TimeProvider.System).GetAsync(PartnerTenant, DealDeskChat, default));
    }

    [Fact]
    public async Task Migrate_NoSuchDatabase_FailsSayingWhere()
    {
        var missing = Path.Combine(_db.Directory, "nope.db");

        var run = await RunAsync(["--from", missing, "--connection-string", azurite.ConnectionString]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"there is no SQLite database at {missing}", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task Migrate_BadConnectionString_FailsWithTheValidationMessage()
    {
        var run = await RunAsync(["--from", _db.Path, "--connection-string", "AccountKey=oops"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("ConnectionStrings:AzureStorage is not a storage connection string", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_StorageUnreachable_FailsSayingWhereAndThatARerunFinishes()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var closed = System.Text.RegularExpressions.Regex.Replace(azurite.ConnectionString, @"TableEndpoint=http://127\.0\.0\.1:\d+", $"TableEndpoint=http://127.0.0.1:{closedPort}");

        var run = await RunAsync(["--from", _db.Path, "--connection-string", closed, "--table-prefix", _clients.Prefix]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"migrate-to-azure: Azure Storage at http://127.0.0.1:{closedPort}", run.Error, StringComparison.Ordinal);
        Assert.Contains("run the command again to finish", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_UnknownArgument_IsAUsageError()
    {
        var run = await RunAsync(["--form", _db.Path]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Usage:", run.Error, StringComparison.Ordinal);
    }

    private AzureTableClaimStore ClaimStore() => new(_clients, new SqliteAlertOutbox(_db.Database, TimeProvider.System, Options.Create(new AlertDeliveryOptions())),
        TimeProvider.System, NullLogger<AzureTableClaimStore>.Instance);

    // Straight into the tables of migrations 004, 005 and 007: what the command reads, whatever writes it today.
    private async Task SeedClaimsAsync()
    {
        await using var connection = await _db.Database.OpenAsync(default);
        await connection.Command("""
            INSERT INTO conflicts (conflict_id, subscription_id, current_por_partner_id, status, winner_partner_id, resolved_by, registry_synced, version, created_at, updated_at)
            VALUES ($id, $sub, $por, $status, NULL, NULL, 1, $version, $created, $updated)
            """).With("$id", SeededConflict.ConflictId.ToString("D")).With("$sub", SeededConflict.SubscriptionId.ToString("D")).With("$por", SeededConflict.CurrentPorPartnerId)
            .With("$status", SeededConflict.Status.ToString()).With("$version", SeededConflict.Version)
            .With("$created", SeededConflict.CreatedAt.ToDbTime()).With("$updated", SeededConflict.UpdatedAt.ToDbTime()).ExecuteNonQueryAsync();
        foreach (var claim in new[] { ApiClaim, PendingClaim })
        {
            await connection.Command("""
                INSERT INTO claims (claim_id, subscription_id, claimant_partner_id, source, source_system, note, outcome, conflict_id, status, idempotency_key,
                                    request_hash, decided_por_partner_id, decided_by, registry_synced, created_at, updated_at)
                VALUES ($id, $sub, $partner, $source, $system, $note, $outcome, $conflict, $status, $key, $hash, $decided, $by, $synced, $created, $updated)
                """).With("$id", claim.ClaimId.ToString("D")).With("$sub", claim.SubscriptionId.ToString("D")).With("$partner", claim.ClaimantPartnerId)
                .With("$source", claim.Source).With("$system", claim.SourceSystem).With("$note", claim.Note).With("$outcome", claim.Outcome.ToString())
                .With("$conflict", claim.ConflictId?.ToString("D")).With("$status", claim.Status.ToString()).With("$key", claim.IdempotencyKey)
                .With("$hash", claim.RequestHash).With("$decided", claim.DecidedPorPartnerId).With("$by", claim.DecidedBy).With("$synced", claim.RegistrySynced ? 1 : 0)
                .With("$created", claim.CreatedAt.ToDbTime()).With("$updated", claim.UpdatedAt.ToDbTime()).ExecuteNonQueryAsync();
        }

        await connection.Command("""
            INSERT INTO conflict_proofs (proof_id, conflict_id, partner_id, description, link, added_by, created_at)
            VALUES ($id, $conflict, $partner, $description, $link, $by, $created)
            """).With("$id", SeededProof.ProofId.ToString("D")).With("$conflict", SeededProof.ConflictId.ToString("D")).With("$partner", SeededProof.PartnerId)
            .With("$description", SeededProof.Description).With("$link", SeededProof.Link).With("$by", SeededProof.AddedBy)
            .With("$created", SeededProof.CreatedAt.ToDbTime()).ExecuteNonQueryAsync();
        await connection.Command("INSERT INTO cancelled_claim_cards (idempotency_key, cancelled_at) VALUES ('card:cancelled-1', $at)")
            .With("$at", ClaimedAt.ToDbTime()).ExecuteNonQueryAsync();
    }

    private const string PartnerTenant = "1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01";
    private const string DealDeskChat = "19:deal-desk@thread.v2";
    private const string PorChannel = "19:por@thread.tacv2";

    private static AlertChannel DealDesk(DateTimeOffset at) => new(PartnerTenant, DealDeskChat, "4412345", "groupChat", "Deal desk", "aad-admin", at);

    // Whole seconds a day ago: before anything the test then does in Azure, and exact in both stores.
    private static DateTimeOffset DesignationTime() => DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds());

    /// <summary><c>alerts here</c> on the SQLite bot: the designation, and the conversation's own reference alerts go through.</summary>
    private async Task DesignateInSqliteAsync(AlertChannel channel)
    {
        await new SqliteConversationReferenceStore(_db.Database, TimeProvider.System).UpsertAsync(new StoredConversationReference
        {
            TenantId = channel.TenantId, ConversationId = channel.ConversationId, UserAadObjectId = "", ConversationType = channel.ConversationType,
            BotId = "28:bot", ServiceUrl = "https://smba.trafficmanager.net/amer/", ServiceUrlVerified = true, ChannelId = "msteams",
        }, default);
        await new SqliteAlertChannelStore(_db.Database).DesignateAsync(channel, default);
    }

    private Task<CliRun> MigrateAsync() => RunAsync(["--from", _db.Path, "--connection-string", azurite.ConnectionString, "--table-prefix", _clients.Prefix]);

    private static async Task<CliRun> RunAsync(string[] args)
    {
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var error = new StringWriter(CultureInfo.InvariantCulture);
        var exit = await MigrateToAzureCommand.RunAsync(args, output, error);
        return new CliRun(exit, output.ToString(), error.ToString());
    }
}
