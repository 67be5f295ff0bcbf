using System.Globalization;
using System.Text;

namespace PorBot.Bench.Harness;

/// <summary>Where things are and what every benchmark shares: options, paths to the Release builds, the output folders.</summary>
internal sealed class BenchContext
{
    public BenchContext(HarnessOptions options, string repository)
    {
        Options = options;
        Repository = repository;
        OutDirectory = options.OutDirectory ?? Path.Combine(repository, "bench", "results");
        LogDirectory = Path.Combine(OutDirectory, "logs");
        DataDirectory = Path.Combine(OutDirectory, "data");
        RunDirectory = Path.Combine(options.WorkDirectory, $"run-{Environment.ProcessId}");
        Directory.CreateDirectory(LogDirectory);
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(RunDirectory);
    }

    public HarnessOptions Options { get; }
    public string Repository { get; }
    public string OutDirectory { get; }
    public string LogDirectory { get; }
    public string DataDirectory { get; }

    /// <summary>Scratch space of this harness run (bot content roots, databases): deleted at the end.</summary>
    public string RunDirectory { get; }

    /// <summary>Figures one benchmark leaves for another (peak RSS of the throughput run for the memory table).</summary>
    public Dictionary<string, double> Shared { get; } = [];

    public string PorBotDll => Built(Path.Combine("src", "PorBot"), "PorBot.dll");
    public string PorBotOutput => Path.GetDirectoryName(PorBotDll)!;
    public string FakeConnectorDll => Built(Path.Combine("bench", "tools", "FakeConnector"), "PorBot.Bench.FakeConnector.dll");
    public string CeilingDll => Built(Path.Combine("bench", "tools", "Ceiling"), "PorBot.Bench.Ceiling.dll");
    public string PeerDirectory => Path.Combine(Repository, "bench", "tools", "peer");
    public string RepositoryBench(string name) => Path.Combine(Repository, "bench", name);
    public string WrkScript => Path.Combine(Repository, "bench", "tools", "wrk", "turns.lua");

    public string Built(string projectDirectory, string dll)
    {
        var path = Path.Combine(Repository, projectDirectory, "bin", "Release", "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build with `dotnet build bench/Harness -c Release` (bench/run does)");
    }

    public string NewScratchDirectory(string prefix)
    {
        var path = Path.Combine(RunDirectory, $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)]);
        Directory.CreateDirectory(path);
        return path;
    }

    public string Log(string name) => Path.Combine(LogDirectory, name + ".log");

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PorBot.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("PorBot.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One section of the report: what a benchmark measured, its targets, and what went wrong.</summary>
internal sealed class Section(string id, string title)
{
    public string Id { get; } = id;
    public string Title { get; } = title;
    public StringBuilder Body { get; } = new();
    public List<TargetResult> Targets { get; } = [];
    public List<string> Errors { get; } = [];
    public List<string> Notes { get; } = [];
    public Dictionary<string, object> Data { get; } = [];
    public string LoadBefore { get; set; } = "";
    public string LoadAfter { get; set; } = "";
    public double Seconds { get; set; }
    public bool Skipped { get; set; }

    public void Line(FormattableString text) => Body.AppendLine(text.ToString(CultureInfo.InvariantCulture));
    public void Line(string text = "") => Body.AppendLine(text);

    public void Table(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows, string? alignment = null)
    {
        Body.AppendLine("| " + string.Join(" | ", columns) + " |");
        Body.AppendLine("|" + string.Concat((alignment ?? new string('r', columns.Count)).Select(a => a == 'l' ? "---|" : "---:|")));
        foreach (var row in rows) Body.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        Body.AppendLine();
    }

    public void Target(string name, string target, string measured, bool met) => Targets.Add(new TargetResult(name, target, measured, met));
}

internal sealed record TargetResult(string Name, string Target, string Measured, bool Met);

/// <summary>Median with the lowest and highest run: the one way every figure is reported.</summary>
internal readonly record struct Spread(double Median, double Min, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return new Spread(double.NaN, double.NaN, double.NaN);
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return new Spread(median, sorted[0], sorted[^1]);
    }

    /// <summary>"median (min–max)", or just the figure when there was one run; <paramref name="unit"/> follows the median and the max.</summary>
    public string Format(string format, string unit = "")
    {
        string N(double value) => value.ToString(format, CultureInfo.InvariantCulture);
        return Min == Max ? N(Median) + unit : $"{N(Median)}{unit} ({N(Min)}–{N(Max)}{unit})";
    }
}
