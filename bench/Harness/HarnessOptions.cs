using System.Globalization;

namespace PorBot.Bench.Harness;

/// <summary>Command line of the harness; every duration has a full and a smoke default.</summary>
internal sealed record HarnessOptions
{
    public const string Usage = """
        Usage: bench/run [--smoke] [--only NAME,...] [options]
          --smoke             a short run (about a minute) that proves every benchmark still works; figures are rough
          --only NAMES        comma-separated: throughput, lookups, alerts, startup, soak, guidance (or any bench/<Name> program)
          --runs N            measured runs per throughput target (full 5, smoke 1)
          --duration S        seconds per throughput run (full 10, smoke 2)
          --soak S            soak length in seconds (full 600, smoke 20)
          --soak-rate N       soak target rate in turns/s (default 100)
          --records N         registry size for the memory benchmark (full 1000000, smoke 10000)
          --out DIR           where report.md and the charts go (default bench/results)
          --work DIR          cache and scratch folder, outside the repository (default $TMPDIR/porbot-bench)
          --strict            exit 3 when a target is missed (exit 1 is kept for a benchmark that failed)
        """;

    public bool Smoke { get; init; }
    public IReadOnlySet<string>? Only { get; init; }
    public int Runs { get; init; }
    public int DurationSeconds { get; init; }
    public int WarmupSeconds { get; init; }
    public int SoakSeconds { get; init; }
    public int SoakRate { get; init; } = 100;
    public int Records { get; init; }
    public int StartupRuns { get; init; }
    public string? OutDirectory { get; init; }
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "porbot-bench");
    public bool Strict { get; init; }

    public bool Includes(string name) => Only is null || Only.Contains(name);

    /// <returns>Null on a usage error (the message is written to stderr).</returns>
    public static HarnessOptions? Parse(string[] args)
    {
        var smoke = args.Contains("--smoke");
        var options = new HarnessOptions
        {
            Smoke = smoke,
            Runs = smoke ? 1 : 5,
            DurationSeconds = smoke ? 2 : 10,
            WarmupSeconds = smoke ? 1 : 5,
            SoakSeconds = smoke ? 20 : 600,
            Records = smoke ? 10_000 : 1_000_000,
            StartupRuns = smoke ? 2 : 7,
        };

        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            int Number() => int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture) is var n and > 0 ? n : throw new FormatException($"{args[i - 1]} must be positive");
            try
            {
                options = args[i] switch
                {
                    "--smoke" => options,
                    "--strict" => options with { Strict = true },
                    "--only" => options with { Only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).ToHashSet() },
                    "--runs" => options with { Runs = Number() },
                    "--duration" => options with { DurationSeconds = Number() },
                    "--soak" => options with { SoakSeconds = Number() },
                    "--soak-rate" => options with { SoakRate = Number() },
                    "--records" => options with { Records = Number() },
                    "--out" => options with { OutDirectory = Path.GetFullPath(Value()) },
                    "--work" => options with { WorkDirectory = Path.GetFullPath(Value()) },
                    "-h" or "--help" => throw new FormatException(""),
                    _ => throw new FormatException($"unknown argument {args[i]}"),
                };
            }
            catch (FormatException ex)
            {
                if (ex.Message.Length > 0) Console.Error.WriteLine($"bench: {ex.Message}");
                Console.Error.WriteLine(Usage);
                return null;
            }
        }

        return options;
    }
}
