namespace PorBot.Guidance;

public enum MatchDecision
{
    /// <summary>Confident: send the best entry's answer.</summary>
    Answer,

    /// <summary>Two entries are close: ask which one was meant (best and runner-up).</summary>
    Clarify,

    /// <summary>Not a POR question, or nothing fits well enough: send the out-of-scope reply.</summary>
    NoMatch,
}

/// <summary>
/// An entry and how well it fits. <see cref="TextScore"/> is how much of the question the entry's words
/// explain, in [0, 1]; <see cref="Score"/> adds product × program evidence and decides the ranking.
/// </summary>
public sealed record ScoredEntry(KnowledgeEntry Entry, double Score, double TextScore);

/// <summary>
/// What the matcher made of a question. <see cref="Products"/> and <see cref="Programs"/> are the
/// offering ids it recognised, which a guided dialog can use to skip questions already answered.
/// </summary>
public sealed record MatchResult(
    MatchDecision Decision,
    ScoredEntry? Best,
    ScoredEntry? RunnerUp,
    double Confidence,
    IReadOnlyList<string> Products,
    IReadOnlyList<string> Programs);

/// <summary>Product and program ids named in a text, in the order they appear.</summary>
public sealed record OfferingMention(IReadOnlyList<string> Products, IReadOnlyList<string> Programs);

/// <summary>
/// In-process retrieval over the knowledge base: normalise, fix typos against the vocabulary, fold
/// synonyms into concepts, then score every entry by its closest phrasing (IDF-weighted cosine) plus a
/// BM25F score over all its fields, plus product × program evidence for entries scoped to offerings.
/// Thread-safe after construction; build once and share.
/// </summary>
public sealed class QuestionMatcher
{
    // Weights of the fields in the BM25F document of an entry.
    private const double TitleWeight = 2.0;
    private const double KeywordWeight = 2.0;
    private const double PhrasingWeight = 1.5;
    private const double BodyWeight = 0.5;
    private const double K1 = 1.2;
    private const double B = 0.5;

    // Blend of the two text scores; both are in [0, 1].
    private const double PhrasingShare = 0.6;
    private const double Bm25Share = 0.4;

    // Product × program evidence, added to entries scoped to offerings.
    private const double OfferingMatchBonus = 0.12;
    private const double BothMatchBonus = 0.08;
    private const double OfferingContradictionPenalty = 0.25;

    // Domain words (POR, Azure, EA…) say more about intent than generic ones that happen to be rare here.
    private const double AnchorIdfBoost = 1.5;

    // Decision thresholds. A question mostly made of words the knowledge base never uses is out of
    // scope unless it still matches strongly (long questions carry many incidental words).
    private const double MinKnownShare = 0.5;
    private const double StrongScore = 0.6;
    private const double MinScore = 0.25;
    // Below this gap between best and runner-up, asking beats guessing.
    private const double ClarifyMargin = 0.05;

    private readonly KnowledgeBase _knowledge;
    private readonly PhraseFolder _folder;
    private readonly Dictionary<string, double> _idf;
    private readonly double _unknownIdf;
    private readonly IndexedEntry[] _entries;

    public QuestionMatcher(KnowledgeBase knowledge)
    {
        ArgumentNullException.ThrowIfNull(knowledge);
        _knowledge = knowledge;
        _folder = new PhraseFolder(knowledge);

        _entries = [.. knowledge.Entries.Select(Index)];
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in _entries)
            foreach (var term in e.FieldWeightedTf.Keys)
                df[term] = df.GetValueOrDefault(term) + 1;
        var n = _entries.Length;
        _idf = df.ToDictionary(
            kv => kv.Key,
            kv => Math.Log(1 + (n - kv.Value + 0.5) / (kv.Value + 0.5)) * (_folder.IsAnchor(kv.Key) ? AnchorIdfBoost : 1),
            StringComparer.Ordinal);
        _unknownIdf = Math.Log(1 + (n - 0.5) / 1.5);
        var avgLength = _entries.Average(e => e.Length);
        foreach (var e in _entries) e.Prepare(_idf, avgLength);
    }

    public KnowledgeBase Knowledge => _knowledge;

    public MatchResult Match(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var analysed = _folder.Analyse(question);
        var (products, programs) = Offerings(analysed.Terms);

        var queryTerms = analysed.Terms.Distinct(StringComparer.Ordinal).ToArray();
        if (queryTerms.Length == 0 || !analysed.HasAnchor)
            return new MatchResult(MatchDecision.NoMatch, null, null, 0, products, programs);

        double known = 0, total = 0, queryNormSq = 0, bm25Ceiling = 0;
        foreach (var t in queryTerms)
        {
            var idf = _idf.GetValueOrDefault(t);
            total += idf > 0 ? idf : _unknownIdf;
            if (idf > 0) known += idf;
            // Unknown words count against every entry alike: they lower absolute scores (so "price of
            // Azure VMs" is a weak match) without changing the ranking.
            var weight = idf > 0 ? idf : _unknownIdf;
            queryNormSq += weight * weight;
            bm25Ceiling += weight * (K1 + 1);
        }
        var knownShare = total == 0 ? 0 : known / total;

        ScoredEntry? best = null, second = null;
        foreach (var e in _entries)
        {
            var text = PhrasingShare * e.BestPhrasingSimilarity(queryTerms, _idf, Math.Sqrt(queryNormSq))
                     + Bm25Share * e.Bm25(queryTerms, _idf) / bm25Ceiling;
            var score = text + e.OfferingEvidence(products, programs);
            if (best is null || score > best.Score)
            {
                second = best;
                best = new ScoredEntry(e.Entry, score, text);
            }
            else if (second is null || score > second.Score)
            {
                second = new ScoredEntry(e.Entry, score, text);
            }
        }

        var confidence = Math.Clamp(best!.Score, 0, 1);
        var decision =
            best.TextScore < MinScore || (knownShare < MinKnownShare && best.Score < StrongScore) ? MatchDecision.NoMatch
            : second is not null && best.Score - second.Score < ClarifyMargin ? MatchDecision.Clarify
            : MatchDecision.Answer;
        return new MatchResult(decision, best, second, confidence, products, programs);
    }

    /// <summary>
    /// The product and program ids a text names, through the same aliases and typo correction as
    /// <see cref="Match"/> but without scoring: "azrue", "E.A.", "o365 on open" in a guided dialog.
    /// </summary>
    public OfferingMention RecognizeOfferings(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (products, programs) = Offerings(_folder.Analyse(text).Terms);
        return new OfferingMention(products, programs);
    }

    private static (List<string> Products, List<string> Programs) Offerings(IReadOnlyList<string> terms) =>
        (terms.Where(t => t.StartsWith(PhraseFolder.ProductPrefix, StringComparison.Ordinal))
                .Select(t => t[PhraseFolder.ProductPrefix.Length..]).Distinct().ToList(),
         terms.Where(t => t.StartsWith(PhraseFolder.ProgramPrefix, StringComparison.Ordinal))
                .Select(t => t[PhraseFolder.ProgramPrefix.Length..]).Distinct().ToList());

    /// <summary>The terms the matcher sees for a text (for diagnostics and tests).</summary>
    internal IReadOnlyList<string> Analyse(string text) => _folder.Analyse(text).Terms;

    private IndexedEntry Index(KnowledgeEntry entry)
    {
        var body = new List<string> { entry.ShortAnswer };
        if (entry.Details is not null) body.Add(entry.Details);
        TopicScope? scope = null;
        switch (entry)
        {
            case Scenario s:
                body.Add(s.ForWhom);
                body.AddRange(s.Steps);
                body.AddRange(s.Caveats);
                body.Add(s.Guide);
                scope = new TopicScope(s.Products, s.Programs);
                break;
            case Topic t:
                scope = t.AppliesTo;
                break;
        }
        var phrasings = entry.Phrasings.Concat(entry.Keywords).Append(entry.Title)
            .Select(p => _folder.Analyse(p).Terms.Distinct(StringComparer.Ordinal).ToArray())
            .Where(p => p.Length > 0).ToArray();
        var tf = new Dictionary<string, double>(StringComparer.Ordinal);
        void AddField(IEnumerable<string> texts, double weight)
        {
            foreach (var text in texts)
                foreach (var term in _folder.Analyse(text).Terms)
                    tf[term] = tf.GetValueOrDefault(term) + weight;
        }
        AddField([entry.Title], TitleWeight);
        AddField(entry.Keywords, KeywordWeight);
        AddField(entry.Phrasings, PhrasingWeight);
        AddField(body, BodyWeight);
        return new IndexedEntry(entry, phrasings, tf, scope);
    }

    private sealed class IndexedEntry(KnowledgeEntry entry, string[][] phrasings, Dictionary<string, double> tf, TopicScope? scope)
    {
        private double[] _phrasingNorms = [];
        private double _lengthFactor;

        public KnowledgeEntry Entry { get; } = entry;
        public Dictionary<string, double> FieldWeightedTf { get; } = tf;
        public double Length { get; } = tf.Values.Sum();

        public void Prepare(Dictionary<string, double> idf, double avgLength)
        {
            _phrasingNorms = [.. phrasings.Select(p => Math.Sqrt(p.Sum(t => Square(idf.GetValueOrDefault(t)))))];
            _lengthFactor = K1 * (1 - B + B * Length / avgLength);
        }

        public double BestPhrasingSimilarity(string[] query, Dictionary<string, double> idf, double queryNorm)
        {
            if (queryNorm == 0) return 0;
            var best = 0.0;
            for (var i = 0; i < phrasings.Length; i++)
            {
                if (_phrasingNorms[i] == 0) continue;
                var dot = 0.0;
                foreach (var t in phrasings[i])
                    if (Array.IndexOf(query, t) >= 0) dot += Square(idf.GetValueOrDefault(t));
                best = Math.Max(best, dot / (queryNorm * _phrasingNorms[i]));
            }
            return best;
        }

        public double Bm25(string[] query, Dictionary<string, double> idf)
        {
            var score = 0.0;
            foreach (var t in query)
            {
                if (!FieldWeightedTf.TryGetValue(t, out var f)) continue;
                score += idf.GetValueOrDefault(t) * f * (K1 + 1) / (f + _lengthFactor);
            }
            return score;
        }

        /// <summary>
        /// Bonus when the question names a product/program this entry is for, penalty when it names only
        /// ones this entry is not for ("open azure" is not the EA scenario).
        /// </summary>
        public double OfferingEvidence(List<string> products, List<string> programs)
        {
            if (scope is null) return 0;
            var productMatch = Evidence(products, scope.Products);
            var programMatch = Evidence(programs, scope.Programs);
            var score = 0.0;
            if (productMatch is true) score += OfferingMatchBonus;
            if (programMatch is true) score += OfferingMatchBonus;
            if (productMatch is true && programMatch is true) score += BothMatchBonus;
            if (productMatch is false) score -= OfferingContradictionPenalty;
            if (programMatch is false) score -= OfferingContradictionPenalty;
            return score;
        }

        private static bool? Evidence(List<string> mentioned, IReadOnlyList<string> scoped)
        {
            if (mentioned.Count == 0 || scoped.Count == 0) return null;
            return mentioned.Any(scoped.Contains);
        }

        private static double Square(double x) => x * x;
    }
}
