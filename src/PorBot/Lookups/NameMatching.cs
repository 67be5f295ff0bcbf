using System.Text;

namespace PorBot.Lookups;

/// <summary>
/// How well a name matches a query, the same for every registry adapter: 4.x exact name, 3.x name
/// starts with the query, 2.x every query word starts a word of the name, 1.x the name contains the
/// query, 0.x the same with small typos; null for no match. The fraction rewards names close in length
/// to the query, so "Contoso" ranks above "Contoso Pharmaceuticals International".
/// </summary>
internal sealed class ScoredQuery(string text, IReadOnlyList<string> tokens)
{
    private readonly string _key = string.Join(' ', tokens);
    private readonly string _folded = NameText.Fold(text);

    public double? Score(string name)
    {
        var nameTokens = NameText.Tokens(name);
        var nameKey = string.Join(' ', nameTokens);
        var closeness = 0.999 * _key.Length / Math.Max(_key.Length, nameKey.Length);
        if (nameKey == _key) return 4 + closeness;
        if (nameKey.StartsWith(_key, StringComparison.Ordinal)) return 3 + closeness;
        if (tokens.All(t => nameTokens.Any(n => n.StartsWith(t, StringComparison.Ordinal)))) return 2 + closeness;
        if (NameText.Fold(NameText.CollapseWhitespace(name)).Contains(_folded, StringComparison.Ordinal)) return 1 + closeness;

        var typos = 0;
        for (var i = 0; i < tokens.Count; i++)
        {
            var best = BestDistance(tokens[i], nameTokens, isLast: i == tokens.Count - 1);
            if (best is null) return null;
            typos += best.Value;
        }

        return closeness / (1 + typos);
    }

    // 0 when a name word starts with the token; else the smallest edit distance within the allowance,
    // comparing the last token also with word beginnings (it may be half typed).
    private static int? BestDistance(string token, IReadOnlyList<string> nameTokens, bool isLast)
    {
        var max = NameText.AllowedTypos(token.Length);
        int? best = null;
        foreach (var word in nameTokens)
        {
            if (word.StartsWith(token, StringComparison.Ordinal)) return 0;
            if (max == 0) continue;
            var distance = NameText.Distance(token, word, max);
            if (isLast && word.Length > token.Length) distance = Math.Min(distance, NameText.Distance(token, word[..token.Length], max));
            if (distance <= max && (best is null || distance < best)) best = distance;
        }

        return best;
    }
}

internal sealed class TermDictionary
{
    private readonly string[] _terms;

    public TermDictionary(long version, IEnumerable<string> terms)
    {
        Version = version;
        _terms = terms.Order(StringComparer.Ordinal).ToArray();
    }

    public long Version { get; }

    public bool HasPrefix(string token)
    {
        var at = LowerBound(token);
        return at < _terms.Length && _terms[at].StartsWith(token, StringComparison.Ordinal);
    }

    public IReadOnlyList<string> Corrections(string token, int maxDistance, int take)
    {
        var found = new List<(string Term, int Distance)>();
        for (var i = LowerBound(token[..1]); i < _terms.Length && _terms[i][0] == token[0]; i++)
        {
            var term = _terms[i];
            if (Math.Abs(term.Length - token.Length) > maxDistance) continue;
            var distance = NameText.Distance(token, term, maxDistance);
            if (distance <= maxDistance) found.Add((term, distance));
        }

        return found.OrderBy(f => f.Distance).ThenBy(f => f.Term, StringComparer.Ordinal).Take(take).Select(f => f.Term).ToList();
    }

    private int LowerBound(string value)
    {
        int low = 0, high = _terms.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (string.CompareOrdinal(_terms[middle], value) < 0) low = middle + 1;
            else high = middle;
        }

        return low;
    }
}

/// <summary>Text folding that mirrors FTS5 unicode61 with remove_diacritics for the Latin letters companies use.</summary>
internal static class NameText
{
    private static readonly Dictionary<char, char> Diacritics = BuildDiacritics();

    public static string Fold(string text)
    {
        var lower = text.ToLowerInvariant();
        var builder = new StringBuilder(lower.Length);
        foreach (var c in lower) builder.Append(Diacritics.GetValueOrDefault(c, c));
        return builder.ToString();
    }

    /// <summary>Folded words: runs of letters and digits, as unicode61 splits them.</summary>
    public static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var folded = Fold(text);
        var start = -1;
        for (var i = 0; i <= folded.Length; i++)
        {
            var isWordChar = i < folded.Length && (char.IsLetterOrDigit(folded[i]) || char.IsSurrogate(folded[i]));
            if (isWordChar && start < 0) start = i;
            else if (!isWordChar && start >= 0)
            {
                tokens.Add(folded[start..i]);
                start = -1;
            }
        }

        return tokens;
    }

    public static string CollapseWhitespace(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    public static int AllowedTypos(int length) => length < 4 ? 0 : length < 8 ? 1 : 2;

    /// <summary>Optimal string alignment distance (a swap of neighbours counts as one), or max + 1 once it exceeds max.</summary>
    public static int Distance(string a, string b, int max)
    {
        if (Math.Abs(a.Length - b.Length) > max) return max + 1;
        var previous2 = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            var rowMin = current[0];
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var value = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) value = Math.Min(value, previous2[j - 2] + 1);
                current[j] = value;
                rowMin = Math.Min(rowMin, value);
            }

            if (rowMin > max) return max + 1;
            (previous2, previous, current) = (previous, current, previous2);
        }

        return Math.Min(previous[b.Length], max + 1);
    }

    private static Dictionary<char, char> BuildDiacritics()
    {
        (string From, char To)[] groups =
        [
            ("àáâãäåāăą", 'a'), ("çćĉċč", 'c'), ("ď", 'd'), ("èéêëēĕėęě", 'e'), ("ĝğġģ", 'g'), ("ĥ", 'h'),
            ("ìíîïĩīĭį", 'i'), ("ĵ", 'j'), ("ķ", 'k'), ("ĺļľ", 'l'), ("ñńņň", 'n'), ("òóôõöōŏő", 'o'),
            ("ŕŗř", 'r'), ("śŝşš", 's'), ("ţť", 't'), ("ùúûüũūŭůűų", 'u'), ("ŵ", 'w'), ("ýÿŷ", 'y'), ("źżž", 'z'),
        ];
        var map = new Dictionary<char, char>();
        foreach (var (from, to) in groups)
        {
            foreach (var c in from) map[c] = to;
        }

        return map;
    }
}
