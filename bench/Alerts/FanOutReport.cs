using System.Globalization;
using System.Text;

namespace PorBot.Bench.Alerts;

public static class FanOutReport
{
    /// <summary>Small enough for seconds, big enough that a tenant's 50/s binds (60 sends in each tenant).</summary>
    public static readonly FanOutShape SmokeShape = new(Tenants: 2, Conversations: 30, AlertsPerConversation: 2);

    /// <summary>Each figure is the median over runs, with the lowest and highest run in brackets.</summary>
    public static string Table(FanOutShape shape, IReadOnlyList<FanOutResult> runs)
    {
        var first = runs[0];
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, load average {LoadAverage()}; ");
        text.Append(CultureInfo.InvariantCulture, $"{shape.Tenants} tenants × {shape.Conversations} conversations × {shape.AlertsPerConversation} alerts = {shape.Alerts:N0} alerts ({shape.Conflicts} conflicts), {runs.Count} run(s).\n\n");
        text.Append("| figure | median (min–max over runs) |\n|---|---:|\n");
        text.Append(CultureInfo.InvariantCulture, $"| allowed rate (ideal schedule: {first.IdealSeconds:N1} s first to last send) | {first.AllowedRate:N1}/s |\n");
        Row(text, "achieved rate (first to last accepted send)", runs.Select(r => r.AchievedRate), "N1", "/s");
        Row(text, "achieved, % of allowed", runs.Select(r => r.PercentOfAllowed), "N1", "%");
        Row(text, "time to deliver p50 (queued or worker start → delivered)", runs.Select(r => r.P50.TotalSeconds), "N2", " s");
        Row(text, "time to deliver p99", runs.Select(r => r.P99.TotalSeconds), "N2", " s");
        Row(text, "time to deliver, last alert", runs.Select(r => r.Last.TotalSeconds), "N2", " s");
        Row(text, "CPU per alert (bot + limit server, whole process)", runs.Select(r => r.CpuMsPerAlert), "N2", " ms");
        Row(text, "429s answered by the limit server", runs.Select(r => (double)r.Throttled), "N0", "");
        return text.ToString();
    }

    /// <summary>The harness's document: the same table, a chart of the rates, and the issue's target (≥ 90% of the allowed rate).</summary>
    internal static BenchResults Results(FanOutShape shape, IReadOnlyList<FanOutResult> runs, string table)
    {
        static double Median(IEnumerable<double> values) { var s = values.Order().ToList(); return s[s.Count / 2]; }
        var percent = runs.Select(r => r.PercentOfAllowed).ToList();
        var achieved = runs.Select(r => r.AchievedRate).ToList();
        var lines = table.Split('\n');
        var rows = lines.Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| figure", StringComparison.Ordinal))
            .Select(l => (IReadOnlyList<string>)l.Trim('|', ' ').Split(" | ").Select(c => c.Trim()).ToList()).ToList();
        var results = new BenchResults
        {
            Title = "Alert fan-out",
            Summary = lines[0] + " A real SQLite outbox filled through ClaimService, delivered by the real worker to a loopback connector " +
                      "that enforces Teams' limits itself (429 + Retry-After); the allowed rate comes from an ideal schedule under the same limits.",
        };
        results.Tables.Add(new BenchTable(null, ["figure", "median (min–max over runs)"], rows, "lr"));
        results.Charts.Add(new BenchChart("Alert fan-out rate", "alerts per second", ["allowed", "achieved"],
            [new BenchChartGroup($"{shape.Alerts:N0} alerts", [runs[0].AllowedRate, Median(achieved)], [runs[0].AllowedRate, achieved.Min()], [runs[0].AllowedRate, achieved.Max()])]));
        var measured = Median(percent);
        results.Targets.Add(new BenchTarget("Alerts: achieved rate", "≥ 90% of the allowed rate",
            $"{measured.ToString("N1", CultureInfo.InvariantCulture)}% ({percent.Min().ToString("N1", CultureInfo.InvariantCulture)}–{percent.Max().ToString("N1", CultureInfo.InvariantCulture)}%)", measured >= 90));
        return results;
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static void Row(StringBuilder text, string name, IEnumerable<double> values, string format, string unit)
    {
        var sorted = values.Order().ToList();
        var median = sorted[sorted.Count / 2];
        text.Append(CultureInfo.InvariantCulture, $"| {name} | {median.ToString(format, CultureInfo.InvariantCulture)}{unit} ({sorted[0].ToString(format, CultureInfo.InvariantCulture)}–{sorted[^1].ToString(format, CultureInfo.InvariantCulture)}) |\n");
    }
}
