using System.Diagnostics;

namespace PorBot.Bench.Harness;

/// <summary>
/// Soak: a fixed moderate rate of mixed turns for a long time (10 minutes; seconds in smoke), sampling RSS
/// every second. Targets: no error at all, and RSS growth under 10% from minute 2 to the end (in a shorter
/// soak, from the same fraction of the run, a fifth).
/// </summary>
internal static class SoakBenchmark
{
    private const double GrowthTarget = 0.10;

    // What people send: help, lookups by domain, name and partner id, a partner search, POR questions.
    private static readonly string[] Mix =
    [
        "help",
        "lookup adventure-works.com",
        "who is the partner of record for an EA subscription?",
        "lookup Woodgrove Bank",
        "mpn 4412345",
        "how do I change the partner of record?",
        "partner Fabrikam",
        "lookup tailspintoys.com",
    ];

    public static async Task RunAsync(BenchContext context, Section section)
    {
        Wrk.EnsureInstalled();
        var options = context.Options;
        var seconds = options.SoakSeconds;
        // One connection per 10 turns/s, each pausing 100 ms between turns: a steady rate, not a flat-out one.
        var connections = Math.Max(1, options.SoakRate / 10);
        const int delayMs = 100;

        using var connector = await Servers.StartConnectorAsync(context, "fake-connector-soak");
        using var bot = Servers.StartPorBot(context, "porbot-soak", context.NewScratchDirectory("soak"));
        await bot.WaitReadyAsync(Stopwatch.GetTimestamp(), "/healthz", TimeSpan.FromSeconds(60));
        var textsFile = Path.Combine(context.RunDirectory, "soak-mix.txt");
        await File.WriteAllLinesAsync(textsFile, Mix);

        // Warm-up first (JIT, tiering, pools), as the other benchmarks do: growth should measure leaks, not start-up.
        var mixLoad = new TurnLoad(TextsFile: textsFile, Tenant: ThroughputBenchmark.ContosoTenant);
        await Wrk.RunAsync(context, bot.MessagesUrl, connector.BaseUrl + "/", mixLoad, options.WarmupSeconds, 32, "wrk-soak-warmup");
        await Task.Delay(300);
        var warmup = await connector.StatsAsync();

        var cpuBefore = bot.Process.CpuSeconds();
        var started = Stopwatch.GetTimestamp();
        var load = Wrk.RunAsync(context, bot.MessagesUrl, connector.BaseUrl + "/", mixLoad with { DelayMs = delayMs },
            seconds, connections, "wrk-soak", threads: 1);
        var samples = new List<(double Seconds, double RssMiB, long Replies)>();
        while (!load.IsCompleted)
        {
            await Task.WhenAny(load, Task.Delay(1000));
            if (bot.Process.HasExited) break;
            samples.Add((Stopwatch.GetElapsedTime(started).TotalSeconds, bot.Process.RssBytes() / 1048576.0, (await connector.StatsAsync()).Messages));
        }

        var wrk = await load;
        await Task.Delay(300);
        var replies = await connector.StatsAsync() - warmup;
        var cpu = bot.Process.CpuSeconds() - cpuBefore;

        // Baseline at minute 2 of 10 (a fifth of the run), end at the last samples; each a mean over a short window.
        var window = Math.Max(2, seconds / 40.0);
        var baselineAt = seconds / 5.0;
        double Mean(double from, double to) => samples.Where(s => s.Seconds >= from && s.Seconds < to).Select(s => s.RssMiB).DefaultIfEmpty(double.NaN).Average();
        var baseline = Mean(baselineAt, baselineAt + window);
        var end = Mean(seconds - window, seconds + 5);
        var growth = (end - baseline) / baseline;
        var errors = wrk.Errors.Total + Math.Max(0, wrk.Requests - replies.Messages) + replies.Apologies;

        section.Line($"{seconds / 60.0:N1} minutes of a steady mix of {Mix.Length} kinds of turn ({string.Join(", ", Mix.Select(m => $"`{m}`"))}) from 64 users of Contoso: wrk with {connections} connections, each pausing {delayMs} ms between turns (about {options.SoakRate} turns/s); RSS (VmRSS) sampled every second, after a {options.WarmupSeconds} s flat-out warm-up with the same mix.");
        section.Line();
        section.Table(["figure", "value"],
        [
            ["turns", wrk.Requests.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)],
            ["rate achieved", BenchContext.Invariant($"{wrk.RequestsPerSecond:N1} turns/s")],
            ["latency p50 / p99", BenchContext.Invariant($"{wrk.P50Us / 1000.0:N1} / {wrk.P99Us / 1000.0:N1} ms")],
            ["errors (wrk, turns without reply, apologies)", BenchContext.Invariant($"{wrk.Errors}, {Math.Max(0, wrk.Requests - replies.Messages)}, {replies.Apologies}")],
            ["typing indicators sent", replies.Typing.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)],
            ["CPU", BenchContext.Invariant($"{cpu:N1} s ({cpu / seconds * 100:N0}% of one core; {cpu / Math.Max(1, wrk.Requests) * 1000:N3} s per 1,000 turns)")],
            [BenchContext.Invariant($"RSS at {baselineAt:N0} s (mean of {window:N0} s)"), BenchContext.Invariant($"{baseline:N1} MiB")],
            [BenchContext.Invariant($"RSS at the end (mean of the last {window:N0} s)"), BenchContext.Invariant($"{end:N1} MiB")],
            ["RSS growth", BenchContext.Invariant($"{growth * 100:N1}%")],
            ["peak RSS (VmHWM)", BenchContext.Invariant($"{bot.Process.PeakRssBytes() / 1048576.0:N0} MiB")],
        ], "lr");
        section.Target("Soak: errors", "zero", errors.ToString(System.Globalization.CultureInfo.InvariantCulture), errors == 0);
        section.Target("Soak: RSS growth", BenchContext.Invariant($"< 10% from {baselineAt:N0} s to the end"), BenchContext.Invariant($"{growth * 100:N1}%"), growth < GrowthTarget);
        if (errors > 0) section.Errors.Add($"soak: {errors} errors (wrk {wrk.Errors}; turns without reply {Math.Max(0, wrk.Requests - replies.Messages)}; apologies {replies.Apologies})");

        Report.Chart(context, section, "soak", SvgChart.Lines($"Soak: PorBot RSS at ~{options.SoakRate} turns/s", "seconds", "RSS MiB",
            [new LineSeries("RSS (MiB)", samples.Select(s => (s.Seconds, s.RssMiB)).ToList())],
            [(baselineAt, "baseline"), (seconds - window, "end window")]));
        section.Data["samples"] = samples.Select(s => new { s.Seconds, s.RssMiB, s.Replies }).ToList();
        section.Data["wrk"] = wrk;
        section.Data["growth"] = growth;
    }
}
