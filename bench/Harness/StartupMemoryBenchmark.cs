using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace PorBot.Bench.Harness;

/// <summary>
/// Start-up: process start to the first 200 from /healthz (a new database with sample data, the same database
/// again, and a large registry). Memory: peak RSS (VmHWM) of the throughput run and of a lookup load on the
/// large registry, built once with the import CLI and cached outside the repository.
/// </summary>
internal static class StartupMemoryBenchmark
{
    private const double StartupTargetSeconds = 1.5;
    private const double MemoryTargetMiB = 200;

    public static async Task RunAsync(BenchContext context, Section section)
    {
        var options = context.Options;
        var records = options.Records;
        // Started first: polling it also warms up the harness's own HTTP client, so the first start is not slower for that.
        using var connector = await Servers.StartConnectorAsync(context, "fake-connector-memory");

        // Fresh: migrations and sample data on an empty folder, as on first install.
        var fresh = new List<double>();
        var firstRoot = "";
        for (var i = 0; i < options.StartupRuns; i++)
        {
            var root = context.NewScratchDirectory("startup");
            if (i == 0) firstRoot = root;
            fresh.Add(await TimeStartAsync(context, $"porbot-startup-fresh-{i + 1}", root, null));
        }

        // Again on the database the first run created: an ordinary restart.
        var existing = new List<double>();
        for (var i = 0; i < options.StartupRuns; i++) existing.Add(await TimeStartAsync(context, $"porbot-startup-existing-{i + 1}", firstRoot, null));

        // The large registry.
        var cached = await RegistryCache.EnsureAsync(context, records, section);
        var runRoot = context.NewScratchDirectory("registry");
        var database = Path.Combine(runRoot, "porbot.db");
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(cached)!, "porbot.db*")) File.Copy(file, Path.Combine(runRoot, Path.GetFileName(file)));
        var large = new List<double>();
        var largeRuns = Math.Max(1, options.StartupRuns / 2);
        for (var i = 0; i < largeRuns; i++) large.Add(await TimeStartAsync(context, $"porbot-startup-registry-{i + 1}", runRoot, database));

        var startupRows = new List<(string Label, Spread Seconds)>
        {
            ("new database (migrations + sample data)", Spread.Of(fresh)),
            ("existing database (restart)", Spread.Of(existing)),
            (BenchContext.Invariant($"registry of {records:N0} subscriptions"), Spread.Of(large)),
        };

        // Memory under a lookup load on the large registry.
        using var bot = Servers.StartPorBot(context, "porbot-memory", runRoot, database);
        await bot.WaitReadyAsync(Stopwatch.GetTimestamp(), "/healthz", TimeSpan.FromSeconds(120));
        var idleRss = bot.Process.PeakRssBytes() / 1048576.0;
        var (tenant, textsFile, textCount) = await LookupTextsAsync(context, database);
        var wrk = await Wrk.RunAsync(context, bot.MessagesUrl, connector.BaseUrl + "/", new TurnLoad(TextsFile: textsFile, Tenant: tenant),
            options.DurationSeconds, 32, "wrk-memory-registry");
        await Task.Delay(300);
        var replies = await connector.StatsAsync();
        var peakLarge = bot.Process.PeakRssBytes() / 1048576.0;
        if (wrk.Errors.Total > 0) section.Errors.Add($"lookup load on {records:N0} subscriptions: wrk errors {wrk.Errors}");
        if (replies.Apologies > 0) section.Errors.Add($"lookup load on {records:N0} subscriptions: {replies.Apologies} apologies (failed turns)");
        if (replies.Messages < wrk.Requests) section.Errors.Add($"lookup load on {records:N0} subscriptions: {wrk.Requests - replies.Messages} turns without a reply");

        section.Line($"Start-up is the time from starting `dotnet PorBot.dll` (Release, production settings, auth off, a scratch content root) to the first 200 from `GET /healthz`, which answers once the database is migrated and the app listens; polled every 5 ms. Median of {options.StartupRuns} starts ({largeRuns} for the large registry), (min–max).");
        section.Line();
        section.Table(["start", "seconds to /healthz 200"], startupRows.Select(r => (IReadOnlyList<string>)[r.Label, r.Seconds.Format("N2")]), "lr");

        var throughputPeak = context.Shared.TryGetValue("throughput.porbot.peakRssMiB", out var peak) ? peak : double.NaN;
        section.Line($"Peak RSS is VmHWM from /proc/<pid>/status at the end of the load. The large-registry load is wrk at concurrency 32 for {options.DurationSeconds} s with a mix of {textCount} lookups drawn from the registry (by domain, customer name, subscription id, partner id and partner name) from a user of a partner, started cold (no warm-up: this load is for memory, not speed): {wrk.RequestsPerSecond:N0} turns/s, p50 {wrk.P50Us / 1000.0:N1} ms, p99 {wrk.P99Us / 1000.0:N1} ms.");
        section.Line();
        section.Table(["PorBot process", "peak RSS MiB"],
        [
            ["during the throughput run (sample data)", double.IsNaN(throughputPeak) ? "not run (`--only` left out throughput)" : throughputPeak.ToString("N0", CultureInfo.InvariantCulture)],
            [BenchContext.Invariant($"started on {records:N0} subscriptions, idle"), idleRss.ToString("N0", CultureInfo.InvariantCulture)],
            [BenchContext.Invariant($"after the lookup load on {records:N0} subscriptions"), peakLarge.ToString("N0", CultureInfo.InvariantCulture)],
        ], "lr");

        var restart = startupRows[1].Seconds;
        section.Target("Start-up (restart, sample data)", $"< {StartupTargetSeconds} s to /healthz 200", restart.Format("N2", " s"), restart.Median < StartupTargetSeconds);
        section.Target("Start-up (new database)", $"< {StartupTargetSeconds} s to /healthz 200", startupRows[0].Seconds.Format("N2", " s"), startupRows[0].Seconds.Median < StartupTargetSeconds);
        section.Target(BenchContext.Invariant($"Start-up ({records:N0} subscriptions)"), $"< {StartupTargetSeconds} s to /healthz 200", startupRows[2].Seconds.Format("N2", " s"), startupRows[2].Seconds.Median < StartupTargetSeconds);
        if (!double.IsNaN(throughputPeak))
            section.Target("Peak RSS, throughput run", $"< {MemoryTargetMiB} MB", BenchContext.Invariant($"{throughputPeak:N0} MiB"), throughputPeak < MemoryTargetMiB);
        section.Target(BenchContext.Invariant($"Peak RSS, {records:N0} subscriptions"), $"< {MemoryTargetMiB} MB", BenchContext.Invariant($"{peakLarge:N0} MiB"), peakLarge < MemoryTargetMiB);

        Report.Chart(context, section, "startup", SvgChart.Bars($"Start-up: process start to /healthz 200 (median of starts, min–max; target < {StartupTargetSeconds} s)", "seconds",
            ["seconds"], startupRows.Select(r => new BarGroup(r.Label, [r.Seconds.Median], [r.Seconds.Min], [r.Seconds.Max])).ToList()));
        List<BarGroup> memory = [new BarGroup(BenchContext.Invariant($"{records:N0} subscriptions, idle"), [idleRss]), new BarGroup(BenchContext.Invariant($"{records:N0} subscriptions, lookup load"), [peakLarge])];
        if (!double.IsNaN(throughputPeak)) memory.Insert(0, new BarGroup("throughput run", [throughputPeak]));
        Report.Chart(context, section, "memory", SvgChart.Bars($"PorBot peak RSS (VmHWM; target < {MemoryTargetMiB} MB)", "MiB", ["peak RSS"], memory));

        section.Data["startupSeconds"] = new { fresh, existing, large, records };
        section.Data["peakRssMiB"] = new { throughput = double.IsNaN(throughputPeak) ? (double?)null : throughputPeak, idle = idleRss, lookupLoad = peakLarge };
        section.Data["lookupLoad"] = wrk;
    }

    private static async Task<double> TimeStartAsync(BenchContext context, string name, string contentRoot, string? database)
    {
        var started = Stopwatch.GetTimestamp();
        using var bot = Servers.StartPorBot(context, name, contentRoot, database);
        var elapsed = await bot.WaitReadyAsync(started, "/healthz", TimeSpan.FromSeconds(120));
        return elapsed.TotalSeconds;
    }

    /// <summary>Lookup texts drawn from the registry and the tenant of a partner to send them as.</summary>
    private static async Task<(string Tenant, string File, int Count)> LookupTextsAsync(BenchContext context, string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        async Task<List<string>> Column(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            var values = new List<string>();
            while (await reader.ReadAsync()) values.Add(reader.GetString(0));
            return values;
        }

        var tenant = (await Column("SELECT tenant_id FROM partner_tenants ORDER BY tenant_id LIMIT 1")).Single();
        var domains = await Column("SELECT domain FROM customers WHERE domain IS NOT NULL ORDER BY random() LIMIT 100");
        var names = await Column("SELECT name FROM customers ORDER BY random() LIMIT 100");
        var subscriptions = await Column("SELECT subscription_id FROM subscriptions ORDER BY random() LIMIT 100");
        var partnerIds = await Column("SELECT partner_id FROM partners ORDER BY random() LIMIT 100");
        var partnerNames = await Column("SELECT name FROM partners ORDER BY random() LIMIT 100");
        var texts = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            if (i < domains.Count) texts.Add("lookup " + domains[i]);
            if (i < names.Count) texts.Add("lookup " + names[i]);
            if (i < subscriptions.Count) texts.Add("lookup " + subscriptions[i]);
            if (i < partnerIds.Count) texts.Add("mpn " + partnerIds[i]);
            if (i < partnerNames.Count) texts.Add("partner " + partnerNames[i]);
        }

        var file = Path.Combine(context.RunDirectory, "registry-lookups.txt");
        await File.WriteAllLinesAsync(file, texts);
        return (tenant, file, texts.Count);
    }
}

/// <summary>
/// Large registries built once with PorBot's own import CLI (<c>import --generate</c>, then <c>import</c>) and
/// kept in the work folder; rebuilt when the generator, importer or migrations change.
/// </summary>
internal static class RegistryCache
{
    private static readonly string[] ImporterSources = ["Cli/SyntheticRegistry.cs", "Cli/RegistryImporter.cs", "Cli/CsvReader.cs"];

    public static async Task<string> EnsureAsync(BenchContext context, int records, Section section)
    {
        var directory = Path.Combine(context.Options.WorkDirectory, BenchContext.Invariant($"registry-{records}"));
        var database = Path.Combine(directory, "porbot.db");
        var stampFile = Path.Combine(directory, "inputs.sha256");
        var stamp = InputsHash(context.Repository);
        if (File.Exists(database) && File.Exists(stampFile) && await File.ReadAllTextAsync(stampFile) == stamp)
        {
            section.Notes.Add(BenchContext.Invariant($"The {records:N0}-subscription registry came from the cache in {directory} (delete it to rebuild)."));
            return database;
        }

        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        var csv = Path.Combine(directory, "csv");
        Directory.CreateDirectory(csv);
        Console.Error.WriteLine(BenchContext.Invariant($"bench: building a registry of {records:N0} subscriptions in {directory} (once; cached)"));
        var started = Stopwatch.GetTimestamp();
        await Cli(context, ["import", "--generate", records.ToString(CultureInfo.InvariantCulture), "--out", csv, "--seed", "42"], directory);
        var generated = Stopwatch.GetElapsedTime(started);
        await Cli(context, ["import", "--db", database, Path.Combine(csv, "partners.csv"), Path.Combine(csv, "subscriptions.csv")], directory);
        var imported = Stopwatch.GetElapsedTime(started) - generated;
        Directory.Delete(csv, recursive: true);
        await File.WriteAllTextAsync(stampFile, stamp);
        section.Notes.Add(BenchContext.Invariant(
            $"Built the {records:N0}-subscription registry with the import CLI: `import --generate` {generated.TotalSeconds:N1} s, `import` {imported.TotalSeconds:N1} s; cached in {directory}."));
        return database;
    }

    private static async Task Cli(BenchContext context, IReadOnlyList<string> arguments, string directory)
    {
        var exit = await ChildProcess.RunAsync("porbot import", "dotnet", [context.PorBotDll, .. arguments], directory,
            new Dictionary<string, string?> { ["ConnectionStrings__PorBot"] = null }, context.Log("registry-import"), TimeSpan.FromMinutes(30));
        if (exit != 0) throw new InvalidOperationException($"`PorBot {string.Join(' ', arguments)}` failed with {exit}; see {context.Log("registry-import")}");
    }

    private static string InputsHash(string repository)
    {
        var app = Path.Combine(repository, "src", "PorBot");
        var files = ImporterSources.Select(f => Path.Combine(app, f))
            .Concat(Directory.GetFiles(Path.Combine(app, "Storage", "Sqlite", "Migrations"), "*.sql").Order(StringComparer.Ordinal));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files.Where(File.Exists)) hash.AppendData(File.ReadAllBytes(file));
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
