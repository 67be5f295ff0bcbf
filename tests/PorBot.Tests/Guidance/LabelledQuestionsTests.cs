using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PorBot.Guidance;
using PorBot.Testing;
using Xunit.Abstractions;

namespace PorBot.Tests.Guidance;

public sealed class LabelledQuestionsTests(ITestOutputHelper output)
{
    private const string NoneLabel = "none";
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    internal sealed record LabelledQuestion(string Q, string Expected, string[] Tags);

    internal static IReadOnlyList<LabelledQuestion> LoadQuestions(string file = "questions.json")
    {
        var json = File.ReadAllText(RepoPaths.Combine("tests", "PorBot.Tests", "Guidance", file));
        return JsonSerializer.Deserialize<List<LabelledQuestion>>(json, WebJson)!;
    }

    internal static bool IsCorrect(MatchResult result, string expected) =>
        expected == NoneLabel
            ? result.Decision == MatchDecision.NoMatch
            : result.Decision != MatchDecision.NoMatch && result.Best!.Entry.Id == expected;

    [Fact]
    public void LabelledSet_IsLargeVariedAndLabelledWithKnownTopics()
    {
        var questions = LoadQuestions();
        var knowledge = GuidanceFixture.Knowledge;

        Assert.True(questions.Count >= 130, $"only {questions.Count} labelled questions");
        Assert.True(questions.Count(q => q.Expected == NoneLabel) >= 20, "fewer than 20 out-of-scope questions");
        Assert.All(questions, q => Assert.True(q.Expected == NoneLabel || knowledge.Find(q.Expected) is not null, $"unknown label '{q.Expected}'"));
        Assert.Equal(questions.Count, questions.Select(q => q.Q).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        // Every entry a user can reach is exercised by at least one question.
        Assert.All(knowledge.Entries, e => Assert.Contains(questions, q => q.Expected == e.Id));
    }

    [Fact]
    public void LabelledSet_TopOneAccuracy_IsAtLeast95Percent()
    {
        var (accuracy, report) = Evaluate("questions.json");
        output.WriteLine(report);
        Assert.True(accuracy >= 0.95, report);
    }

    /// <summary>
    /// questions-holdout.json was written after the matcher was tuned on questions.json and has never
    /// been tuned against: it estimates accuracy on wording nobody has seen. Its floor is lower on purpose;
    /// misses there are for improving the knowledge base's phrasings, not for special-casing.
    /// </summary>
    [Fact]
    public void HoldoutSet_TopOneAccuracy_StaysAboveRegressionFloor()
    {
        var (accuracy, report) = Evaluate("questions-holdout.json");
        output.WriteLine(report);
        Assert.True(accuracy >= 0.80, report);
    }

    private static (double Accuracy, string Report) Evaluate(string file)
    {
        var matcher = GuidanceFixture.Matcher;
        var questions = LoadQuestions(file);
        var misses = new List<(LabelledQuestion Question, MatchResult Result)>();
        var clarified = new List<(LabelledQuestion Question, MatchResult Result)>();
        foreach (var q in questions)
        {
            var result = matcher.Match(q.Q);
            if (!IsCorrect(result, q.Expected)) misses.Add((q, result));
            else if (result.Decision == MatchDecision.Clarify) clarified.Add((q, result));
        }

        var accuracy = (double)(questions.Count - misses.Count) / questions.Count;
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"{file}: top-1 accuracy {accuracy:P1} ({questions.Count - misses.Count}/{questions.Count}); of the hits, {clarified.Count} asked to clarify (best + runner-up shown)");
        AppendTable(report, "Misses", misses);
        AppendTable(report, "Correct but clarify", clarified);
        return (accuracy, report.ToString());
    }

    private static void AppendTable(StringBuilder report, string title, List<(LabelledQuestion Question, MatchResult Result)> rows)
    {
        if (rows.Count == 0) return;
        report.AppendLine(title + ":");
        report.AppendLine("| question | expected | got | decision | score | runner-up |");
        report.AppendLine("|---|---|---|---|---|---|");
        foreach (var (q, r) in rows)
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {q.Q} | {q.Expected} | {r.Best?.Entry.Id ?? "-"} | {r.Decision} | {r.Best?.Score:F2} | {r.RunnerUp?.Entry.Id} {r.RunnerUp?.Score:F2} |");
        }
    }

    [Fact]
    public void LabelledSet_MatchLatency_IsReported()
    {
        // Measured and printed for the report; not asserted, since shared CI machines are noisy.
        var matcher = GuidanceFixture.Matcher;
        var questions = LoadQuestions().Select(q => q.Q).ToArray();
        foreach (var q in questions) matcher.Match(q);

        var samples = new List<double>();
        for (var round = 0; round < 20; round++)
        {
            foreach (var q in questions)
            {
                var start = Stopwatch.GetTimestamp();
                matcher.Match(q);
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
        }
        samples.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Match latency over {samples.Count} matches: median {samples[samples.Count / 2]:F1} µs, p99 {samples[(int)(samples.Count * 0.99)]:F1} µs, max {samples[^1]:F1} µs"));
        Assert.Equal(questions.Length * 20, samples.Count);
    }
}
