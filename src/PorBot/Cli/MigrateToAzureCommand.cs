using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Azure.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
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
        Copies partners, subscriptions (with their POR change log), conversation references, dialog state and
        alert channel designations from the SQLite database (default: ConnectionStrings:PorBot, i.e.
        data/porbot.db) into Azure Storage (default: ConnectionStrings:AzureStorage, or
        Storage:Azure:TableServiceUri/QueueServiceUri with a managed identity). Safe to run again: unchanged rows are skipped, newer rows in Azure are kept.
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
            await using var connection = await database.OpenAsync(cancellationToken);

            var partners = await CopyPartnersAsync(connection, cancellationToken);
            var (subscriptions, customersWritten) = await CopyCustomersAsync(connection, cancellationToken);
            if (partners.Written > 0 || customersWritten > 0) await _registry.BumpNamesVersionAsync(cancellationToken);
            await CopyPorChangesAsync(connection, cancellationToken);
            await CopyConversationReferencesAsync(connection, cancellationToken);
            await CopyDialogStateAsync(connection, cancellationToken);
            await CopyAlertChannelsAsync(connection, cancellationToken);

            var claims = await CountAsync(connection, "claims", cancellationToken);
            var conflicts = await CountAsync(connection, "conflicts", cancellationToken);
            var outbox = await CountAsync(connection, "alert_outbox", cancellationToken);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"TODO (issue 7, part 2): claims ({claims:N0}), conflicts ({conflicts:N0}) and the alert outbox ({outbox:N0}) are not copied: they have no Azure Storage adapter yet. With Storage:Provider=AzureStorage the bot still keeps them in {database.FilePath}."));
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
