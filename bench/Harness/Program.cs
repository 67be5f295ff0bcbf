using System.Diagnostics;
using PorBot.Bench.Harness;

// PorBot's benchmark harness: runs every benchmark against the Release builds and writes
// bench/results/report.md with an SVG chart per benchmark. Run through bench/run, which builds first.
//
//   bench/run [--smoke] [--only throughput,startup,...]     (options: HarnessOptions.Usage)

var options = HarnessOptions.Parse(args);
if (options is null) return 2;

var context = new BenchContext(options, BenchContext.Locate());
Console.CancelKeyPress += (_, _) => ChildProcess.StopAll();
AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.StopAll();

var programs = ProgramBenchmark.Discover(context.Repository);
var titles = new Dictionary<string, string>
{
    ["Lookups"] = "Lookup and search scaling",
    ["Alerts"] = "Alert fan-out",
    ["Guidance"] = "Guidance answer latency",
    ["Storage"] = "Storage providers: SQLite and Azure Storage (Azurite)",
};
var benchmarks = new List<(string Id, string Title, Func<Section, Task> Run)>
{
    ("throughput", "Turn throughput", s => ThroughputBenchmark.RunAsync(context, s)),
};
foreach (var name in programs.Where(p => p is "Lookups" or "Alerts"))
    benchmarks.Add((name.ToLowerInvariant(), titles[name], s => ProgramBenchmark.RunAsync(context, name, s)));
benchmarks.Add(("startup", "Start-up and memory", s => StartupMemoryBenchmark.RunAsync(context, s)));
benchmarks.Add(("soak", "Soak", s => SoakBenchmark.RunAsync(context, s)));
foreach (var name in programs.Where(p => p is not ("Lookups" or "Alerts")))
    benchmarks.Add((name.ToLowerInvariant(), titles.GetValueOrDefault(name, name), s => ProgramBenchmark.RunAsync(context, name, s)));

var unknown = options.Only?.Except(benchmarks.Select(b => b.Id)).ToList() ?? [];
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"bench: no benchmark named {string.Join(", ", unknown)}; there are {string.Join(", ", benchmarks.Select(b => b.Id))}");
    return 2;
}

var started = Stopwatch.GetTimestamp();
var loadAtStart = BenchContext.LoadAverage();
var sections = new List<Section>();
Console.Error.WriteLine($"bench: {(options.Smoke ? "smoke run" : "full run")}, results in {context.OutDirectory}, work folder {options.WorkDirectory}");
foreach (var (id, title, run) in benchmarks.Where(b => options.Includes(b.Id)))
{
    var section = new Section(id, title) { LoadBefore = BenchContext.LoadAverage() };
    var sectionStarted = Stopwatch.GetTimestamp();
    Console.Error.WriteLine($"bench: {title} (load average {section.LoadBefore})");
    try
    {
        await run(section);
    }
    catch (Exception ex)
    {
        section.Errors.Add($"{ex.GetType().Name}: {ex.Message}");
        Console.Error.WriteLine($"bench: {title} failed: {ex}");
    }
    finally
    {
        ChildProcess.StopAll();
    }

    section.Seconds = Stopwatch.GetElapsedTime(sectionStarted).TotalSeconds;
    section.LoadAfter = BenchContext.LoadAverage();
    sections.Add(section);
    Console.Error.WriteLine(BenchContext.Invariant($"bench: {title} done in {section.Seconds:N0} s{(section.Errors.Count > 0 ? $" with {section.Errors.Count} problem(s)" : "")}"));
}

var report = Report.Write(context, sections, Stopwatch.GetElapsedTime(started), loadAtStart);
try
{
    Directory.Delete(context.RunDirectory, recursive: true);
}
catch (IOException)
{
    // Scratch only; the work folder is outside the repository.
}

Console.WriteLine();
if (options.Smoke) Console.WriteLine("Smoke run: short and rough, so the targets below are indicative only; a full run (bench/run) decides.");
foreach (var target in sections.SelectMany(s => s.Targets))
    Console.WriteLine($"{(target.Met ? "met   " : "MISSED")}  {target.Name}: {target.Measured} (target {target.Target})");
var failed = sections.Where(s => s.Errors.Count > 0).ToList();
foreach (var section in failed) Console.WriteLine($"FAILED  {section.Title}: {string.Join("; ", section.Errors.Take(3))}");
Console.WriteLine(BenchContext.Invariant($"Report: {report} ({Stopwatch.GetElapsedTime(started).TotalSeconds:N0} s)"));
var missed = sections.SelectMany(s => s.Targets).Count(t => !t.Met);
return failed.Count > 0 ? 1 : options.Strict && missed > 0 ? 3 : 0;
