using System.Globalization;

// Alert fan-out benchmark: a real SQLite outbox filled through ClaimService, delivered by the real worker to a
// loopback connector that enforces Teams' limits itself (429 + Retry-After). Prints a markdown table.
//
//   dotnet run -c Release --project bench/Alerts -- [--tenants 10] [--conversations 50] [--alerts 20] [--runs 3] [--work DIR]
//   dotnet run -c Release --project bench/Alerts -- --smoke      # a few seconds: 2 × 30 × 2, one run
//   --set Alerts:MaxParallelSends=32 (any configuration key of the bot, repeatable)
//   --json FILE   also writes the results for the harness (bench/run; convention in bench/README.md)

namespace PorBot.Bench.Alerts;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var shape = new FanOutShape(Tenants: 10, Conversations: 50, AlertsPerConversation: 20);
        var runs = 3;
        var work = Path.Combine(Path.GetTempPath(), "porbot-bench-alerts");
        var settings = new Dictionary<string, string?>();
        string? jsonPath = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--tenants": shape = shape with { Tenants = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                case "--conversations": shape = shape with { Conversations = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                case "--alerts": shape = shape with { AlertsPerConversation = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--work": work = args[++i]; break;
                case "--set" when args[i + 1].Split('=', 2) is [var key, var value]: settings[key] = value; i++; break;
                case "--smoke": shape = FanOutReport.SmokeShape; runs = 1; break;
                case "--json": jsonPath = args[++i]; break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }

        var results = new List<FanOutResult>();
        for (var run = 1; run <= runs; run++)
        {
            Console.Error.WriteLine($"== run {run}/{runs}: {shape.Tenants} tenants × {shape.Conversations} conversations × {shape.AlertsPerConversation} alerts (load average {FanOutReport.LoadAverage()})");
            var result = await FanOutBenchmark.RunAsync(shape, work, Console.Error, timeout: TimeSpan.FromMinutes(10), settings);
            Console.Error.WriteLine($"   {result.AchievedRate:N1}/s of {result.AllowedRate:N1}/s allowed, p99 {result.P99.TotalSeconds:N2} s, {result.Throttled} × 429, {result.CpuMsPerAlert:N2} ms CPU per alert");
            results.Add(result);
        }

        var table = FanOutReport.Table(shape, results);
        Console.WriteLine(table);
        if (jsonPath is not null) FanOutReport.Results(shape, results, table).Write(jsonPath);
        return 0;
    }
}
