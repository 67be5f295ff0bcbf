using System.Text;
using System.Text.Json;
using PorBot.Protocol.Cards;
using Xunit;

namespace PorBot.Testing;

public sealed record CardValidationIssue(string Code, string Where, string Message)
{
    public override string ToString() => $"[{Code}] ({Where}) {Message}";
}

public sealed record CardValidationResult(
    string Name, bool IsValid, IReadOnlyList<CardValidationIssue> Errors, IReadOnlyList<CardValidationIssue> Warnings)
{
    public override string ToString() =>
        $"{Name}: {(IsValid ? "OK" : "INVALID")}" + string.Concat(Errors.Select(e => "\n  error: " + e)) +
        string.Concat(Warnings.Select(w => "\n  warning: " + w));
}

/// <summary>
/// Validates card JSON with <c>tests/tools/validate-card.js</c>: the official adaptivecards SDK for a 1.5 host
/// (Teams), the schema's required properties, the 1.5 JSON schema (with Teams' <c>msteams</c> allowed), and
/// Teams limits. Validate many cards in one call: each call starts node.
/// </summary>
public static class CardValidator
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static async Task<CardValidationResult> ValidateAsync(string cardJson, string name = "card") =>
        (await ValidateAsync([(name, cardJson)]))[0];

    public static async Task<IReadOnlyList<CardValidationResult>> ValidateAsync(IReadOnlyList<(string Name, string Json)> cards)
    {
        ArgumentNullException.ThrowIfNull(cards);
        if (cards.Count == 0) return [];
        var dir = Directory.CreateTempSubdirectory("porbot-cards-").FullName;
        try
        {
            var files = new List<string>();
            for (var i = 0; i < cards.Count; i++)
            {
                var file = Path.Combine(dir, $"{i:D3}-{SafeFileName(cards[i].Name)}.json");
                await File.WriteAllTextAsync(file, cards[i].Json, Encoding.UTF8);
                files.Add(file);
            }

            var run = await NodeTools.RunScriptAsync("validate-card.js", ["--json", .. files], Timeout);
            // Exit 1 just means "some card is invalid"; anything else is a broken harness.
            if (run.ExitCode is not (0 or 1 or 2) || string.IsNullOrWhiteSpace(run.StdOut))
            {
                throw new InvalidOperationException($"validate-card.js failed ({run.ExitCode}):\n{run.StdErr}\n{run.StdOut}");
            }
            return Parse(run.StdOut, cards);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static Task<IReadOnlyList<CardValidationResult>> ValidateAsync(params IEnumerable<(string Name, AdaptiveCard Card)> cards) =>
        ValidateAsync(cards.Select(c => (c.Name, c.Card.ToJson())).ToList());

    /// <summary>Fails the test with the validator's findings unless every card is valid.</summary>
    public static async Task AssertValidAsync(IReadOnlyList<(string Name, string Json)> cards)
    {
        var results = await ValidateAsync(cards);
        var invalid = results.Where(r => !r.IsValid).ToList();
        if (invalid.Count > 0)
        {
            Assert.Fail($"{invalid.Count} of {results.Count} card(s) are invalid:\n" + string.Join("\n", invalid));
        }
    }

    public static Task AssertValidAsync(string cardJson, string name = "card") => AssertValidAsync([(name, cardJson)]);

    public static Task AssertValidAsync(params IEnumerable<(string Name, AdaptiveCard Card)> cards) =>
        AssertValidAsync(cards.Select(c => (c.Name, c.Card.ToJson())).ToList());

    public static Task AssertValidAsync(AdaptiveCard card, string name = "card") => AssertValidAsync([(name, card.ToJson())]);

    private static List<CardValidationResult> Parse(string stdout, IReadOnlyList<(string Name, string Json)> cards)
    {
        using var doc = JsonDocument.Parse(stdout);
        var files = doc.RootElement.GetProperty("files");
        if (files.GetArrayLength() != cards.Count)
        {
            throw new InvalidOperationException($"validate-card.js returned {files.GetArrayLength()} results for {cards.Count} cards:\n{stdout}");
        }
        return files.EnumerateArray().Select((f, i) => new CardValidationResult(
            cards[i].Name,
            f.GetProperty("valid").GetBoolean(),
            Issues(f.GetProperty("errors")),
            Issues(f.GetProperty("warnings")))).ToList();
    }

    private static List<CardValidationIssue> Issues(JsonElement array) =>
        array.EnumerateArray().Select(e => new CardValidationIssue(
            e.GetProperty("code").GetString() ?? "",
            e.GetProperty("where").GetString() ?? "",
            e.GetProperty("message").GetString() ?? "")).ToList();

    private static string SafeFileName(string name)
    {
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        return safe.Length > 40 ? safe[..40] : safe;
    }
}

/// <summary>A PNG written by <see cref="CardRenderer"/>, with its pixel size.</summary>
public sealed record RenderedCard(string Path, int Width, int Height);

/// <summary>Renders a card to PNG with <c>tests/tools/render-card.js</c> (adaptivecards SDK in headless chromium).</summary>
public static class CardRenderer
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    public static async Task<RenderedCard> RenderPngAsync(string cardJson, string outPath, int width = 520)
    {
        var dir = Directory.CreateTempSubdirectory("porbot-render-").FullName;
        try
        {
            var cardFile = Path.Combine(dir, "card.json");
            await File.WriteAllTextAsync(cardFile, cardJson, Encoding.UTF8);
            var fullOut = Path.GetFullPath(outPath);
            var run = await NodeTools.RunScriptAsync(
                "render-card.js", [cardFile, fullOut, width.ToString(System.Globalization.CultureInfo.InvariantCulture)], Timeout);
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"render-card.js failed ({run.ExitCode}):\n{run.StdErr}\n{run.StdOut}");
            }
            var (w, h) = ReadPngSize(fullOut);
            return new RenderedCard(fullOut, w, h);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static Task<RenderedCard> RenderPngAsync(AdaptiveCard card, string outPath, int width = 520) =>
        RenderPngAsync(card.ToJson(), outPath, width);

    private static (int Width, int Height) ReadPngSize(string path)
    {
        Span<byte> header = stackalloc byte[24];
        using (var file = File.OpenRead(path)) file.ReadExactly(header);
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (!header[..8].SequenceEqual(signature)) throw new InvalidDataException($"{path} is not a PNG");
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[16..20]),
                System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[20..24]));
    }
}
