using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using PorBot.Bench;
using PorBot.Bench.Alerts;
using PorBot.Cli;
using PorBot.Lookups;
using PorBot.Storage;
using PorBot.Storage.AzureStorage;
using PorBot.Storage.Sqlite;
using PorBot.Testing;

// Storage providers side by side (issue 7): the same lookups through IPorRegistry, and the same alert fan-out through
// the real bot host, on the embedded SQLite file and on Azure Storage served by Azurite, alternating in one run.
// Azurite is a local emulator (Node, in memory): its figures say what our adapters cost in calls and round trips on
// loopback, not what Azure's service latency would be.
//
//   dotnet run -c Release --project bench/Storage -- [--subscriptions 10000] [--queries 300] [--runs 3] [--tenants 4 --conversations 25 --alerts 4]
//   dotnet run -c Release --project bench/Storage -- --smoke            # about half a minute
//   --json FILE   also writes the results for the harness (bench/run; convention in bench/README.md)

var subscriptions = 10_000;
var queries = 300;
var runs = 3;
var shape = new FanOutShape(Tenants: 4, Conversations: 25, AlertsPerConversation: 4);
string? jsonPath = null;
var work = Environment.GetEnvironmentVariable("PORBOT_BENCH_WORK") is { Length: > 0 } benchWork
    ? Path.Combine(benchWork, "storage")
    : Path.Combine(Path.GetTempPath(), "porbot-bench-storage");
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--smoke": subscriptions = 1_000; queries = 50; runs = 1; shape = FanOutReport.SmokeShape; break;
        case "--json": jsonPath = args[++i]; break;
        case "--subscriptions": subscriptions = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--queries": queries = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--tenants": shape = shape with { Tenants = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
        case "--conversations": shape = shape with { Conversations = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
        case "--alerts": shape = shape with { AlertsPerConversation = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
        case "--work": work = args[++i]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
Directory.CreateDirectory(work);
Console.Error.WriteLine("== starting Azurite");
await using var azurite = await AzuriteServer.StartAsync();

// One registry, imported with the import CLI into SQLite and copied into Azurite with migrate-to-azure.
Console.Error.WriteLine($"== {subscriptions:N0} subscriptions: generating, importing, copying into Azurite");
var (partnersCsv, subscriptionsCsv) = SyntheticRegistry.Generate(subscriptions, work, seed: 42);
var database = new SqliteDatabase($"Data Source={Path.Combine(work, "registry.db")}");
await new SqliteMigrator(database, NullLogger<SqliteMigrator>.Instance).MigrateAsync();
var import = await new RegistryImporter(database, TimeProvider.System).ImportAsync([partnersCsv, subscriptionsCsv], TextWriter.Null);
if (!import.Succeeded) throw new InvalidOperationException(string.Join('\n', import.Problems.Take(20)));
var prefix = AzuriteServer.NewTablePrefix();
var copyError = new StringWriter();
var copy = Stopwatch.StartNew();
if (await MigrateToAzureCommand.RunAsync(["--from", database.FilePath, "--connection-string", azurite.ConnectionString, "--table-prefix", prefix], TextWriter.Null, copyError) != 0)
    throw new InvalidOperationException($"migrate-to-azure failed: {copyError}");
Console.Error.WriteLine($"   copied in {copy.Elapsed.TotalSeconds:N1} s");

var sample = await LookupSample.LoadAsync(database, queries, new Random(7));
var providers = new (string Name, IPorRegistry Registry)[]
{
    ("SQLite", new SqlitePorRegistry(database, TimeProvider.System)),
    ("Azurite", new AzureTablePorRegistry(new AzureStorageClients(new AzureStorageOptions { ConnectionString = azurite.ConnectionString, TablePrefix = prefix }), TimeProvider.System)),
};
var cases = new (string Name, IReadOnlyList<string> Inputs, Func<IPorRegistry, string, Task<bool>> Run)[]
{
    ("lookup: subscription id", sample.SubscriptionIds, async (r, q) => await r.GetSubscriptionAsync(Guid.Parse(q), default) is not null),
    ("lookup: customer domain", sample.Domains, async (r, q) => (await r.GetSubscriptionsByDomainAsync(q, default)).Count > 0),
    ("lookup: partner id", sample.PartnerIds, async (r, q) => await r.GetPartnerAsync(q, default) is not null),
    ("lookup: partner by tenant (who is asking)", sample.PartnerTenants, async (r, q) => await r.GetPartnerByTenantAsync(Guid.Parse(q), default) is not null),
    ("lookup: customer name prefix", sample.CustomerPrefixes, async (r, q) => (await r.SearchCustomersAsync(q, 10, default)).Count > 0),
};

// Medians per (measure, provider) over runs; providers alternate inside each run so both see the same load.
var figures = new Dictionary<(string Measure, string Provider), List<double>>();
var tails = new Dictionary<(string Measure, string Provider), List<double>>();
void Add(Dictionary<(string, string), List<double>> into, string measure, string provider, double value)
{
    if (!into.TryGetValue((measure, provider), out var list)) into[(measure, provider)] = list = [];
    list.Add(value);
}

foreach (var (_, registry) in providers)
{
    foreach (var (_, inputs, run) in cases)
    {
        for (var w = 0; w < Math.Min(50, inputs.Count); w++) await run(registry, inputs[w]);
    }
}

var errors = new List<string>();
for (var r = 1; r <= runs; r++)
{
    Console.Error.WriteLine($"== run {r}/{runs}: lookups (load average {LoadAverage()})");
    foreach (var (name, inputs, run) in cases)
    {
        foreach (var (provider, registry) in r % 2 == 1 ? providers : providers.Reverse())
        {
            var times = new double[inputs.Count];
            var found = 0;
            for (var q = 0; q < inputs.Count; q++)
            {
                var start = Stopwatch.GetTimestamp();
                if (await run(registry, inputs[q])) found++;
                times[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            Array.Sort(times);
            Add(figures, name, provider, times[times.Length / 2]);
            Add(tails, name, provider, times[Math.Min(times.Length - 1, (int)Math.Ceiling(times.Length * 0.99) - 1)]);
            if (found * 10 < inputs.Count * 9) errors.Add($"{provider}, {name}: only {found} of {inputs.Count} queries found their target");
        }
    }

    Console.Error.WriteLine($"== run {r}/{runs}: fan-out of {shape.Alerts:N0} alerts (load average {LoadAverage()})");
    foreach (var provider in r % 2 == 1 ? new[] { "SQLite", "Azurite" } : ["Azurite", "SQLite"])
    {
        var settings = provider == "SQLite" ? new Dictionary<string, string?>() : new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "AzureStorage",
            ["ConnectionStrings:AzureStorage"] = azurite.ConnectionString,
            ["Storage:Azure:TablePrefix"] = AzuriteServer.NewTablePrefix(),
        };
        var result = await FanOutBenchmark.RunAsync(shape, work, Console.Error, TimeSpan.FromMinutes(10), settings);
        Console.Error.WriteLine($"   {provider}: {result.AchievedRate:N1}/s of {result.AllowedRate:N1}/s allowed, p99 {result.P99.TotalSeconds:N2} s, {result.CpuMsPerAlert:N2} ms CPU per alert");
        Add(figures, "fan-out: % of the allowed rate", provider, result.PercentOfAllowed);
        Add(figures, "fan-out: alerts/s", provider, result.AchievedRate);
        Add(tails, "fan-out: alerts/s", provider, result.P99.TotalMilliseconds);
        Add(figures, "fan-out: CPU ms per alert (bot process)", provider, result.CpuMsPerAlert);
    }
}

database.Dispose();
SqliteConnection.ClearAllPools();

var header = new[] { "measure", "SQLite median (min–max)", "Azurite median (min–max)", "Azurite / SQLite", "SQLite p99", "Azurite p99" };
var rows = new List<IReadOnlyList<string>>();
foreach (var measure in figures.Keys.Select(k => k.Measure).Distinct())
{
    var sqlite = Summary(figures[(measure, "SQLite")]);
    var azure = Summary(figures[(measure, "Azurite")]);
    var isLookup = measure.StartsWith("lookup", StringComparison.Ordinal);
    var unit = isLookup ? " ms" : "";
    rows.Add([
        measure,
        F(sqlite, unit), F(azure, unit),
        string.Create(CultureInfo.InvariantCulture, $"{azure.Median / sqlite.Median:N1}×"),
        isLookup ? string.Create(CultureInfo.InvariantCulture, $"{Summary(tails[(measure, "SQLite")]).Median:N2} ms") : "",
        isLookup ? string.Create(CultureInfo.InvariantCulture, $"{Summary(tails[(measure, "Azurite")]).Median:N2} ms") : "",
    ]);
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}; {subscriptions:N0} subscriptions, {queries} queries per lookup, fan-out {shape.Tenants} tenants × {shape.Conversations} conversations × {shape.AlertsPerConversation} alerts; {runs} runs, providers alternating."));
Console.WriteLine();
Console.WriteLine("| " + string.Join(" | ", header) + " |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
foreach (var row in rows) Console.WriteLine("| " + string.Join(" | ", row) + " |");
foreach (var error in errors) Console.WriteLine($"ERROR: {error}");

if (jsonPath is not null)
{
    var results = new BenchResults
    {
        Title = "Storage providers: SQLite and Azure Storage (Azurite)",
        Summary = string.Create(CultureInfo.InvariantCulture,
            $"The same {subscriptions:N0}-subscription registry (imported with the import CLI, copied with migrate-to-azure) looked up through `IPorRegistry` on each provider, {queries} queries per kind; and the same fan-out of {shape.Alerts:N0} alerts through the real bot host and outbox worker to a loopback connector that enforces Teams' limits, once per provider. Providers alternate within each of {runs} runs; medians of the run medians (min–max). Azurite is a local in-memory emulator: read its column as the cost of our adapters' calls on loopback, not as Azure's latency. Load average at the end {LoadAverage()}."),
    };
    results.Tables.Add(new BenchTable(null, header, rows, "lrrrrr"));
    var lookupMeasures = figures.Keys.Select(k => k.Measure).Distinct().Where(m => m.StartsWith("lookup", StringComparison.Ordinal)).ToList();
    results.Charts.Add(new BenchChart("Lookup median by provider (median over runs, min–max)", "milliseconds", ["SQLite", "Azurite"],
        [.. lookupMeasures.Select(m => new BenchChartGroup(m["lookup: ".Length..],
            [Summary(figures[(m, "SQLite")]).Median, Summary(figures[(m, "Azurite")]).Median],
            [Summary(figures[(m, "SQLite")]).Min, Summary(figures[(m, "Azurite")]).Min],
            [Summary(figures[(m, "SQLite")]).Max, Summary(figures[(m, "Azurite")]).Max]))]));
    results.Errors.AddRange(errors);
    results.Write(jsonPath);
}

Directory.Delete(work, recursive: true);
return errors.Count == 0 ? 0 : 1;

static (double Median, double Min, double Max) Summary(List<double> values)
{
    var sorted = values.Order().ToList();
    return (sorted[sorted.Count / 2], sorted[0], sorted[^1]);
}

static string F((double Median, double Min, double Max) s, string unit) =>
    string.Create(CultureInfo.InvariantCulture, $"{s.Median:N2}{unit} ({s.Min:N2}–{s.Max:N2})");

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

/// <summary>Query inputs drawn from the imported data, so every lookup has a real target.</summary>
internal sealed class LookupSample
{
    public List<string> SubscriptionIds { get; } = [];
    public List<string> Domains { get; } = [];
    public List<string> PartnerIds { get; } = [];
    public List<string> PartnerTenants { get; } = [];
    public List<string> CustomerPrefixes { get; } = [];

    public static async Task<LookupSample> LoadAsync(SqliteDatabase database, int count, Random random)
    {
        var sample = new LookupSample();
        await using var connection = await database.OpenAsync();
        async Task<List<string>> Column(string sql)
        {
            var list = new List<string>();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$n", count);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) list.Add(reader.GetString(0));
            return list;
        }

        sample.SubscriptionIds.AddRange(await Column("SELECT subscription_id FROM subscriptions ORDER BY random() LIMIT $n"));
        sample.Domains.AddRange(await Column("SELECT domain FROM customers WHERE domain IS NOT NULL ORDER BY random() LIMIT $n"));
        sample.PartnerIds.AddRange(await Column("SELECT partner_id FROM partners ORDER BY random() LIMIT $n"));
        sample.PartnerTenants.AddRange(await Column("SELECT tenant_id FROM partner_tenants ORDER BY random() LIMIT $n"));
        var names = await Column("SELECT name FROM customers ORDER BY random() LIMIT $n");
        sample.CustomerPrefixes.AddRange(names.Select(n => n[..Math.Min(n.Length, 3 + random.Next(3))]));
        return sample;
    }
}
