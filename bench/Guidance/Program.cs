using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PorBot.Bench;
using PorBot.Guidance;
using PorBot.Welcome;

// Answer latency of POR guidance over the labelled question set: the matcher alone, and the matcher plus
// building and serialising the reply card (what a turn does before it calls the connector).
// Usage: dotnet run -c Release --project bench/Guidance [-- --runs 7 --rounds 20] [--json FILE] [--smoke]
// --json writes the results for the harness (bench/README.md); --smoke is a quick run (2 runs × 2 rounds).

var smoke = args.Contains("--smoke");
var runs = IntArg("--runs", smoke ? 2 : 7);
var rounds = IntArg("--rounds", smoke ? 2 : 20);
var jsonPath = BenchResults.JsonPath(args);

#if DEBUG
Console.WriteLine("warning: Debug build; run with -c Release for meaningful figures.");
#endif

var questions = LoadQuestions();
var knowledge = KnowledgeBase.LoadEmbedded();
var matcher = new QuestionMatcher(knowledge);
var cards = new GuidanceCards(knowledge);
var welcome = new WelcomeCards([.. GuidanceBotExtensions.HelpEntries, new HelpEntry("Help", "Shows this card again.", ["help"], Order: 1000)]);

string Answer(string question)
{
    var match = matcher.Match(question);
    var card = match.Decision switch
    {
        MatchDecision.Answer => cards.Entry(match.Best!.Entry),
        MatchDecision.Clarify => cards.Clarify(match.Best!.Entry, match.RunnerUp!.Entry),
        _ => welcome.NotUnderstood(question),
    };
    return card.ToJson();
}

var correct = questions.Count(q => q.Expected == "none"
    ? matcher.Match(q.Q).Decision == MatchDecision.NoMatch
    : matcher.Match(q.Q) is { Decision: not MatchDecision.NoMatch, Best: { } best } && best.Entry.Id == q.Expected);

// Warm-up: JIT, tiering and the first card serialisation are start-up costs, not answer latency.
for (var i = 0; i < 5; i++) foreach (var q in questions) Answer(q.Q);

var matcherRuns = new List<(double Median, double P99)>();
var fullRuns = new List<(double Median, double P99)>();
for (var run = 0; run < runs; run++)
{
    matcherRuns.Add(Measure(q => matcher.Match(q)));
    fullRuns.Add(Measure(q => Answer(q)));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"PorBot guidance answer latency: {questions.Count} labelled questions × {rounds} rounds per run, {runs} runs " +
    $"(top-1 accuracy {(double)correct / questions.Count:P1}, {correct}/{questions.Count})"));
Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} logical CPUs, {RuntimeConfig()}");
Console.WriteLine("Each cell: the median over runs of that run's statistic, with the lowest and highest run in brackets.");
Console.WriteLine();
Console.WriteLine("| path                   | median µs (min–max over runs) | p99 µs (min–max over runs) |");
Console.WriteLine("|------------------------|-------------------------------|----------------------------|");
Row("matcher only", matcherRuns);
Row("matcher + card (JSON)", fullRuns);

if (jsonPath is not null)
{
    var results = new BenchResults
    {
        Title = "Guidance answer latency",
        Summary = string.Create(CultureInfo.InvariantCulture,
            $"The question matcher over the {questions.Count} labelled questions of `tests/PorBot.Tests/Guidance/questions.json`, {rounds} rounds per run, {runs} runs after a warm-up: the matcher alone, and the matcher plus building and serialising the reply card (everything a turn does before it calls the connector). Top-1 accuracy {(double)correct / questions.Count:P1} ({correct}/{questions.Count}). Each cell: the median over runs of that run's figure (min–max)."),
    };
    results.Tables.Add(new BenchTable(null, ["path", "median µs", "p99 µs"],
        [["matcher only", Cell(matcherRuns.Select(r => r.Median)), Cell(matcherRuns.Select(r => r.P99))],
         ["matcher + card (JSON)", Cell(fullRuns.Select(r => r.Median)), Cell(fullRuns.Select(r => r.P99))]], "lrr"));
    results.Charts.Add(new BenchChart("Guidance answer latency (median over runs, min–max)", "microseconds", ["median", "p99"],
        [Group("matcher only", matcherRuns), Group("matcher + card (JSON)", fullRuns)]));
    results.Write(jsonPath);
}

return 0;

static double[] Sorted(IEnumerable<double> xs) => xs.Order().ToArray();

static string Cell(IEnumerable<double> xs)
{
    var sorted = Sorted(xs);
    return string.Create(CultureInfo.InvariantCulture, $"{sorted[sorted.Length / 2]:F1} ({sorted[0]:F1}–{sorted[^1]:F1})");
}

static BenchChartGroup Group(string label, List<(double Median, double P99)> results)
{
    var medians = Sorted(results.Select(r => r.Median));
    var p99s = Sorted(results.Select(r => r.P99));
    return new BenchChartGroup(label, [medians[medians.Length / 2], p99s[p99s.Length / 2]], [medians[0], p99s[0]], [medians[^1], p99s[^1]]);
}

(double Median, double P99) Measure(Action<string> answer)
{
    var samples = new double[questions.Count * rounds];
    var n = 0;
    for (var round = 0; round < rounds; round++)
    {
        foreach (var q in questions)
        {
            var start = Stopwatch.GetTimestamp();
            answer(q.Q);
            samples[n++] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
    }
    Array.Sort(samples);
    return (samples[samples.Length / 2], samples[(int)Math.Ceiling(samples.Length * 0.99) - 1]);
}

void Row(string name, List<(double Median, double P99)> results)
{
    static string Range(IEnumerable<double> xs)
    {
        var sorted = xs.Order().ToArray();
        return string.Create(CultureInfo.InvariantCulture, $"{sorted[sorted.Length / 2],7:F1} ({sorted[0]:F1}–{sorted[^1]:F1})");
    }
    Console.WriteLine($"| {name,-22} | {Range(results.Select(r => r.Median)),-29} | {Range(results.Select(r => r.P99)),-26} |");
}

int IntArg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;
}

static string RuntimeConfig() =>
#if DEBUG
    "Debug";
#else
    "Release";
#endif

static List<LabelledQuestion> LoadQuestions()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var file = Path.Combine(dir.FullName, "tests", "PorBot.Tests", "Guidance", "questions.json");
        if (File.Exists(file))
            return JsonSerializer.Deserialize<List<LabelledQuestion>>(File.ReadAllText(file), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }
    throw new FileNotFoundException("tests/PorBot.Tests/Guidance/questions.json not found above " + AppContext.BaseDirectory);
}

internal sealed record LabelledQuestion(string Q, string Expected);
