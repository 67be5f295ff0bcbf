using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Azure.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Storage;
using PorBot.Storage.AzureStorage;
using PorBot.Storage.Sqlite;

namespace PorBot.Cli;

/// <summary>
/// <c>porbot migrate-to-azure [--from data/porbot.db] [--connection-string ...] [--table-prefix P]</c>: copies
/// the embedded SQLite database into Azure Storage (the state <c>Storage:Provider=AzureStorage</c> reads).
/// Azure settings come from the app's configuration (appsettings, environment, <c>--Key=Value</c>) unless
/// given here. Running it again writes only what changed and never overwrites a row Azure has at a newer
/// time or version. Exit codes: 0 done, 1 failed (message says why), 2 usage.
/// </summary>
public static class MigrateToAzureCommand
{
    private const int CustomersPerChunk = 200;
    private const int SubscriptionsPerChunk = 1_000;

    private const string Usage = """
        Usage:
          migrate-to-azure [--from PATH] [--connection-string CS] [--table-prefix PREFIX]
        Copies partners, subscriptions (with their POR change log), conversation references, dialog state, alert
        channel designations, claims, conflicts, proofs, claim idempotency keys and the alert outbox from the SQLite database (default: ConnectionStrings:PorBot, i.e. data/porbot.db) into Azure Storage
        (default: ConnectionStrings:AzureStorage, or Storage:Azure:TableServiceUri/QueueServiceUri with a
        managed identity). Safe to run again: unchanged rows are skipped, newer rows in Azure are kept.
        """;

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? from = null, connectionString = null, prefix = null;
        var configurationArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "-h" or "--help":
                    await output.WriteLineAsync(Usage);
                    return 0;
                case "--from" when Value() is { } path:
                    from = path;
                    break;
                case "--connection-string" when Value() is { } cs:
                    connectionString = cs;
                    break;
                case "--table-prefix" when Value() is { } p:
                    prefix = p;
                    break;
                case not null when arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal):
                    configurationArgs.Add(arg);
                    break;
                default:
                    await error.WriteLineAsync($"migrate-to-azure: unexpected or incomplete argument \"{arg}\"\n{Usage}");
                    return 2;
            }
        }

        var configuration = CliConfiguration.Build(configurationArgs);
        var database = CliConfiguration.SqliteDatabase(configuration, from);
        if (!File.Exists(database.FilePath))
        {
            await error.WriteLineAsync($"migrate-to-azure: there is no SQLite database at {database.FilePath} (give one with --from PATH).");
            return 1;
        }

        var options = new StorageOptions { Provider = StorageOptions.AzureStorageProvider };
        configuration.GetSection($"{StorageOptions.SectionName}:Azure").Bind(options.Azure);
        options.Azure.ConnectionString = connectionString ?? configuration.GetConnectionString(AzureStorageOptions.ConnectionStringName);
        if (prefix is not null) options.Azure.TablePrefix = prefix;
        var validation = new StorageOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            foreach (var failure in validation.Failures) await error.WriteLineAsync($"migrate-to-azure: {failure}");
            return 1;
        }

        var clients = new AzureStorageClients(options.Azure);
        try
        {
            await new Migration(database, clients, output).RunAsync(cancellationToken);
            return 0;
        }
        catch (Exception ex) when (ex is RequestFailedException or AuthenticationFailedException or CredentialUnavailableException or HttpRequestException or AggregateException)
        {
            await error.WriteLineAsync($"migrate-to-azure: Azure Storage at {clients.TableEndpoint} failed: {ex.Message}");
            await error.WriteLineAsync("Nothing already copied is undone; run the command again to finish.");
            return 1;
        }
        catch (SqliteException ex)
        {
            await error.WriteLineAsync($"migrate-to-azure: could not read {database.FilePath}: {ex.Message}");
            return 1;
        }
    }

    private sealed class Migration(SqliteDatabase database, AzureStorageClients clients, TextWriter output)
    {
        private readonly AzureRegistryWriter _registry = new(clients);
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            await output.WriteLineAsync($"Copying {database.FilePath} into Azure Storage at {clients.TableEndpoint} (tables {clients.Prefix}*).");
            await new SqliteMigrator(database, NullLogger<SqliteMigrator>.Instance).MigrateAsync(cancellationToken);
            await clients.CreateTablesAsync(cancellationToken);
            await clients.CreateQueuesAsync(cancellationToken);
            await using var connection = await database.OpenAsync(cancellationToken);

            var partners = await CopyPartnersAsync(connection, cancellationToken);
            var (subscriptions, customersWritten) = await CopyCustomersAsync(connection, cancellationToken);
            if (partners.Written > 0 || customersWritten > 0) await _registry.BumpNamesVersionAsync(cancellationToken);
            await CopyPorChangesAsync(connection, cancellationToken);
            await CopyConversationReferencesAsync(connection, cancellationToken);
            await CopyDialogStateAsync(connection, cancellationToken);
            await CopyAlertChannelsAsync(connection, cancellationToken);
            await CopyClaimsAsync(connection, cancellationToken);
            await CopyClaimKeysAsync(connection, cancellationToken);
            await CopyAlertOutboxAsync(connection, cancellationToken);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Done in {_clock.Elapsed.TotalSeconds:N1} s."));
        }

        private async Task<WriteCounts> CopyPartnersAsync(SqliteConnection connection, CancellationToken cancellationToken)
        {
            var rows = new List<PartnerRow>();
            await using (var command = connection.Command("""
                SELECT p.partner_id, p.name, p.country, p.updated_at,
                       (SELECT group_concat(t.tenant_id, ';') FROM partner_tenants t WHERE t.partner_id = p.partner_id)
                FROM partners p ORDER BY p.partner_id
                """))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var tenants = reader.GetNullableString(4)?.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).Order().ToList() ?? [];
                    rows.Add(new PartnerRow(reader.GetString(0), reader.GetString(1), reader.GetNullableString(2), tenants, SqliteExtensions.FromDbTime(reader.GetString(3))));
                }
            }

            var counts = WriteCounts.Zero;
            var progress = new Progress(output, "partners", rows.Count);
            foreach (var chunk in rows.Chunk(SubscriptionsPerChunk))
            {
                counts += await _registry.WritePartnersAsync(chunk, cancellationToken);
                await progress.ReportAsync(chunk.Length);
            }

            await progress.DoneAsync(counts);
            return counts;
        }

        private async Task<(WriteCounts Subscriptions, int CustomersWritten)> CopyCustomersAsync(SqliteConnection connection, CancellationToken cancellationToken)
        {
            var total = await CountAsync(connection, "subscriptions", cancellationToken);
            var progress = new Progress(output, "subscriptions", total);
            var counts = WriteCounts.Zero;
            var customersWritten = 0;
            var movedFrom = new HashSet<Guid>();
            var chunk = new List<CustomerRow>();
            var chunkSubscriptions = 0;
            CustomerRow? current = null;
            List<SubscriptionRow> currentSubscriptions = [];

            async Task FlushAsync()
            {
                if (chunk.Count == 0) return;
                var result = await _registry.WriteCustomersAsync(chunk, cancellationToken);
                counts += result.Subscriptions;
                customersWritten += result.CustomersWritten;
                movedFrom.UnionWith(result.MovedFrom);
                await progress.ReportAsync(chunkSubscriptions);
                chunk.Clear();
                chunkSubscriptions = 0;
            }

            await using (var command = connection.Command("""
                SELECT s.subscription_id, s.customer_name, s.customer_tenant_id, s.customer_domain, s.program, s.product,
                       s.por_partner_id, s.por_since, s.updated_at, c.name, c.domain
                FROM subscriptions s JOIN customers c ON c.tenant_id = s.customer_tenant_id
                ORDER BY s.customer_tenant_id, s.subscription_id
                """))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var row = new SubscriptionRow(
                        Guid.Parse(reader.GetString(0)), reader.GetString(1), Guid.Parse(reader.GetString(2)), reader.GetNullableString(3),
                        Enum.Parse<PurchaseProgram>(reader.GetString(4), ignoreCase: true), Enum.Parse<Product>(reader.GetString(5), ignoreCase: true),
                        reader.GetNullableString(6),
                        reader.GetNullableString(7) is { } since ? DateOnly.Parse(since, CultureInfo.InvariantCulture) : null,
                        SqliteExtensions.FromDbTime(reader.GetString(8)));
                    if (current is null || current.TenantId != row.CustomerTenantId)
                    {
                        if (chunk.Count >= CustomersPerChunk || chunkSubscriptions >= SubscriptionsPerChunk) await FlushAsync();
                        currentSubscriptions = [];
                        current = new CustomerRow(row.CustomerTenantId, reader.GetString(9), reader.GetNullableString(10), currentSubscriptions);
                        chunk.Add(current);
                    }

                    currentSubscriptions.Add(row);
                    chunkSubscriptions++;
                }
            }

            await FlushAsync();

            // A subscription that moved to another tenant may have left its old customer with none.
            foreach (var tenant in movedFrom)
            {
                var stillThere = await connection.Command("SELECT 1 FROM customers WHERE tenant_id = $t").With("$t", tenant.ToString("D")).ExecuteScalarAsync(cancellationToken);
                if (stillThere is null) await _registry.RemoveCustomerAsync(tenant, cancellationToken);
            }

            await progress.DoneAsync(counts, customersWritten > 0 ? $"{customersWritten:N0} customers (name, domain, count) written" : null);
            return (counts, customersWritten);
        }

        private async Task CopyPorChangesAsync(SqliteConnection connection, CancellationToken cancellationToken)
        {
            var rows = new List<PorChangeRow>();
            await using (var command = connection.Command("""
                SELECT c.id, c.subscription_id, s.customer_tenant_id, c.old_partner_id, c.new_partner_id, c.effective_from, c.reason, c.recorded_at
                FROM por_changes c JOIN subscriptions s ON s.subscription_id = c.subscription_id ORDER BY c.id
                """))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(new PorChangeRow(reader.GetInt64(0), Guid.Parse(reader.GetString(1)), Guid.Parse(reader.GetString(2)),
                        reader.GetNullableString(3), reader.GetNullableString(4), DateOnly.Parse(reader.GetString(5), CultureInfo.InvariantCulture),
                        reader.GetString(6), SqliteExtensions.FromDbTime(reader.GetString(7))));
                }
            }

            var written = await _registry.WritePorChangesAsync(rows, cancellationToken);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  POR change log: {written:N0} entries copied (the same entries again on a rerun, never duplicated)."));
        }

        private async Task CopyConversationReferencesAsync(SqliteConnection connection, CancellationToken cancellationToken)
        {
            var byTenant = new Dictionary<string, List<StoredConversationReference>>(StringComparer.Ordinal);
            await using (var command = connection.Command("""
                SELECT tenant_id, conversation_id, user_aad_object_id, user_id, user_name, bot_id, service_url, service_url_verified,
                       channel_id, conversation_type, team_id, is_dead, dead_reason, updated_at
                FROM conversation_references ORDER BY tenant_id
                """))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var reference = new StoredConversationReference
                    {
                        TenantId = reader.GetString(0), ConversationId = reader.GetString(1), UserAadObjectId = reader.GetString(2),
                        UserId = reader.GetNullableString(3), UserName = reader.GetNullableString(4), BotId = reader.GetString(5),
                        ServiceUrl = reader.GetString(6), ServiceUrlVerified = reader.GetInt64(7) != 0, ChannelId = reader.GetString(8),
                        ConversationType = reader.GetNullableString(9), TeamId = reader.GetNullableString(10),
                        IsDead = reader.GetInt64(11) != 0, DeadReason = reader.GetNullableString(12), UpdatedAt = SqliteExtensions.FromDbTime(reader.GetString(13)),
                    };
                    if (!byTenant.TryGetValue(reference.TenantId, out var list)) byTenant[reference.TenantId] = list = [];
                    list.Add(reference);
                }
            }

            var table = clients.Table(AzureTableNames.ConversationReferences);
            var batch = new TableWriteBatch(table);
            var counts = WriteCounts.Zero;
            var progress = new Progress(output, "conversation references", byTenant.Values.Sum(l => l.Count));
            foreach (var (tenant, references) in byTenant)
            {
                var existing = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
                var filter = TableClient.CreateQueryFilter($"PartitionKey eq {AzureConversationReferenceStore.TenantPartition(tenant)}");
                await foreach (var e in table.QueryAsync<TableEntity>(filter, select: ["RowKey", "UpdatedAt"], cancellationToken: cancellationToken))
                {
                    existing[e.RowKey] = e.GetDateTimeOffset("UpdatedAt") ?? default;
                }

                foreach (var reference in references)
                {
                    var (entity, index) = AzureConversationReferenceStore.ToEntities(reference);
                    if (existing.TryGetValue(entity.RowKey, out var azureTime) && azureTime >= reference.UpdatedAt)
                    {
                        counts += azureTime == reference.UpdatedAt ? new WriteCounts(0, 1, 0) : new WriteCounts(0, 0, 1);
                        continue;
                    }

                    batch.Upsert(index);
                    batch.Upsert(entity);
                    counts += new WriteCounts(1, 0, 0);
                }

                if (batch.Count >= SubscriptionsPerChunk) await batch.FlushAsync(cancellationToken);
                await progress.ReportAsync(references.Count);
            }

            await batch.FlushAsync(cancellationToken);
            await progress.DoneAsync(counts);
        }

        private async Task CopyDialogStateAsync(SqliteConnection connection, CancellationToken cancellationToken)
        {
            var rows = new List<(DialogKey Key, string Json, long Version, DateTimeOffset UpdatedAt)>();
            await using (var command = connection.Command("SELECT tenant_id, conversation_id, user_id, state_json, version, updated_at FROM dialog_state"))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add((new DialogKey(reader.GetString(0), reader.GetString(1), reader.GetString(2)), reader.GetString(3), reader.GetInt64(4), SqliteExtensions.FromDbTime(reader.GetString(5))));
                }
            }

            var table = clients.Table(AzureTableNames.DialogState);
            var results = new WriteCounts[rows.Count];
            var progress = new Progress(output, "dialog state", rows.Count);
            await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var (key, json, version, updatedAt) = rows[i];
                var entity = AzureDialogStateStore.ToEntity(key, json, version, updatedAt);
                var existing = await table.GetEntityIfExistsAsync<TableEntity>(entity.PartitionKey, entity.RowKey, cancellationToken: ct);
                var azureVersion = existing.HasValue ? existing.Value!.GetInt64("Version") ?? 0 : 0;
                if (existing.HasValue && azureVersion >= version)
                {
                    results[i] = azureVersion == version ? new WriteCounts(0, 1, 0) : new WriteCounts(0, 0, 1);
                    return;
                }

                try
                {
                    // Guarded like a save, so a dialog advanced in Azure meanwhile is never set back.
                    if (existing.HasValue) await table.UpdateEntityAsync(entity, existing.Value!.ETag, TableUpdateMode.Replace, ct);
                    else await table.AddEntityAsync(entity, ct);
                    results[i] = new WriteCounts(1, 0, 0);
                }
                catch (RequestFailedException ex) when (ex.IsConcurrencyConflict())
                {
                    results[i] = new WriteCounts(0, 0, 1);
                }
            });
            await progress.ReportAsync(rows.Count);
            await progress.DoneAsync(results.Aggregate(WriteCounts.Zero, (a, b) => a + b));
        }

        /// <summary>
        /// Claims, conflicts and proofs, one subscription at a time, each transaction guarded by the subscription's head
        /// row as a save is: a bot instance saving the same subscription meanwhile makes this read it again, never lose
        /// its change. A row Azure has at a newer time (a conflict: a newer version) is kept.
        /// </summary>
        private async Task CopyClaimsAsync(SqliteConnection connection, CancellationToken cancellationToken)
        {
            var subscriptions = new Dictionary<Guid, (List<StoredClaim> Claims, List<StoredConflict> Conflicts, List<StoredProof> Proofs)>();
            (List<StoredClaim> Claims, List<StoredConflict> Conflicts, List<StoredProof> Proofs) Of(Guid subscriptionId) =>
                subscriptions.TryGetValue(subscriptionId, out var found) ? found : subscriptions[subscriptionId] = ([], [], []);

            await using (var command = connection.Command("""
                SELECT conflict_id, subscription_id, current_por_partner_id, status, winner_partner_id, resolved_by, registry_synced, version, created_at, updated_at
                FROM conflicts
                """))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var conflict = new StoredConflict(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2),
                        Enum.Parse<ConflictStatus>(reader.GetString(3)), reader.GetNullableString(4), reader.GetNullableString(5), reader.GetInt64(6) != 0,
                        reader.GetInt32(7), SqliteExtensions.FromDbTime(reader.GetString(8)), SqliteExtensions.FromDbTime(reader.GetString(9)));
                    Of(conflict.SubscriptionId).Conflicts.Add(conflict);
                }
            }

            await using (var command = connection.Command("""
                SELECT claim_id, subscription_id, claimant_partner_id, source, source_system, note, outcome, conflict_id, status, idempotency_key, request_hash,
                       decided_por_partner_id, decided_by, registry_synced, created_at, updated_at
                FROM claims
                """))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var claim = new StoredClaim(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
                        reader.GetNullableString(4), reader.GetNullableString(5), Enum.Parse<ClaimOutcome>(reader.GetString(6)),
                        reader.GetNullableString(7) is { } conflictId ? Guid.Parse(conflictId) : null, Enum.Parse<ClaimStatus>(reader.GetString(8)),
                        reader.GetNullableString(9), reader.GetNullableString(10), reader.GetNullableString(11), reader.GetNullableString(12), reader.GetInt64(13) != 0,
                        SqliteExtensions.FromDbTime(reader.GetString(14)), SqliteExtensions.FromDbTime(reader.GetString(15)));
                    Of(claim.SubscriptionId).Claims.Add(claim);
                }
            }

            await using (var command = connection.Command("""
                SELECT p.proof_id, p.conflict_id, c.subscription_id, p.partner_id, p.description, p.link, p.added_by, p.created_at
                FROM conflict_proofs p JOIN conflicts c ON c.conflict_id = p.conflict_id
                """))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var proof = new StoredProof(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), reader.GetString(3), reader.GetString(4),
                        reader.GetNullableString(5), reader.GetString(6), SqliteExtensions.FromDbTime(reader.GetString(7)));
                    Of(Guid.Parse(reader.GetString(2))).Proofs.Add(proof);
                }
            }

            var results = new ClaimCopyCounts[subscriptions.Count];
            var all = subscriptions.ToList();
            await Parallel.ForEachAsync(Enumerable.Range(0, all.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var (subscriptionId, rows) = all[i];
                results[i] = await CopySubscriptionClaimsAsync(subscriptionId, rows.Claims, rows.Conflicts, rows.Proofs, ct);
            });

            var total = results.Aggregate(ClaimCopyCounts.Zero, (a, b) => a + b);
            await new Progress(output, "claims", subscriptions.Values.Sum(s => s.Claims.Count)).DoneAsync(total.Claims);
            await new Progress(output, "conflicts", subscriptions.Values.Sum(s => s.Conflicts.Count)).DoneAsync(total.Conflicts);
            await new Progress(output, "proofs", subscriptions.Values.Sum(s => s.Proofs.Count)).DoneAsync(total.Proofs);
        }

        private async Task<ClaimCopyCounts> CopySubscriptionClaimsAsync(Guid subscriptionId, List<StoredClaim> claims, List<StoredConflict> conflicts, List<StoredProof> proofs,
            CancellationToken cancellationToken)
        {
            const int maxAttempts = 5;
            var table = clients.Table(AzureTableNames.Claims);
            for (var attempt = 1; ; attempt++)
            {
                var azure = await AzureTableClaimStore.ReadPartitionAsync(table, subscriptionId, cancellationToken);
                var azureClaims = azure.Claims.ToDictionary(e => e.GetGuid("ClaimId")!.Value, e => e.GetDateTimeOffset("UpdatedAt") ?? default);
                var azureConflicts = azure.Conflicts.ToDictionary(e => e.GetGuid("ConflictId")!.Value, e => (e.GetInt32("Version") ?? 0, e.GetDateTimeOffset("UpdatedAt") ?? default));
                var azureProofs = azure.Proofs.Select(e => e.GetGuid("ProofId")!.Value).ToHashSet();

                var writes = new List<TableEntity>();
                var index = new List<TableEntity>();
                var counts = ClaimCopyCounts.Zero;
                foreach (var claim in claims)
                {
                    var compared = azureClaims.TryGetValue(claim.ClaimId, out var at) ? at.CompareTo(claim.UpdatedAt) : -1;
                    counts += new ClaimCopyCounts(Count(compared), WriteCounts.Zero, WriteCounts.Zero);
                    if (compared >= 0) continue;
                    writes.Add(AzureClaimRows.ToEntity(claim));
                    index.Add(AzureClaimRows.IdIndex(claim.ClaimId, AzureClaimRows.ClaimKind, subscriptionId));
                }

                foreach (var conflict in conflicts)
                {
                    var compared = azureConflicts.TryGetValue(conflict.ConflictId, out var at) ? at.CompareTo((conflict.Version, conflict.UpdatedAt)) : -1;
                    counts += new ClaimCopyCounts(WriteCounts.Zero, Count(compared), WriteCounts.Zero);
                    if (compared >= 0) continue;
                    writes.Add(AzureClaimRows.ToEntity(conflict));
                    index.Add(AzureClaimRows.IdIndex(conflict.ConflictId, AzureClaimRows.ConflictKind, subscriptionId));
                }

                foreach (var proof in proofs)
                {
                    var there = azureProofs.Contains(proof.ProofId);
                    counts += new ClaimCopyCounts(WriteCounts.Zero, WriteCounts.Zero, Count(there ? 0 : -1));
                    if (!there) writes.Add(AzureClaimRows.ToEntity(subscriptionId, proof));
                }

                if (writes.Count == 0 && azure.Head is not null) return counts;

                // As a save does: index rows first, so no copied claim is ever without one.
                await Task.WhenAll(index.Select(e => clients.Table(AzureTableNames.ClaimIndex).UpsertEntityAsync(e, TableUpdateMode.Replace, cancellationToken)));
                var etag = azure.Head?.ETag;
                try
                {
                    foreach (var chunk in writes.Count == 0 ? [[]] : writes.Chunk(99))
                    {
                        var head = AzureClaimRows.Head(subscriptionId, Guid.NewGuid(), DateTimeOffset.UtcNow);
                        var actions = new List<TableTransactionAction>
                        {
                            etag is { } current
                                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, head, current)
                                : new TableTransactionAction(TableTransactionActionType.Add, head),
                        };
                        actions.AddRange(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)));
                        var response = await table.SubmitTransactionAsync(actions, cancellationToken);
                        etag = response.Value[0].Headers.ETag;
                    }

                    return counts;
                }
                catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 && attempt < maxAttempts)
                {
                    // A bot instance saved this subscription since it was read: compare again with what it saved.
                }
            }
        }

        private static WriteCounts Count(int azureComparedToSqlite) => azureComparedToSqlite switch
        {
            < 0 => new WriteCounts(1, 0, 0),
            0 => new WriteCounts(0, 1, 0),
            _ => new WriteCounts(0, 0, 1),
        };

        /// <summary>
        /// The idempotency keys of recorded claims and the cancelled claim cards. A key is taken once for good, so one
        /// Azure already has is kept as it is (counted unchanged when it says the same).
        /// </summary>
        private async Task CopyClaimKeysAsync(SqliteConnection connection, CancellationToken cancellationToken)
        {
            var keys = new List<(ClaimKey Key, DateTimeOffset At)>();
            await using (var command = connection.Command("""
                SELECT idempotency_key, request_hash, claim_id, subscription_id, created_at, 0 FROM claims WHERE idempotency_key IS NOT NULL
                UNION ALL
                SELECT idempotency_key, NULL, NULL, NULL, cancelled_at, 1 FROM cancelled_claim_cards
                """))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var key = new ClaimKey(reader.GetString(0), reader.GetNullableString(1),
                        reader.GetNullableString(2) is { } claimId ? Guid.Parse(claimId) : null,
                        reader.GetNullableString(3) is { } subscriptionId ? Guid.Parse(subscriptionId) : null,
                        reader.GetInt64(5) != 0);
                    keys.Add((key, SqliteExtensions.FromDbTime(reader.GetString(4))));
                }
            }

            var table = clients.Table(AzureTableNames.ClaimKeys);
            var results = new WriteCounts[keys.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var (key, at) = keys[i];
                try
                {
                    await table.AddEntityAsync(AzureClaimRows.ToEntity(key, at), ct);
                    results[i] = new WriteCounts(1, 0, 0);
                }
                catch (RequestFailedException ex) when (ex.Status == 409)
                {
                    var existing = await table.GetEntityAsync<TableEntity>(AzureClaimRows.KeyPartition(key.Key), AzureClaimRows.KeyRow, cancellationToken: ct);
                    results[i] = AzureClaimRows.ToKey(existing.Value) == key ? new WriteCounts(0, 1, 0) : new WriteCounts(0, 0, 1);
                }
            });
            await new Progress(output, "claim keys", keys.Count).DoneAsync(results.Aggregate(WriteCounts.Zero, (a, b) => a + b));
        }

        /// <summary>
        /// Alert outbox rows, as they are (status, attempts, delivered card ids, reasons): rows Azure has already are
        /// left alone (Azure's state wins, so a rerun never sets a delivery back), and copied rows that still need
        /// work get their queue message, so the Azure instances pick them up.
        /// </summary>
        private async Task CopyAlertOutboxAsync(SqliteConnection connection, CancellationToken cancellationToken)
        {
            var rows = new List<AlertOutboxRow>();
            await using (var command = connection.Command("""
                SELECT alert_id, conflict_id, kind, revision, party_partner_id, target_tenant_id, target_conversation_id, target_user_aad_object_id,
                       status, attempts, next_attempt_at, lease_until, send_started_at, sent_as, connector_activity_id, last_error, held_reason,
                       created_at, updated_at
                FROM alert_outbox ORDER BY conflict_id, created_at
                """))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                static DateTimeOffset? Time(SqliteDataReader r, int i) => r.GetNullableString(i) is { } text ? SqliteExtensions.FromDbTime(text) : null;
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(new AlertOutboxRow
                    {
                        PartitionKey = reader.GetString(1), RowKey = reader.GetString(0), Kind = reader.GetString(2), Revision = reader.GetInt32(3),
                        PartyPartnerId = reader.GetString(4), TenantId = reader.GetNullableString(5), ConversationId = reader.GetNullableString(6),
                        UserAadObjectId = reader.GetNullableString(7), Status = reader.GetString(8), Attempts = reader.GetInt32(9),
                        NextAttemptAt = Time(reader, 10)!.Value, LeaseUntil = Time(reader, 11), SendStartedAt = Time(reader, 12), SentAs = reader.GetNullableString(13),
                        ActivityId = reader.GetNullableString(14), LastError = reader.GetNullableString(15), HeldReason = reader.GetNullableString(16),
                        CreatedAt = Time(reader, 17)!.Value, UpdatedAt = Time(reader, 18)!.Value,
                    });
                }
            }

            await using var outbox = new AzureQueueAlertOutbox(clients, TimeProvider.System, Options.Create(new AlertDeliveryOptions()), NullLogger<AzureQueueAlertOutbox>.Instance);
            var imported = await outbox.ImportAsync(rows, cancellationToken);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  alert outbox: {rows.Count:N0} read, {imported.Copied:N0} copied ({imported.Queued:N0} of them queued for delivery), {imported.AlreadyThere:N0} already in Azure (left as they are)."));
        }

        // Alert channel designations (`alerts here`). A row Azure changed at the same time or later is kept, tombstones
        // included: a conversation someone typed `alerts off here` in after a first run is not designated again.
        private async Task CopyAlertChannelsAsync(SqliteConnection connection, CancellationToken cancellationToken)
        {
            var byTenant = new Dictionary<string, List<AlertChannel>>(StringComparer.Ordinal);
            await using (var command = connection.Command("""
                SELECT tenant_id, conversation_id, partner_id, conversation_type, display_name, designated_by, designated_at
                FROM alert_channels ORDER BY tenant_id, conversation_id
                """))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var channel = new AlertChannel(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetNullableString(3),
                        reader.GetNullableString(4), reader.GetString(5), SqliteExtensions.FromDbTime(reader.GetString(6)));
                    if (!byTenant.TryGetValue(channel.TenantId, out var list)) byTenant[channel.TenantId] = list = [];
                    list.Add(channel);
                }
            }

            var table = clients.Table(AzureTableNames.AlertChannels);
            var counts = WriteCounts.Zero;
            var progress = new Progress(output, "alert channel designations", byTenant.Values.Sum(l => l.Count));
            foreach (var (tenant, channels) in byTenant)
            {
                var existing = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
                var filter = TableClient.CreateQueryFilter($"PartitionKey eq {AzureAlertChannelStore.Partition(tenant)}");
                await foreach (var e in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken)) existing[e.RowKey] = e;
                foreach (var channel in channels)
                {
                    counts += await CopyAlertChannelAsync(table, channel, existing.GetValueOrDefault(AzureAlertChannelStore.Row(channel.ConversationId)), cancellationToken);
                }

                await progress.ReportAsync(channels.Count);
            }

            await progress.DoneAsync(counts);
        }

        private static async Task<WriteCounts> CopyAlertChannelAsync(TableClient table, AlertChannel channel, TableEntity? existing, CancellationToken cancellationToken)
        {
            if (existing is not null && !AzureAlertChannelStore.IsRemoved(existing) && AzureAlertChannelStore.Read(existing) == channel) return new WriteCounts(0, 1, 0);
            if (existing is not null && AzureAlertChannelStore.ChangedAt(existing) >= channel.DesignatedAt) return new WriteCounts(0, 0, 1);
            try
            {
                // Guarded like a change from a running instance, so one made since the read above is never overwritten.
                var entity = AzureAlertChannelStore.ToEntity(channel);
                if (existing is null) await table.AddEntityAsync(entity, cancellationToken);
                else await table.UpdateEntityAsync(entity, existing.ETag, TableUpdateMode.Replace, cancellationToken);
                return new WriteCounts(1, 0, 0);
            }
            catch (RequestFailedException ex) when (ex.IsConcurrencyConflict())
            {
                return new WriteCounts(0, 0, 1);
            }
        }

        private static async Task<long> CountAsync(SqliteConnection connection, string table, CancellationToken cancellationToken) =>
            Convert.ToInt64(await connection.Command($"SELECT count(*) FROM {table}").ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private sealed record ClaimCopyCounts(WriteCounts Claims, WriteCounts Conflicts, WriteCounts Proofs)
    {
        public static ClaimCopyCounts Zero { get; } = new(WriteCounts.Zero, WriteCounts.Zero, WriteCounts.Zero);

        public static ClaimCopyCounts operator +(ClaimCopyCounts a, ClaimCopyCounts b) =>
            new(a.Claims + b.Claims, a.Conflicts + b.Conflicts, a.Proofs + b.Proofs);
    }

    /// <summary>One line per second at most while a section runs, and one summary line when it ends.</summary>
    private sealed class Progress(TextWriter output, string what, long total)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _lastReport;
        private long _done;

        public async Task ReportAsync(long count)
        {
            _done += count;
            if (_clock.Elapsed - _lastReport < TimeSpan.FromSeconds(1) || _done >= total) return;
            _lastReport = _clock.Elapsed;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {what}: {_done:N0} / {total:N0} ({_done / Math.Max(_clock.Elapsed.TotalSeconds, 0.001):N0}/s)"));
        }

        public Task DoneAsync(WriteCounts counts, string? extra = null) =>
            output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {what}: {total:N0} read, {counts.Written:N0} copied, {counts.Unchanged:N0} unchanged, {counts.KeptNewer:N0} kept (newer in Azure){(extra is null ? "" : "; " + extra)}."));
    }
}
