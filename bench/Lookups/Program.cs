using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using PorBot.Bench;
using PorBot.Cli;
using PorBot.Lookups;
using PorBot.Storage.Sqlite;

// Registry benchmark: generate and import synthetic registries of several sizes with the import CLI's
// own code, then time every lookup kind through IPorRegistry (server side: open a pooled connection,
// query, map records). Prints markdown tables.
//
//   dotnet run -c Release --project bench/Lookups -- [--sizes 10000,100000,1000000] [--queries 1000] [--runs 3] [--work DIR] [--reuse] [--json FILE] [--smoke]
// --reuse measures lookups on databases left by an earlier run instead of generating and importing again.
// --json writes the results for the harness (bench/README.md); --smoke is a quick run (10k, 100 queries, 1 run).

var smoke = args.Contains("--smoke");
var sizes = smoke ? [10_000] : new List<int> { 10_000, 100_000, 1_000_000 };
var queries = smoke ? 100 : 1000;
var runs = smoke ? 1 : 3;
var work = Environment.GetEnvironmentVariable("PORBOT_BENCH_WORK") is { Length: > 0 } benchWork
    ? Path.Combine(benchWork, "lookups")
    : Path.Combine(Path.GetTempPath(), "porbot-bench-lookups");
var reuse = false;
string? jsonPath = null;
const double P99TargetMs = 20;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--smoke": break;
        case "--json": jsonPath = args[++i]; break;
        case "--sizes": sizes = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList(); break;
        case "--queries": queries = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--work": work = args[++i]; break;
        case "--reuse": reuse = true; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var imports = new StringBuilder("| subscriptions | customers | partners | import s | rows/s | DB size MiB |\n|---:|---:|---:|---:|---:|---:|\n");
var lookups = new StringBuilder("| subscriptions | lookup | median ms (min–max) | p99 ms (min–max) | found |\n|---:|---|---:|---:|---:|\n");
var results = new BenchResults { Title = "Lookup and search scaling" };
var importRows = new List<IReadOnlyList<string>>();
var lookupRows = new List<IReadOnlyList<string>>();
var p99BySize = new Dictionary<int, Dictionary<string, (double Median, double Min, double Max)>>();
foreach (var size in sizes)
{
    var directory = Path.Combine(work, size.ToString(CultureInfo.InvariantCulture));
    var dbPath = Path.Combine(directory, "registry.db");
    var database = new SqliteDatabase($"Data Source={dbPath}");
    var importFigures = "reused | reused";
    var partnerCount = "";
    if (!reuse || !File.Exists(dbPath))
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Console.Error.WriteLine($"== {size:N0} subscriptions: generating");
        var (partnersCsv, subscriptionsCsv) = SyntheticRegistry.Generate(size, directory, seed: 42);
        await new SqliteMigrator(database, NullLogger<SqliteMigrator>.Instance).MigrateAsync();
        var result = await new RegistryImporter(database, TimeProvider.System).ImportAsync([partnersCsv, subscriptionsCsv], Console.Error);
        if (!result.Succeeded) throw new InvalidOperationException(string.Join('\n', result.Problems.Take(20)));
        var rows = result.Partners + result.Subscriptions;
        importFigures = string.Create(CultureInfo.InvariantCulture, $"{result.Elapsed.TotalSeconds:N1} | {rows / result.Elapsed.TotalSeconds:N0}");
        partnerCount = result.Partners.ToString("N0", CultureInfo.InvariantCulture);
    }

    var dbBytes = new FileInfo(dbPath).Length + (File.Exists(dbPath + "-wal") ? new FileInfo(dbPath + "-wal").Length : 0);

    var sample = await Sample.LoadAsync(database, queries, new Random(7));
    imports.Append(CultureInfo.InvariantCulture, $"| {size:N0} | {sample.CustomerCount:N0} | {partnerCount} | {importFigures} | {dbBytes / 1048576.0:N1} |\n");
    importRows.Add([.. string.Create(CultureInfo.InvariantCulture, $"{size:N0}|{sample.CustomerCount:N0}|{partnerCount}|{importFigures.Replace(" ", "", StringComparison.Ordinal)}|{dbBytes / 1048576.0:N1}").Split('|')]);
    p99BySize[size] = [];

    // Measure lookups, not the collection of the import's garbage.
    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    var registry = new SqlitePorRegistry(database, TimeProvider.System);
    var cases = new (string Name, IReadOnlyList<string> Inputs, Func<string, Task<bool>> Run)[]
    {
        ("subscription id", sample.SubscriptionIds, async q => await registry.GetSubscriptionAsync(Guid.Parse(q), default) is not null),
        ("customer tenant id", sample.TenantIds, async q => (await registry.GetSubscriptionsByTenantAsync(Guid.Parse(q), default)).Count > 0),
        ("customer domain", sample.Domains, async q => (await registry.GetSubscriptionsByDomainAsync(q, default)).Count > 0),
        ("partner id", sample.PartnerIds, async q => await registry.GetPartnerAsync(q, default) is not null),
        ("partner by tenant", sample.PartnerTenants, async q => await registry.GetPartnerByTenantAsync(Guid.Parse(q), default) is not null),
        ("customer name: exact", sample.CustomerNames, async q => Found(await registry.SearchCustomersAsync(q, 10, default), q, q)),
        ("customer name: prefix (3–5 chars)", sample.CustomerPrefixes.Select(p => p.Query).ToList(), async q => (await registry.SearchCustomersAsync(q, 10, default)).Count > 0),
        ("customer name: word", sample.CustomerWords.Select(p => p.Query).ToList(), async q => (await registry.SearchCustomersAsync(q, 10, default)).Count > 0),
        ("customer name: typo", sample.CustomerTypos.Select(p => p.Query).ToList(), async q => Found(await registry.SearchCustomersAsync(q, 10, default), q, sample.TypoTargets[q])),
        ("partner name: prefix", sample.PartnerPrefixes, async q => (await registry.SearchPartnersAsync(q, 10, default)).Count > 0),
        ("partner name: typo", sample.PartnerTypos, async q => (await registry.SearchPartnersAsync(q, 10, default)).Count > 0),
    };

    foreach (var (name, inputs, run) in cases)
    {
        for (var w = 0; w < Math.Min(100, inputs.Count); w++) await run(inputs[w]);
        var medians = new List<double>();
        var p99s = new List<double>();
        var found = 0;
        for (var r = 0; r < runs; r++)
        {
            var times = new double[inputs.Count];
            found = 0;
            for (var q = 0; q < inputs.Count; q++)
            {
                var start = Stopwatch.GetTimestamp();
                if (await run(inputs[q])) found++;
                times[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            Array.Sort(times);
            medians.Add(times[times.Length / 2]);
            p99s.Add(times[Math.Min(times.Length - 1, (int)Math.Ceiling(times.Length * 0.99) - 1)]);
        }

        medians.Sort();
        p99s.Sort();
        lookups.Append(CultureInfo.InvariantCulture,
            $"| {size:N0} | {name} | {medians[medians.Count / 2]:N3} ({medians[0]:N3}–{medians[^1]:N3}) | {p99s[p99s.Count / 2]:N3} ({p99s[0]:N3}–{p99s[^1]:N3}) | {found * 100.0 / inputs.Count:N0}% |\n");
        lookupRows.Add([
            size.ToString("N0", CultureInfo.InvariantCulture), name,
            string.Create(CultureInfo.InvariantCulture, $"{medians[medians.Count / 2]:N3} ({medians[0]:N3}–{medians[^1]:N3})"),
            string.Create(CultureInfo.InvariantCulture, $"{p99s[p99s.Count / 2]:N3} ({p99s[0]:N3}–{p99s[^1]:N3})"),
            string.Create(CultureInfo.InvariantCulture, $"{found * 100.0 / inputs.Count:N0}%")]);
        p99BySize[size][name] = (p99s[p99s.Count / 2], p99s[0], p99s[^1]);
        if (found == 0) results.Errors.Add($"{size:N0} subscriptions, {name}: no query found its target");
        Console.Error.WriteLine($"   {name}: done (load average {LoadAverage()})");
    }

    // The registry's rented connections (and their page caches) go with the database, before the next size.
    database.Dispose();
    SqliteConnection.ClearAllPools();
}

Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, load average {LoadAverage()}; {queries} queries per lookup, {runs} runs (median of run medians / run p99s, min–max over runs).");
Console.WriteLine();
Console.WriteLine(imports);
Console.WriteLine(lookups);

if (jsonPath is not null)
{
    results.Summary = string.Create(CultureInfo.InvariantCulture,
        $"Synthetic registries generated and imported with the import CLI's own code (`SyntheticRegistry`, `RegistryImporter`) into fresh SQLite files, then every lookup timed through `IPorRegistry` on the server side (pooled connection, query, mapping): {queries} queries per lookup kind drawn from the imported data, {runs} runs; median of the run medians / run p99s (min–max over runs). Load average at the end {LoadAverage()}.");
    results.Tables.Add(new BenchTable("Import", ["subscriptions", "customers", "partners", "import s", "rows/s", "DB size MiB"], importRows));
    results.Tables.Add(new BenchTable("Lookups", ["subscriptions", "lookup", "median ms (min–max)", "p99 ms (min–max)", "found"], lookupRows, "rlrrr"));
    var kinds = p99BySize.Values.First().Keys.ToList();
    results.Charts.Add(new BenchChart("Lookup p99 by registry size (median over runs, min–max)", "milliseconds",
        [.. sizes.Select(s => s.ToString("N0", CultureInfo.InvariantCulture) + " subscriptions")],
        [.. kinds.Select(k => new BenchChartGroup(k,
            [.. sizes.Select(s => p99BySize[s][k].Median)], [.. sizes.Select(s => p99BySize[s][k].Min)], [.. sizes.Select(s => p99BySize[s][k].Max)]))]));
    var largest = sizes.Max();
    var worst = p99BySize[largest].MaxBy(kv => kv.Value.Median);
    results.Targets.Add(new BenchTarget(string.Create(CultureInfo.InvariantCulture, $"Lookups: slowest p99 at {largest:N0} subscriptions"),
        string.Create(CultureInfo.InvariantCulture, $"< {P99TargetMs} ms (issue 4: at 1,000,000)"),
        string.Create(CultureInfo.InvariantCulture, $"{worst.Value.Median:N2} ms ({worst.Key})"), worst.Value.Median < P99TargetMs));
    results.Write(jsonPath);
}

return 0;

// The expected customer is among the results (for exact and typo queries).
static bool Found(IReadOnlyList<CustomerMatch> matches, string query, string expected) =>
    matches.Any(m => string.Equals(m.CustomerName, expected, StringComparison.OrdinalIgnoreCase));

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

/// <summary>Query inputs drawn from the imported data, so every lookup has a realistic target.</summary>
internal sealed class Sample
{
    public int CustomerCount { get; private set; }
    public List<string> SubscriptionIds { get; } = [];
    public List<string> TenantIds { get; } = [];
    public List<string> Domains { get; } = [];
    public List<string> PartnerIds { get; } = [];
    public List<string> PartnerTenants { get; } = [];
    public List<string> CustomerNames { get; } = [];
    public List<(string Query, string Name)> CustomerPrefixes { get; } = [];
    public List<(string Query, string Name)> CustomerWords { get; } = [];
    public List<(string Query, string Name)> CustomerTypos { get; } = [];
    public Dictionary<string, string> TypoTargets { get; } = [];
    public List<string> PartnerPrefixes { get; } = [];
    public List<string> PartnerTypos { get; } = [];

    public static async Task<Sample> LoadAsync(SqliteDatabase database, int count, Random random)
    {
        var sample = new Sample();
        await using var connection = await database.OpenAsync();
        async Task<List<string[]>> Rows(string sql)
        {
            var list = new List<string[]>();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) list.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : reader.GetString(i)).ToArray());
            return list;
        }

        sample.CustomerCount = Convert.ToInt32(await Scalar(connection, "SELECT count(*) FROM customers"), CultureInfo.InvariantCulture);
        var n = count.ToString(CultureInfo.InvariantCulture);
        sample.SubscriptionIds.AddRange((await Rows($"SELECT subscription_id FROM subscriptions ORDER BY random() LIMIT {n}")).Select(r => r[0]));
        var customers = await Rows($"SELECT tenant_id, name, coalesce(domain, '') FROM customers ORDER BY random() LIMIT {n}");
        sample.TenantIds.AddRange(customers.Select(c => c[0]));
        sample.Domains.AddRange(customers.Where(c => c[2].Length > 0).Select(c => c[2].ToUpperInvariant()));
        sample.CustomerNames.AddRange(customers.Select(c => c[1]));
        foreach (var (_, name, _) in customers.Select(c => (c[0], c[1], c[2])))
        {
            var words = NameWords(name);
            sample.CustomerPrefixes.Add((name[..Math.Min(name.Length, random.Next(3, 6))], name));
            sample.CustomerWords.Add((words[random.Next(words.Count)], name));
            var typo = Typo(name, words, random);
            if (typo is not null && sample.TypoTargets.TryAdd(typo, name)) sample.CustomerTypos.Add((typo, name));
        }

        var partners = await Rows($"SELECT p.partner_id, p.name, coalesce((SELECT min(tenant_id) FROM partner_tenants t WHERE t.partner_id = p.partner_id), '') FROM partners p ORDER BY random() LIMIT {n}");
        while (sample.PartnerIds.Count < count)
        {
            var p = partners[random.Next(partners.Count)];
            sample.PartnerIds.Add(p[0]);
            if (p[2].Length > 0) sample.PartnerTenants.Add(p[2]);
            sample.PartnerPrefixes.Add(p[1][..Math.Min(p[1].Length, random.Next(3, 6))]);
            if (Typo(p[1], NameWords(p[1]), random) is { } typo) sample.PartnerTypos.Add(typo);
        }

        return sample;
    }

    private static List<string> NameWords(string name) => name.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Any(char.IsLetter)).ToList();

    // One swapped or replaced letter in the name's longest word (five letters or more), the rest kept.
    private static string? Typo(string name, List<string> words, Random random)
    {
        var longest = words.Where(w => w.Length >= 5 && w.All(char.IsLetter)).OrderByDescending(w => w.Length).FirstOrDefault();
        if (longest is null) return null;
        var chars = longest.ToCharArray();
        var at = random.Next(1, chars.Length - 1);
        if (random.Next(2) == 0) (chars[at], chars[at + 1]) = (chars[at + 1], chars[at]);
        else chars[at] = chars[at] == 'x' ? 'q' : 'x';
        var typo = new string(chars);
        return typo == longest ? null : name.Replace(longest, typo, StringComparison.Ordinal);
    }

    private static async Task<object?> Scalar(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
