using System.Globalization;
using System.Text;

namespace PorBot.Guidance;

/// <summary>Normalisation, tokenisation and light stemming shared by the index and the queries.</summary>
internal static class TextAnalysis
{
    private static readonly HashSet<string> StopWordSet = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "i", "we", "us", "our", "ours", "ourselves", "me", "my", "you", "your", "they", "them",
        "their", "it", "its", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "doing",
        "done", "have", "has", "had", "to", "of", "in", "on", "at", "for", "with", "by", "from", "as", "and",
        "or", "but", "if", "so", "this", "that", "these", "those", "there", "then", "than", "can", "could",
        "would", "should", "will", "shall", "may", "might", "must", "how", "what", "whats", "which", "when",
        "hi", "hello", "hey", "please", "pls", "thanks", "thank", "just", "about", "into", "over", "any", "some",
        "all", "get", "got", "getting", "gets", "need", "needs", "want", "wants", "wanted", "make", "made",
        "via", "through", "under", "up", "out", "also", "too", "very", "much", "more", "most", "like",
        "microsoft", "ms", "ok", "okay", "doesnt", "dont", "im", "weve", "ive", "cant", "etc", "now", "not",
        "no", "yes", "anything", "something", "here", "else", "theyre", "am",
        "isnt", "arent", "wont", "lets", "let", "such", "each", "every", "own", "go",
        "going", "way", "ways", "thing", "things", "tell", "know", "see", "bit", "really", "actually",
        "currently", "again", "before", "after", "back", "while", "s", "t", "d", "ll", "re", "ve",
    };

    // Latin-1 Supplement and Latin Extended-A (U+00C0–U+017F) without their accents. A table, not
    // string.Normalize(FormD): the app runs with InvariantGlobalization, where that does not decompose.
    private const int FoldStart = 0xC0;
    private static readonly string[] LatinFold = "a|a|a|a|a|a|ae|c|e|e|e|e|i|i|i|i|d|n|o|o|o|o|o| |o|u|u|u|u|y|th|ss|a|a|a|a|a|a|ae|c|e|e|e|e|i|i|i|i|d|n|o|o|o|o|o| |o|u|u|u|u|y|th|y|a|a|a|a|a|a|c|c|c|c|c|c|c|c|d|d|d|d|e|e|e|e|e|e|e|e|e|e|g|g|g|g|g|g|g|g|h|h|h|h|i|i|i|i|i|i|i|i|i|i|ij|ij|j|j|k|k|k|l|l|l|l|l|l|l|l|l|l|n|n|n|n|n|n|n|n|n|o|o|o|o|o|o|oe|oe|r|r|r|r|r|r|s|s|s|s|s|s|s|s|t|t|t|t|t|t|u|u|u|u|u|u|u|u|u|u|u|u|w|w|y|y|y|z|z|z|z|z|z|s".Split('|');

    public static bool IsStopWord(string token) => StopWordSet.Contains(token);

    /// <summary>Lower case, no diacritics, no apostrophes, every other non-alphanumeric run becomes one space.</summary>
    public static string Normalize(string text)
    {
        var folded = new StringBuilder(text.Length);
        foreach (var raw in text)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(raw) == UnicodeCategory.NonSpacingMark) continue;
            // "what's" and "partner’s" should read as one word, not "what s".
            if (raw is '\'' or '\u2019' or '\u2018') continue;
            if (raw >= FoldStart && raw < FoldStart + LatinFold.Length) folded.Append(LatinFold[raw - FoldStart]);
            else folded.Append(char.ToLowerInvariant(raw));
        }
        var chars = folded.ToString();

        var sb = new StringBuilder(chars.Length);
        var pendingSpace = false;
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            // Dotted acronyms: "e.a." is EA and "p.o.r." is POR.
            if (c == '.' && IsSingleLetterAt(chars, i - 1) && IsSingleLetterAt(chars, i + 1)) continue;
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9'))
            {
                if (pendingSpace && sb.Length > 0) sb.Append(' ');
                pendingSpace = false;
                sb.Append(c);
            }
            else
            {
                pendingSpace = true;
            }
        }
        return sb.ToString();
    }

    private static bool IsSingleLetterAt(string text, int index) =>
        index >= 0 && index < text.Length && char.IsLetter(text[index]) &&
        (index == 0 || !char.IsLetterOrDigit(text[index - 1])) &&
        (index == text.Length - 1 || !char.IsLetterOrDigit(text[index + 1]));

    public static string[] Tokenize(string text) =>
        Normalize(text).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>How an alias phrase is looked up: its stemmed tokens, space-separated.</summary>
    public static string AliasKey(string alias) => string.Join(' ', Tokenize(alias).Select(Stem));

    /// <summary>
    /// Deliberately crude suffix stripping: it only has to map a word and its inflections to the same
    /// key, in the index and in the query alike ("partners"/"partner", "changed"/"changes"/"change").
    /// </summary>
    public static string Stem(string token)
    {
        if (token.Length <= 3 || token.Any(char.IsAsciiDigit)) return token;
        var t = token;
        if (t.EndsWith("ies", StringComparison.Ordinal) && t.Length > 4) return t[..^3] + "y";
        if (t.EndsWith("sses", StringComparison.Ordinal)) return t[..^2];
        if (t.EndsWith("ss", StringComparison.Ordinal) || t.EndsWith("us", StringComparison.Ordinal) ||
            t.EndsWith("is", StringComparison.Ordinal)) return t;
        if (t.EndsWith("ing", StringComparison.Ordinal) && t.Length > 5) t = t[..^3];
        else if (t.EndsWith("ed", StringComparison.Ordinal) && t.Length > 4) t = t[..^2];
        else if (t.EndsWith('s') && t.Length > 3) t = t[..^1];
        if (t.EndsWith('e') && t.Length > 4) t = t[..^1];
        return t;
    }

    /// <summary>Optimal-string-alignment Damerau-Levenshtein distance, giving up once it exceeds <paramref name="max"/>.</summary>
    public static int BoundedEditDistance(string a, string b, int max)
    {
        if (Math.Abs(a.Length - b.Length) > max) return max + 1;
        Span<int> prev2 = stackalloc int[b.Length + 1];
        Span<int> prev = stackalloc int[b.Length + 1];
        Span<int> cur = stackalloc int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            var rowMin = cur[0];
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var v = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = Math.Min(v, prev2[j - 2] + 1);
                cur[j] = v;
                rowMin = Math.Min(rowMin, v);
            }
            if (rowMin > max) return max + 1;
            var tmp = prev2;
            prev2 = prev;
            prev = cur;
            cur = tmp;
        }
        return prev[b.Length];
    }
}
