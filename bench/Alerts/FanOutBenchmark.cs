using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PorBot.Cli;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Protocol.Hosting;
using PorBot.Storage;
using PorBot.Storage.Sqlite;

namespace PorBot.Bench.Alerts;

/// <summary>
/// The fan-out's shape: <see cref="Tenants"/> partners (one tenant each) with <see cref="Conversations"/> channel
/// conversations each, and enough conflicts between neighbouring partners that every conversation gets
/// <see cref="AlertsPerConversation"/> alerts (an even number: each conflict alerts both of its parties).
/// </summary>
public sealed record FanOutShape(int Tenants, int Conversations, int AlertsPerConversation)
{
    public int Alerts => Tenants * Conversations * AlertsPerConversation;

    public int Conflicts => Tenants * AlertsPerConversation / 2;
}

/// <param name="Alerts">Rows delivered.</param>
/// <param name="IdealSeconds">First to last send in the ideal schedule.</param>
/// <param name="SendSeconds">First to last accepted send at the limit server.</param>
/// <param name="Throttled">429s the limit server answered.</param>
/// <param name="P50">Worker start (every alert is queued before it) to the send's arrival at the limit server.</param>
/// <param name="CpuMsPerAlert">Processor time of the whole process (bot and limit server) while delivering, per alert.</param>
public sealed record FanOutResult(int Alerts, double IdealSeconds, double SendSeconds, int Throttled, TimeSpan P50, TimeSpan P99, TimeSpan Last, double CpuMsPerAlert)
{
    public double AllowedRate => IdealSeconds > 0 ? Alerts / IdealSeconds : double.NaN;

    public double AchievedRate => SendSeconds > 0 ? Alerts / SendSeconds : double.NaN;

    public double PercentOfAllowed => AchievedRate / AllowedRate * 100;
}

/// <summary>
/// One run, with either storage provider (<c>settings</c> may set <c>Storage:Provider=AzureStorage</c>): a fresh SQLite file (and Azure tables) seeded with partners, subscriptions and channel conversation references; the
/// conflicts opened through the real <see cref="ClaimService"/> (which writes the outbox); then the real bot host
/// (PorBot's services, its <see cref="AlertDeliveryWorker"/>) started against a <see cref="TeamsLimitServer"/>,
/// until every row is Delivered.
/// </summary>
public static class FanOutBenchmark
{
    private const string BotId = "28:bench-bot";

    public static async Task<FanOutResult> RunAsync(FanOutShape shape, string workDirectory, TextWriter progress, TimeSpan timeout, IReadOnlyDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Tenants < 2 || shape.AlertsPerConversation % 2 != 0) throw new ArgumentException("Needs at least 2 tenants and an even number of alerts per conversation.", nameof(shape));

        var directory = Path.Combine(workDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        await using var teams = await TeamsLimitServer.StartAsync();
        var databasePath = Path.Combine(directory, "porbot.db");
        var app = BuildBot(databasePath, settings);
        try
        {
            await app.InitializeStorageAsync();
            var partners = await SeedAsync(app.Services, shape, teams.ServiceUrl, databasePath, app.Configuration);
            await OpenConflictsAsync(app.Services, shape, partners);
            var outbox = app.Services.GetRequiredService<IAlertOutbox>();
            var queued = (await outbox.GetStatusAsync(null, 0, CancellationToken.None)).CountsByStatus.GetValueOrDefault("Pending");
            if (queued != shape.Alerts) throw new InvalidOperationException($"Expected {shape.Alerts} queued alerts, found {queued}.");
            progress.WriteLine($"   {queued:N0} alerts queued ({shape.Conflicts} conflicts, {(StorageOptions.IsAzureStorageConfigured(app.Configuration) ? "Azure Storage" : "SQLite")}); starting the worker");

            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            await app.StartAsync();
            // The limit server counts what arrived: polling the outbox itself would add its reads to the measurement.
            while (teams.Accepted.Count < shape.Alerts)
            {
                if (Stopwatch.GetElapsedTime(started) > timeout)
                {
                    var statuses = (await outbox.GetStatusAsync(null, 0, CancellationToken.None)).CountsByStatus;
                    throw new TimeoutException($"Only {teams.Accepted.Count:N0} of {shape.Alerts:N0} delivered after {timeout}; statuses: {string.Join(", ", statuses.Select(s => $"{s.Key} {s.Value}"))}");
                }

                await Task.Delay(50);
            }

            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            await app.StopAsync();
            var delivered = (await outbox.GetStatusAsync(null, 0, CancellationToken.None)).CountsByStatus.GetValueOrDefault("Delivered");
            if (delivered != shape.Alerts || teams.Accepted.Count != shape.Alerts)
                throw new InvalidOperationException($"{teams.Accepted.Count:N0} sends arrived and {delivered:N0} rows are Delivered; expected {shape.Alerts:N0} of each.");

            var accepted = teams.Accepted;
            var latencies = accepted.Select(a => Stopwatch.GetElapsedTime(started, a)).Order().ToList();
            var sendSeconds = (accepted[^1] - accepted[0]) / (double)Stopwatch.Frequency;
            var ideal = IdealSchedule.LastSendTime(
                Enumerable.Range(0, shape.Tenants).Select(_ => Enumerable.Repeat(shape.AlertsPerConversation, shape.Conversations).ToArray()),
                TeamsLimitServer.ConversationLimits, TeamsLimitServer.TenantLimits);
            return new FanOutResult(shape.Alerts, ideal, sendSeconds, teams.Throttled,
                Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1], cpu.TotalMilliseconds / shape.Alerts);
        }
        finally
        {
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    // The app's own composition (src/PorBot/Program.cs), minus what alert delivery does not use.
    private static WebApplication BuildBot(string databasePath, IReadOnlyDictionary<string, string?>? settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = typeof(FanOutBenchmark).Assembly.GetName().Name });
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:PorBot"] = $"Data Source={databasePath}",
            ["Storage:SeedSampleData"] = "false",
            ["MicrosoftAppType"] = "SingleTenant",
            ["MicrosoftAppId"] = "",
            ["MicrosoftAppPassword"] = "",
            ["urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        builder.Configuration.AddInMemoryCollection(all);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.AddPorBotStorage();
        builder.Services.AddBot(builder.Configuration)
            .AddConversations()
            .AddLookups()
            .AddConflicts();
        return builder.Build();
    }

    /// <summary>
    /// The registry is written into the SQLite file (and copied into Azure Storage with <c>migrate-to-azure</c> when
    /// that is the provider); references and alert channels go through the app's own stores, whichever they are.
    /// </summary>
    private static async Task<string[]> SeedAsync(IServiceProvider services, FanOutShape shape, string serviceUrl, string databasePath, IConfiguration configuration)
    {
        var database = services.GetRequiredService<SqliteDatabase>();
        var partners = Enumerable.Range(0, shape.Tenants).Select(i => (10_000_000 + i).ToString(CultureInfo.InvariantCulture)).ToArray();
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        await using (var connection = await database.OpenAsync())
        {
            await using var transaction = connection.BeginTransaction();
            for (var p = 0; p < partners.Length; p++)
            {
                await ExecuteAsync(connection, transaction, "INSERT INTO partners (partner_id, name, country, updated_at) VALUES ($1, $2, 'AU', $3)", partners[p], $"Bench Partner {p}", now);
                await ExecuteAsync(connection, transaction, "INSERT INTO partner_tenants (tenant_id, partner_id) VALUES ($1, $2)", TenantOf(p), partners[p]);
            }

            // Conflict k: partner k % T holds the subscription, its neighbour claims it. Over T × A/2 conflicts every
            // partner is a party to A of them (A/2 held, A/2 claimed), so each of its conversations gets A alerts.
            for (var k = 0; k < shape.Conflicts; k++)
            {
                await ExecuteAsync(connection, transaction, """
                    INSERT INTO subscriptions (subscription_id, customer_name, customer_tenant_id, customer_domain, program, product, por_partner_id, por_since, updated_at)
                    VALUES ($1, $2, $3, $4, 'CSP', 'Azure', $5, '2025-01-01', $6)
                    """, SubscriptionOf(k).ToString("D"), $"Bench Customer {k}", Guid.NewGuid().ToString("D"), $"customer{k}.example", partners[k % partners.Length], now);
            }

            await transaction.CommitAsync();
        }

        if (StorageOptions.IsAzureStorageConfigured(configuration))
        {
            var error = new StringWriter();
            var copied = await MigrateToAzureCommand.RunAsync(
                ["--from", databasePath, "--connection-string", configuration.GetConnectionString("AzureStorage")!, "--table-prefix", configuration["Storage:Azure:TablePrefix"] ?? ""],
                TextWriter.Null, error);
            if (copied != 0) throw new InvalidOperationException($"migrate-to-azure failed ({copied}): {error}");
        }

        var references = services.GetRequiredService<IConversationReferenceStore>();
        var alertChannels = services.GetRequiredService<IAlertChannelStore>();
        for (var p = 0; p < partners.Length; p++)
        {
            for (var c = 0; c < shape.Conversations; c++)
            {
                var conversationId = $"19:bench-{p}-{c}@thread.tacv2";
                await references.UpsertAsync(new StoredConversationReference
                {
                    TenantId = TenantOf(p),
                    ConversationId = conversationId,
                    UserAadObjectId = "",
                    BotId = BotId,
                    ServiceUrl = serviceUrl,
                    ServiceUrlVerified = true,
                    ChannelId = "msteams",
                    ConversationType = "channel",
                }, CancellationToken.None);
                // Channels get alerts only once a partner admin chose them (`alerts here`).
                await alertChannels.DesignateAsync(
                    new AlertChannel(TenantOf(p), conversationId, partners[p], "channel", null, "bench", DateTimeOffset.UtcNow), CancellationToken.None);
            }
        }

        return partners;
    }

    private static async Task OpenConflictsAsync(IServiceProvider services, FanOutShape shape, string[] partners)
    {
        var claims = services.GetRequiredService<ClaimService>();
        for (var k = 0; k < shape.Conflicts; k++)
        {
            var claimant = partners[(k + 1) % partners.Length];
            var result = await claims.ClaimAsync(new ClaimRequest(SubscriptionOf(k), claimant, ClaimSources.Chat), CancellationToken.None);
            if (result.Outcome != ClaimOutcome.Conflict) throw new InvalidOperationException($"Claim {k} did not open a conflict: {result.Outcome}.");
        }
    }

    private static string TenantOf(int partner) => new Guid(partner + 1, 0xbe, 0x4c, 0x80, 0, 0, 0, 0, 0, 0, 0).ToString("D");

    private static Guid SubscriptionOf(int conflict) => new(conflict + 1, 0x5b, 0x4c, 0x80, 0, 0, 0, 0, 0, 0, 1);

    private static TimeSpan Percentile(List<TimeSpan> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * p) - 1)];

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, params object[] values)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++) command.Parameters.AddWithValue($"${i + 1}", values[i]);
        await command.ExecuteNonQueryAsync();
    }
}
