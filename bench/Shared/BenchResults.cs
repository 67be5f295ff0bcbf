using System.Text.Json;

namespace PorBot.Bench;

/// <summary>
/// The <c>--json FILE</c> document of a bench program (convention in bench/README.md): the harness
/// (bench/run) renders its tables, charts and targets into bench/results/report.md. Cells are text,
/// formatted by the program; chart values are numbers, one per series, with optional min–max whiskers.
/// Linked into each bench program (bench/Shared has no project of its own).
/// </summary>
internal sealed class BenchResults
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string? Title { get; set; }
    public string? Summary { get; set; }
    public List<BenchTable> Tables { get; } = [];
    public List<BenchChart> Charts { get; } = [];
    public List<BenchTarget> Targets { get; } = [];
    public List<string> Errors { get; } = [];

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>The value after <c>--json</c>, or null.</summary>
    public static string? JsonPath(string[] args) => Array.IndexOf(args, "--json") is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <param name="Align">One letter per column, l or r (default all r).</param>
internal sealed record BenchTable(string? Title, IReadOnlyList<string> Columns, List<IReadOnlyList<string>> Rows, string? Align = null);

internal sealed record BenchChart(string Title, string Unit, IReadOnlyList<string> Series, List<BenchChartGroup> Groups);

internal sealed record BenchChartGroup(string Label, double[] Values, double[]? Min = null, double[]? Max = null);

internal sealed record BenchTarget(string Name, string Target, string Measured, bool Met);
