using System.Diagnostics;

namespace PorBot.Bench.Harness;

/// <summary>
/// Turn throughput, side by side in one run: PorBot (help turn, lookup turn), the bare ASP.NET Core ceiling
/// and the Bot Builder JS peer, each driven by wrk at concurrency 32 against the same fake connector.
/// Targets are evaluated from per-round ratios, so that both sides of a ratio saw the same machine.
/// </summary>
internal static class ThroughputBenchmark
{
    public const string ContosoTenant = "1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01"; // sample data: Contoso Cloud Partners
    private const string CardMarker = "application/vnd.microsoft.card.adaptive";
    private const int Connections = 32;
    private const string LookupText = "lookup adventure-works.com";
    private const string LookupMarker = "Adventure Works";

    private sealed record Target(string Key, string Label, Server Server, TurnLoad Load, string ReplyMarker);

    private sealed record Run(string Key, int Round, WrkResult Wrk, double CpuSeconds, ConnectorStats Replies)
    {
        public double CpuPerThousand => Wrk.Requests == 0 ? double.NaN : CpuSeconds / Wrk.Requests * 1000;
        public long MissingReplies => Math.Max(0, Wrk.Requests - Replies.Messages);
    }

    public static async Task RunAsync(BenchContext context, Section section)
    {
        Wrk.EnsureInstalled();
        var options = context.Options;
        using var connector = await Servers.StartConnectorAsync(context);
        var serviceUrl = connector.BaseUrl + "/";

        using var porbot = Servers.StartPorBot(context, "porbot-throughput", context.NewScratchDirectory("throughput"));
        await porbot.WaitReadyAsync(Stopwatch.GetTimestamp(), "/healthz", TimeSpan.FromSeconds(60));

        // Each ceiling posts exactly what PorBot posts for its turn: capture both replies. The lookup card is half
        // the help card's size, so its ceiling is the faster one, and each PorBot turn is held to its own.
        using var ceilingHelp = await Servers.StartCeilingAsync(context, "ceiling-help", await CaptureReplyAsync("help", "help-reply.json"));
        using var ceilingLookup = await Servers.StartCeilingAsync(context, "ceiling-lookup", await CaptureReplyAsync(LookupText, "lookup-reply.json"));
        using var peer = await Servers.StartPeerAsync(context);

        var targets = new List<Target>
        {
            new("porbot-help", "PorBot: help turn", porbot, new TurnLoad("help", Tenant: ContosoTenant), CardMarker),
            new("porbot-lookup", "PorBot: lookup turn", porbot, new TurnLoad(LookupText, Tenant: ContosoTenant), LookupMarker),
            new("ceiling", "Ceiling: help reply", ceilingHelp, new TurnLoad("help", Tenant: ContosoTenant), CardMarker),
            new("ceiling-lookup", "Ceiling: lookup reply", ceilingLookup, new TurnLoad(LookupText, Tenant: ContosoTenant), LookupMarker),
            new("peer", "Peer: Bot Builder JS 4.23.3 echo", peer, new TurnLoad("help", Tenant: ContosoTenant), "echo: help"),
        };

        async Task<string> CaptureReplyAsync(string text, string fileName)
        {
            await porbot.PostMessageAsync(text, ContosoTenant, serviceUrl);
            var file = Path.Combine(context.RunDirectory, fileName);
            await File.WriteAllTextAsync(file, await connector.LastMessageAsync());
            return file;
        }

        // Warm-up until steady: tiered JIT with PGO keeps recompiling hot code for tens of seconds on a busy
        // 2-core machine, and a bot with more code than the ceiling takes longer to get there. Chunks of wrk
        // until CPU per turn moved less than 10% twice in a row (at least 3 chunks, at most 10).
        var warmups = new Dictionary<string, (int Chunks, double CpuPerThousand)>();
        foreach (var target in targets)
        {
            var previous = double.NaN;
            var chunks = 0;
            var steady = 0;
            var cpuPerThousand = double.NaN;
            var (minChunks, maxChunks) = options.Smoke ? (1, 2) : (3, 10);
            while (chunks < maxChunks && (chunks < minChunks || steady < 2))
            {
                chunks++;
                var cpuBefore = target.Server.Process.CpuSeconds();
                var wrk = await Wrk.RunAsync(context, target.Server.MessagesUrl, serviceUrl, target.Load, options.WarmupSeconds, Connections, $"wrk-warmup-{target.Key}-{chunks}");
                await Task.Delay(300);
                cpuPerThousand = (target.Server.Process.CpuSeconds() - cpuBefore) / Math.Max(1, wrk.Requests) * 1000;
                steady = Math.Abs(cpuPerThousand - previous) / previous < 0.10 ? steady + 1 : 0;
                previous = cpuPerThousand;
            }

            warmups[target.Key] = (chunks, cpuPerThousand);
            Console.Error.WriteLine(BenchContext.Invariant($"  {target.Label}: warmed up in {chunks} × {options.WarmupSeconds} s ({cpuPerThousand:N3} CPU s per 1,000 turns at the end)"));
            var last = await connector.LastMessageAsync();
            if (!last.Contains(target.ReplyMarker, StringComparison.Ordinal))
                section.Errors.Add($"{target.Label}: the reply does not contain \"{target.ReplyMarker}\"; got {last[..Math.Min(300, last.Length)]}");
        }

        var runs = new List<Run>();
        for (var round = 0; round < options.Runs; round++)
        {
            // Rotated each round, so no target always runs right after the same neighbour.
            foreach (var target in targets.Skip(round % targets.Count).Concat(targets.Take(round % targets.Count)))
            {
                var before = await connector.StatsAsync();
                var cpuBefore = target.Server.Process.CpuSeconds();
                var wrk = await Wrk.RunAsync(context, target.Server.MessagesUrl, serviceUrl, target.Load, options.DurationSeconds, Connections,
                    $"wrk-{target.Key}-{round + 1}");
                await Task.Delay(300); // turns in flight when wrk stopped finish and post their replies
                var run = new Run(target.Key, round, wrk, target.Server.Process.CpuSeconds() - cpuBefore, await connector.StatsAsync() - before);
                runs.Add(run);
                Console.Error.WriteLine(BenchContext.Invariant($"  {target.Label}: {wrk.RequestsPerSecond:N0} req/s, p99 {wrk.P99Us / 1000.0:N1} ms (load {BenchContext.LoadAverage()})"));
                if (wrk.Errors.Total > 0) section.Errors.Add($"{target.Label}, run {round + 1}: wrk errors {wrk.Errors}");
                if (run.MissingReplies > 0) section.Errors.Add($"{target.Label}, run {round + 1}: {run.MissingReplies} turns answered 200 without a reply");
                if (run.Replies.Apologies > 0) section.Errors.Add($"{target.Label}, run {round + 1}: {run.Replies.Apologies} apologies (failed turns)");
            }
        }

        var peaks = targets.Select(t => t.Server).Distinct().ToDictionary(s => s, s => s.Process.PeakRssBytes() / 1048576.0);
        context.Shared["throughput.porbot.peakRssMiB"] = peaks[porbot];
        Describe(context, section, targets, runs, peaks, warmups);
    }

    private static void Describe(BenchContext context, Section section, List<Target> targets, List<Run> runs, Dictionary<Server, double> peaks,
        Dictionary<string, (int Chunks, double CpuPerThousand)> warmups)
    {
        var options = context.Options;
        Spread Of(string key, Func<Run, double> value) => Spread.Of(runs.Where(r => r.Key == key).Select(value));

        section.Line($"wrk -t2 -c{Connections} -d{options.DurationSeconds}s through `bench/tools/wrk/turns.lua`: every request is a Teams message activity with a unique id, spread over 64 personal chats of a tenant mapped to a partner; the bot posts its reply to the fake connector (`bench/tools/FakeConnector`, Kestrel on loopback) and answers 200 when it has. {options.Runs} measured runs per target, targets rotated each round, after a warm-up in chunks of {options.WarmupSeconds} s until CPU per turn changed less than 10% twice in a row (tiered JIT keeps optimising for a while; the table says how many chunks each target needed); figures are the median with (min–max) over runs. CPU is the target process's user + system time (/proc/<pid>/stat) over the run.");
        section.Line();
        section.Line("- **PorBot: help turn**: `help` → the help card (an Adaptive Card). **Lookup turn**: `lookup adventure-works.com` from a user of Contoso (a partner) → partner by tenant, subscriptions by domain, claims, the customer card; SQLite with the sample data. The same lookup every turn: once each pooled connection has read it, its reads are served from what the connection kept (valid while nothing is committed), a best case for the registry part; `bench/optimisations.md` gives what a lookup whose reads miss costs.");
        section.Line("- **Ceiling**: a bare ASP.NET Core minimal endpoint (`bench/tools/Ceiling`) that deserialises the activity and posts a reply captured from PorBot, nothing else; two of them, one posting PorBot's help reply (5.3 KB) and one its lookup reply (2.6 KB), so that each PorBot turn is compared with a ceiling posting the same reply.");
        section.Line("- **Peer**: the Bot Builder for JavaScript 4.23.3 echo bot (`bench/tools/peer`, CloudAdapter, auth off) on Node's http server, replying `echo: help` (a smaller reply than PorBot's card).");
        section.Line();

        section.Table(["target", "requests/s", "p50 ms", "p99 ms", "CPU s per 1,000 turns", "peak RSS MiB", "errors", "warm-up"],
            targets.Select(t => (IReadOnlyList<string>)
            [
                t.Label,
                Of(t.Key, r => r.Wrk.RequestsPerSecond).Format("N0"),
                Of(t.Key, r => r.Wrk.P50Us / 1000.0).Format("N1"),
                Of(t.Key, r => r.Wrk.P99Us / 1000.0).Format("N1"),
                Of(t.Key, r => r.CpuPerThousand).Format("N3"),
                peaks[t.Server].ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + (t.Key == "porbot-lookup" ? " (same process)" : ""),
                runs.Where(r => r.Key == t.Key).Sum(r => r.Wrk.Errors.Total + r.MissingReplies + r.Replies.Apologies).ToString(System.Globalization.CultureInfo.InvariantCulture),
                BenchContext.Invariant($"{warmups[t.Key].Chunks * options.WarmupSeconds} s"),
            ]), "lrrrrrrr");

        Spread Ratio(string a, string b) => Spread.Of(runs.Where(r => r.Key == a)
            .Join(runs.Where(r => r.Key == b), r => r.Round, r => r.Round, (x, y) => x.Wrk.RequestsPerSecond / y.Wrk.RequestsPerSecond));
        var helpPeer = Ratio("porbot-help", "peer");
        var lookupPeer = Ratio("porbot-lookup", "peer");
        var helpCeiling = Ratio("porbot-help", "ceiling");
        var lookupCeiling = Ratio("porbot-lookup", "ceiling-lookup");
        section.Line("Ratios of requests/s, computed per round (both sides measured minutes apart at most) and then summarised:");
        section.Line();
        section.Table(["comparison", "ratio", "target"],
        [
            ["PorBot help turn ÷ peer", helpPeer.Format("N2", "×"), "≥ 4×"],
            ["PorBot lookup turn ÷ peer", lookupPeer.Format("N2", "×"), "≥ 4×"],
            ["PorBot help turn ÷ ceiling (help reply)", Percent(helpCeiling), "≥ 70%"],
            ["PorBot lookup turn ÷ ceiling (lookup reply)", Percent(lookupCeiling), "≥ 70%"],
        ], "lrr");
        section.Target("Throughput: help turn vs peer", "≥ 4× the peer's requests/s", helpPeer.Format("N2", "×"), helpPeer.Median >= 4);
        section.Target("Throughput: lookup turn vs peer", "≥ 4× the peer's requests/s", lookupPeer.Format("N2", "×"), lookupPeer.Median >= 4);
        section.Target("Throughput: help turn vs its ceiling", "≥ 70% of the bare ceiling posting the help reply", Percent(helpCeiling), helpCeiling.Median >= 0.7);
        section.Target("Throughput: lookup turn vs its ceiling", "≥ 70% of the bare ceiling posting the lookup reply", Percent(lookupCeiling), lookupCeiling.Median >= 0.7);

        var groups = targets.Select(t => Bar(t.Label, Of(t.Key, r => r.Wrk.RequestsPerSecond))).ToList();
        Report.Chart(context, section, "throughput-rps", SvgChart.Bars($"Turn throughput (wrk, concurrency {Connections}, median of {options.Runs} runs, min–max)", "requests per second", ["requests/s"], groups));
        var latency = targets.Select(t =>
        {
            var p50 = Of(t.Key, r => r.Wrk.P50Us / 1000.0);
            var p99 = Of(t.Key, r => r.Wrk.P99Us / 1000.0);
            return new BarGroup(t.Label, [p50.Median, p99.Median], [p50.Min, p99.Min], [p50.Max, p99.Max]);
        }).ToList();
        Report.Chart(context, section, "throughput-latency", SvgChart.Bars("Turn latency under load (median of runs, min–max)", "milliseconds", ["p50", "p99"], latency));
        var cpu = targets.Select(t => Bar(t.Label, Of(t.Key, r => r.CpuPerThousand))).ToList();
        Report.Chart(context, section, "throughput-cpu", SvgChart.Bars("CPU per 1,000 turns (target process only)", "CPU seconds", ["CPU s / 1,000 turns"], cpu));

        section.Data["runs"] = runs.Select(r => new { r.Key, round = r.Round + 1, r.Wrk, r.CpuSeconds, replies = r.Replies }).ToList();
        section.Data["peakRssMiB"] = targets.Select(t => t.Server).Distinct().ToDictionary(s => s.Process.Name, s => peaks[s]);
    }

    private static BarGroup Bar(string label, Spread spread) => new(label, [spread.Median], [spread.Min], [spread.Max]);

    private static string Percent(Spread s) => new Spread(s.Median * 100, s.Min * 100, s.Max * 100).Format("N0", "%");
}
