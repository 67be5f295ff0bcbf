using System.Globalization;
using System.Text.Json;

namespace PorBot.Bench.Harness;

/// <summary>
/// A bench program (bench/&lt;Name&gt;/*.csproj, a console app) run by the convention of bench/README.md:
/// it accepts <c>--json FILE</c> (write its results in the shape of <see cref="BenchDocument"/>) and
/// <c>--smoke</c> (a run of seconds that proves it still works). The harness renders the document.
/// </summary>
internal static class ProgramBenchmark
{
    /// <summary>Bench programs in the repository, in report order: the issue's order first, then any other.</summary>
    public static IReadOnlyList<string> Discover(string repository)
    {
        string[] infrastructure = ["Harness"];
        string[] order = ["Lookups", "Alerts", "Storage", "Guidance"];
        var found = Directory.GetDirectories(Path.Combine(repository, "bench"))
            .Where(d => Directory.EnumerateFiles(d, "*.csproj").Any())
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => !infrastructure.Contains(name))
            .ToList();
        return [.. found.Where(order.Contains).OrderBy(n => Array.IndexOf(order, n)), .. found.Where(n => !order.Contains(n)).Order(StringComparer.Ordinal)];
    }

    public static async Task RunAsync(BenchContext context, string name, Section section)
    {
        var dll = ProgramDll(context.RepositoryBench(name));
        var json = Path.Combine(context.DataDirectory, name.ToLowerInvariant() + ".json");
        File.Delete(json);
        List<string> arguments = [dll, "--json", json];
        if (context.Options.Smoke) arguments.Add("--smoke");
        var log = context.Log(name.ToLowerInvariant());
        var timeout = context.Options.Smoke ? TimeSpan.FromMinutes(3) : TimeSpan.FromMinutes(60);
        // Run from scratch space: nothing a program writes by accident lands in the repository.
        var exit = await ChildProcess.RunAsync(name, "dotnet", arguments, context.NewScratchDirectory(name.ToLowerInvariant()),
            new Dictionary<string, string?> { ["PORBOT_BENCH_WORK"] = context.Options.WorkDirectory }, log, timeout);

        if (exit != 0) section.Errors.Add($"`dotnet {Path.GetFileName(dll)} {string.Join(' ', arguments.Skip(1))}` exited with {exit}; log: {log}");
        if (!File.Exists(json))
        {
            section.Errors.Add($"bench/{name} wrote no `--json` file: does it follow the convention of bench/README.md? Its output is in {log}");
            return;
        }

        var document = JsonSerializer.Deserialize<BenchDocument>(await File.ReadAllTextAsync(json), JsonSerializerOptions.Web)
            ?? throw new InvalidDataException($"{json} is empty");
        Render(context, name, section, document);
    }

    /// <summary>The program's own assembly (its output folder also holds PorBot.dll, which it references).</summary>
    private static string ProgramDll(string directory)
    {
        var project = Directory.GetFiles(directory, "*.csproj").Single();
        var assemblyName = System.Xml.Linq.XDocument.Load(project).Descendants("AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault(v => v.Length > 0)
            ?? Path.GetFileNameWithoutExtension(project);
        var dll = Path.Combine(directory, "bin", "Release", "net10.0", assemblyName + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build with `dotnet build bench/Harness -c Release` (bench/run does)");
    }

    private static void Render(BenchContext context, string name, Section section, BenchDocument document)
    {
        section.Line($"`bench/{name}` (`--json`{(context.Options.Smoke ? ", `--smoke`" : "")}); its own output is in `logs/{name.ToLowerInvariant()}.log`.");
        section.Line();
        if (document.Summary is { Length: > 0 } summary)
        {
            section.Line(summary);
            section.Line();
        }

        foreach (var table in document.Tables ?? [])
        {
            if (table.Title is { Length: > 0 }) section.Line($"**{table.Title}**\n");
            section.Table(table.Columns, table.Rows, table.Align);
        }

        var charts = document.Charts ?? [];
        for (var i = 0; i < charts.Count; i++)
        {
            var chart = charts[i];
            var series = chart.Series is { Count: > 0 } s ? s : [chart.Unit];
            var groups = chart.Groups.Select(g => new BarGroup(g.Label, g.Values, g.Min, g.Max)).ToList();
            var file = charts.Count == 1 ? name.ToLowerInvariant() : string.Create(CultureInfo.InvariantCulture, $"{name.ToLowerInvariant()}-{i + 1}");
            Report.Chart(context, section, file, SvgChart.Bars(chart.Title, chart.Unit, series, groups));
        }

        foreach (var target in document.Targets ?? []) section.Target(target.Name, target.Target, target.Measured, target.Met);
        section.Errors.AddRange(document.Errors ?? []);
    }
}

/// <summary>What a bench program writes with <c>--json FILE</c> (bench/README.md, "Adding a benchmark").</summary>
internal sealed record BenchDocument(
    string? Title,
    string? Summary,
    List<BenchTable>? Tables,
    List<BenchChart>? Charts,
    List<BenchTarget>? Targets,
    List<string>? Errors);

internal sealed record BenchTable(string? Title, List<string> Columns, List<List<string>> Rows, string? Align);

internal sealed record BenchChart(string Title, string Unit, List<string>? Series, List<BenchChartGroup> Groups);

internal sealed record BenchChartGroup(string Label, double[] Values, double[]? Min, double[]? Max);

internal sealed record BenchTarget(string Name, string Target, string Measured, bool Met);
