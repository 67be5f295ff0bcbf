namespace PorBot.Guidance;

/// <summary>
/// Turns text into matcher terms: tokens corrected for typos against the knowledge vocabulary, known
/// phrases folded into concept/product/program terms (longest alias first, compared on stems so
/// "partners of record" is still POR), stop words dropped, the rest stemmed.
/// </summary>
internal sealed class PhraseFolder
{
    public const string ConceptPrefix = "#";
    public const string ProductPrefix = "product:";
    public const string ProgramPrefix = "program:";

    private readonly Dictionary<string, string> _phraseToTerm = new(StringComparer.Ordinal);
    private readonly HashSet<string> _anchorTerms = new(StringComparer.Ordinal);
    private readonly HashSet<string> _weakPhrases = new(StringComparer.Ordinal);
    private readonly HashSet<string> _vocabulary = new(StringComparer.Ordinal);
    private readonly string[] _vocabularyByLength;
    private readonly HashSet<string> _aliasTokens = new(StringComparer.Ordinal);
    private readonly int _longestPhrase;

    public PhraseFolder(KnowledgeBase knowledge)
    {
        foreach (var p in knowledge.Products.Concat(knowledge.Programs))
        {
            var isProduct = knowledge.Products.Contains(p);
            AddAliases((isProduct ? ProductPrefix : ProgramPrefix) + p.Id, p.Aliases, anchor: true);
            // A product name alone is what any IT question mentions ("price of Azure VMs"); it is POR
            // evidence only next to a program, "POR", "partner"…
            var weak = isProduct ? p.Aliases : p.WeakAliases;
            foreach (var alias in weak) _weakPhrases.Add(TextAnalysis.AliasKey(alias));
        }
        foreach (var c in knowledge.Concepts) AddAliases(ConceptPrefix + c.Id, c.Aliases, c.Anchor);
        _longestPhrase = _phraseToTerm.Keys.Max(k => k.Count(ch => ch == ' ') + 1);

        foreach (var e in knowledge.Entries)
        {
            IEnumerable<string> texts = [e.Title, e.ShortAnswer, e.Details ?? "", .. e.Keywords, .. e.Phrasings];
            if (e is Scenario s) texts = texts.Concat(s.Steps).Concat(s.Caveats).Append(s.ForWhom).Append(s.Guide);
            foreach (var text in texts)
                foreach (var token in TextAnalysis.Tokenize(text))
                    if (!TextAnalysis.IsStopWord(token)) _vocabulary.Add(token);
        }
        _vocabulary.UnionWith(_aliasTokens);
        _vocabularyByLength = [.. _vocabulary.Where(v => v.Length >= 4 && !v.Any(char.IsAsciiDigit)).OrderBy(v => v.Length)];
    }

    public bool IsAnchor(string term) => _anchorTerms.Contains(term);

    public sealed record Analysis(IReadOnlyList<string> Terms, bool HasAnchor);

    public Analysis Analyse(string text)
    {
        var raw = TextAnalysis.Tokenize(text);
        var tokens = new string[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            raw[i] = Correct(raw[i]);
            tokens[i] = TextAnalysis.Stem(raw[i]);
        }

        var terms = new List<string>(tokens.Length);
        var strongAnchors = 0;
        for (var i = 0; i < tokens.Length;)
        {
            var matched = false;
            for (var len = Math.Min(_longestPhrase, tokens.Length - i); len >= 1; len--)
            {
                var key = len == 1 ? tokens[i] : string.Join(' ', tokens, i, len);
                if (!_phraseToTerm.TryGetValue(key, out var term)) continue;
                terms.Add(term);
                if (_anchorTerms.Contains(term) && !_weakPhrases.Contains(key)) strongAnchors++;
                i += len;
                matched = true;
                break;
            }
            if (matched) continue;
            if (!TextAnalysis.IsStopWord(raw[i])) terms.Add(tokens[i]);
            i++;
        }
        // "open" alone is a verb and "azure" alone a product question; "open o365" or "azure POR" is about POR.
        var productAndProgram = terms.Any(t => t.StartsWith(ProductPrefix, StringComparison.Ordinal)) &&
                                terms.Any(t => t.StartsWith(ProgramPrefix, StringComparison.Ordinal));
        return new Analysis(terms, strongAnchors > 0 || productAndProgram);
    }

    private void AddAliases(string term, IReadOnlyList<string> aliases, bool anchor)
    {
        if (anchor) _anchorTerms.Add(term);
        foreach (var alias in aliases)
        {
            var key = TextAnalysis.AliasKey(alias);
            if (key.Length == 0) continue;
            _phraseToTerm[key] = term;
            _aliasTokens.UnionWith(TextAnalysis.Tokenize(alias));
        }
    }

    /// <summary>
    /// Replaces an unknown word of 4+ letters by the closest vocabulary word of 4+ letters: a swap of two
    /// adjacent letters at 4 letters ("opne"), one edit at 5–7, two from 8. Four-letter words have too many
    /// real-word neighbours ("good" is not "gold") for any other edit to be safe.
    /// Ties go to words that are part of a synonym alias, since those carry the meaning.
    /// </summary>
    private string Correct(string token)
    {
        if (token.Length < 4 || _vocabulary.Contains(token) || TextAnalysis.IsStopWord(token) ||
            token.Any(char.IsAsciiDigit)) return token;
        var max = token.Length >= 8 ? 2 : 1;
        string? best = null;
        var bestDistance = max + 1;
        var bestIsAlias = false;
        foreach (var candidate in _vocabularyByLength)
        {
            if (candidate.Length < token.Length - max) continue;
            if (candidate.Length > token.Length + max) break;
            var d = TextAnalysis.BoundedEditDistance(token, candidate, max);
            if (d > max) continue;
            if (token.Length == 4 && !IsAdjacentSwap(token, candidate)) continue;
            var isAlias = _aliasTokens.Contains(candidate);
            if (d < bestDistance || (d == bestDistance && isAlias && !bestIsAlias))
            {
                best = candidate;
                bestDistance = d;
                bestIsAlias = isAlias;
            }
        }
        return best ?? token;
    }

    private static bool IsAdjacentSwap(string a, string b)
    {
        if (a.Length != b.Length) return false;
        var i = 0;
        while (i < a.Length && a[i] == b[i]) i++;
        return i < a.Length - 1 && a[i] == b[i + 1] && a[i + 1] == b[i] && a.AsSpan(i + 2).SequenceEqual(b.AsSpan(i + 2));
    }
}
