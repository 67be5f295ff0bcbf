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

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static void Row(StringBuilder text, string name, IEnumerable<double> values, string format, string unit)
    {
        var sorted = values.Order().ToList();
        var median = sorted[sorted.Count / 2];
        text.Append(CultureInfo.InvariantCulture, $"| {name} | {median.ToString(format, CultureInfo.InvariantCulture)}{unit} ({sorted[0].ToString(format, CultureInfo.InvariantCulture)}–{sorted[^1].ToString(format, CultureInfo.InvariantCulture)}) |\n");
    }
}
