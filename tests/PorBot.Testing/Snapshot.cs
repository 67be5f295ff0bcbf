using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace PorBot.Testing;

/// <summary>
/// Compares JSON with a committed snapshot in <c>tests/{test project}/Snapshots/{name}.json</c>, pretty-printed
/// so a diff reads well. On a mismatch it writes <c>{name}.received.json</c> next to it and fails. A missing
/// snapshot is written and the test fails once, so every new snapshot gets looked at. Set
/// <c>UPDATE_SNAPSHOTS=1</c> to accept the current output.
/// </summary>
public static class Snapshot
{
    private static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        NewLine = "\n",
        // Snapshots are read by people: keep <at>, &, ' and non-ASCII text as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Directory { get; } = Path.Combine(FindTestProjectDirectory(), "Snapshots");

    public static void Match(string name, string json)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(json);
        var expectedPath = Path.Combine(Directory, name + ".json");
        var receivedPath = Path.Combine(Directory, name + ".received.json");
        var received = Normalize(json);
        var update = Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1";

        if (update || !File.Exists(expectedPath))
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllText(expectedPath, received);
            File.Delete(receivedPath);
            if (!update) Assert.Fail($"New snapshot written to {expectedPath}; review it, commit it and run again.");
            return;
        }

        var expected = File.ReadAllText(expectedPath).ReplaceLineEndings("\n");
        if (expected == received)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received);
        Assert.Fail($"Snapshot {name} differs ({FirstDifference(expected, received)}).\n" +
            $"  expected: {expectedPath}\n  received: {receivedPath}\n" +
            "Run with UPDATE_SNAPSHOTS=1 to accept the received output.");
    }

    /// <summary>Same JSON in, same text out: re-indented, property order kept (it is part of the wire format).</summary>
    public static string Normalize(string json) =>
        (JsonNode.Parse(json) ?? throw new ArgumentException("null is not a snapshot", nameof(json))).ToJsonString(Pretty) + "\n";

    private static string FirstDifference(string expected, string received)
    {
        var e = expected.Split('\n');
        var r = received.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, r.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end>";
            var rl = i < r.Length ? r[i] : "<end>";
            if (el != rl) return $"line {i + 1}: expected `{el.Trim()}`, received `{rl.Trim()}`";
        }
        return "whitespace only";
    }

    // The test binaries live under the test project (tests/X/bin/...), so the first folder up with a .csproj is it.
    private static string FindTestProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (dir.EnumerateFiles("*.csproj").Any()) return dir.FullName;
        }
        throw new InvalidOperationException("No test project folder (with a .csproj) above " + AppContext.BaseDirectory);
    }
}
