using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
/// <param name="P50">Queued (or worker start, if queued before it) to delivered.</param>
/// <param name="CpuMsPerAlert">Processor time of the whole process (bot and limit server) while delivering, per alert.</param>
public sealed record FanOutResult(int Alerts, double IdealSeconds, double SendSeconds, int Throttled, TimeSpan P50, TimeSpan P99, TimeSpan Last, double CpuMsPerAlert)
{
    public double AllowedRate => IdealSeconds > 0 ? Alerts / IdealSeconds : double.NaN;

    public double AchievedRate => SendSeconds > 0 ? Alerts / SendSeconds : double.NaN;

    public double PercentOfAllowed => AchievedRate / AllowedRate * 100;
}

/// <summary>
/// One run: a fresh SQLite file seeded with partners, subscriptions and channel conversation references; the
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
        var app = BuildBot(Path.Combine(directory, "porbot.db"), settings);
        try
        {
            await app.InitializeStorageAsync();
            var partners = await SeedAsync(app.Services, shape, teams.ServiceUrl);
            await OpenConflictsAsync(app.Services, shape, partners);
            var database = app.Services.GetRequiredService<SqliteDatabase>();
            var queued = await CountAsync(database, "status = 'Pending'");
            if (queued != shape.Alerts) throw new InvalidOperationException($"Expected {shape.Alerts} queued alerts, found {queued}.");
            progress.WriteLine($"   {queued:N0} alerts queued ({shape.Conflicts} conflicts); starting the worker");

            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var started = DateTimeOffset.UtcNow;
            await app.StartAsync();
            var deadline = Stopwatch.StartNew();
            long delivered;
            while ((delivered = await CountAsync(database, "status = 'Delivered'")) < shape.Alerts)
            {
                if (deadline.Elapsed > timeout)
                {
                    throw new TimeoutException($"Only {delivered:N0} of {shape.Alerts:N0} delivered after {timeout}; statuses: {await StatusesAsync(database)}");
                }

                await Task.Delay(100);
            }

            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            await app.StopAsync();
            var latencies = await LatenciesAsync(database, started);
            var accepted = teams.Accepted;
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

    private static async Task<string[]> SeedAsync(IServiceProvider services, FanOutShape shape, string serviceUrl)
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

    private static async Task<List<TimeSpan>> LatenciesAsync(SqliteDatabase database, DateTimeOffset started)
    {
        var latencies = new List<TimeSpan>();
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT created_at, updated_at FROM alert_outbox WHERE status = 'Delivered'";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var created = Parse(reader.GetString(0));
            latencies.Add(Parse(reader.GetString(1)) - (created > started ? created : started));
        }

        latencies.Sort();
        return latencies;
    }

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static TimeSpan Percentile(List<TimeSpan> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * p) - 1)];

    private static async Task<long> CountAsync(SqliteDatabase database, string where)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM alert_outbox WHERE {where}";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<string> StatusesAsync(SqliteDatabase database)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT status || ' ' || count(*) FROM alert_outbox GROUP BY status";
        var parts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) parts.Add(reader.GetString(0));
        return string.Join(", ", parts);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, params object[] values)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++) command.Parameters.AddWithValue($"${i + 1}", values[i]);
        await command.ExecuteNonQueryAsync();
    }
}
