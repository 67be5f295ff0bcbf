using System.Text.Json;
using System.Text.Json.Serialization;

namespace PorBot.Guidance;

/// <summary>Thrown when knowledge.json is malformed or inconsistent; the message lists every problem found.</summary>
public sealed class KnowledgeBaseException : Exception
{
    public KnowledgeBaseException(string message) : base(message) { }
    public KnowledgeBaseException(string message, Exception inner) : base(message, inner) { }
    public KnowledgeBaseException() { }

    public IReadOnlyList<string> Problems { get; init; } = [];
}

/// <summary>The POR guidance knowledge base, loaded from data and validated once at startup.</summary>
public sealed class KnowledgeBase
{
    /// <summary>Manifest name of the embedded knowledge.json (see PorBot.csproj).</summary>
    public const string ResourceName = "PorBot.Guidance.knowledge.json";

    private readonly Dictionary<string, KnowledgeEntry> _byId;

    private KnowledgeBase(
        IReadOnlyList<Scenario> scenarios, IReadOnlyList<Topic> topics, OutOfScopeTopic outOfScope,
        IReadOnlyList<Offering> products, IReadOnlyList<Offering> programs, IReadOnlyList<Concept> concepts)
    {
        Scenarios = scenarios;
        Topics = topics;
        OutOfScope = outOfScope;
        Products = products;
        Programs = programs;
        Concepts = concepts;
        Entries = [.. scenarios, .. topics];
        _byId = Entries.Append(outOfScope).ToDictionary(e => e.Id, StringComparer.Ordinal);
    }

    public IReadOnlyList<Scenario> Scenarios { get; }
    public IReadOnlyList<Topic> Topics { get; }
    public OutOfScopeTopic OutOfScope { get; }
    public IReadOnlyList<Offering> Products { get; }
    public IReadOnlyList<Offering> Programs { get; }
    public IReadOnlyList<Concept> Concepts { get; }

    /// <summary>Scenarios then topics: everything a question can be matched to (not the out-of-scope reply).</summary>
    public IReadOnlyList<KnowledgeEntry> Entries { get; }

    public KnowledgeEntry? Find(string id) => _byId.GetValueOrDefault(id);

    public KnowledgeEntry Get(string id) =>
        Find(id) ?? throw new KeyNotFoundException($"No knowledge entry with id '{id}'.");

    /// <summary>The scenario for what was sold and how it was bought, or null when the 2015 guidance has none.</summary>
    public Scenario? FindScenario(string productId, string programId) =>
        Scenarios.FirstOrDefault(s => s.Products.Contains(productId) && s.Programs.Contains(programId));

    /// <summary>Loads the copy embedded in the PorBot assembly, so it works whatever the working directory.</summary>
    public static KnowledgeBase LoadEmbedded()
    {
        using var stream = typeof(KnowledgeBase).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new KnowledgeBaseException($"Embedded resource '{ResourceName}' not found in {typeof(KnowledgeBase).Assembly.GetName().Name}.");
        return Load(stream);
    }

    public static KnowledgeBase Load(Stream json)
    {
        using var reader = new StreamReader(json);
        return Parse(reader.ReadToEnd());
    }

    public static KnowledgeBase Parse(string json)
    {
        KnowledgeDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<KnowledgeDocument>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new KnowledgeBaseException($"knowledge.json is not valid JSON for the knowledge schema: {ex.Message}", ex);
        }
        if (doc is null) throw new KnowledgeBaseException("knowledge.json is empty (null document).");
        return new Builder(doc).Build();
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
    };

    /// <summary>Collects every problem rather than stopping at the first, so one run shows a reviewer all of them.</summary>
    private sealed class Builder(KnowledgeDocument doc)
    {
        private readonly List<string> _problems = [];

        public KnowledgeBase Build()
        {
            var products = Offerings(doc.Products, "products");
            var programs = Offerings(doc.Programs, "programs");
            var productIds = products.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
            var programIds = programs.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
            var concepts = Concepts(doc.Concepts);

            var scenarios = (doc.Scenarios ?? []).Select((s, i) => Scenario(s, $"scenarios[{i}]", productIds, programIds)).ToList();
            var topics = (doc.Topics ?? []).Select((t, i) => Topic(t, $"topics[{i}]", productIds, programIds)).ToList();
            if (scenarios.Count == 0) _problems.Add("scenarios: at least one scenario is required.");
            var outOfScope = OutOfScope(doc.OutOfScope);

            var allEntries = scenarios.Cast<KnowledgeEntry>().Concat(topics).Append(outOfScope).ToList();
            foreach (var dup in allEntries.GroupBy(e => e.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
                _problems.Add($"Duplicate id '{dup.Key}' ({dup.Count()} entries).");
            var ids = allEntries.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var e in allEntries)
            {
                foreach (var next in e.Next.Where(n => !ids.Contains(n)))
                    _problems.Add($"'{e.Id}'.next references unknown topic '{next}'.");
                if (e.Next.Contains(e.Id)) _problems.Add($"'{e.Id}'.next references itself.");
            }
            foreach (var id in outOfScope.CanHelpWith.Where(id => !ids.Contains(id)))
                _problems.Add($"outOfScope.canHelpWith references unknown topic '{id}'.");
            CheckAliasConflicts(products, programs, concepts);

            if (_problems.Count > 0)
            {
                throw new KnowledgeBaseException(
                    $"knowledge.json is invalid ({_problems.Count} problem(s)):{Environment.NewLine}- " +
                    string.Join(Environment.NewLine + "- ", _problems))
                { Problems = _problems };
            }
            return new KnowledgeBase(scenarios, topics, outOfScope, products, programs, concepts);
        }

        private List<Offering> Offerings(List<OfferingDto>? dtos, string path)
        {
            if (dtos is null || dtos.Count == 0) _problems.Add($"{path}: at least one entry is required.");
            return (dtos ?? []).Select((o, i) =>
            {
                var aliases = NonEmptyList(o.Aliases, $"{path}[{i}].aliases");
                var weak = o.WeakAliases ?? [];
                foreach (var w in weak.Where(w => !aliases.Contains(w)))
                    _problems.Add($"{path}[{i}].weakAliases: '{w}' is not one of its aliases.");
                return new Offering(Required(o.Id, $"{path}[{i}].id"), Required(o.Name, $"{path}[{i}].name"), aliases, weak);
            }).ToList();
        }

        private List<Concept> Concepts(List<ConceptDto>? dtos) =>
            (dtos ?? []).Select((c, i) => new Concept(
                Required(c.Id, $"concepts[{i}].id"), c.Anchor, NonEmptyList(c.Aliases, $"concepts[{i}].aliases"))).ToList();

        private Scenario Scenario(ScenarioDto s, string path, HashSet<string> productIds, HashSet<string> programIds)
        {
            var id = Required(s.Id, path + ".id");
            path = $"scenario '{id}'";
            var scenario = new Scenario
            {
                Id = id,
                Title = Required(s.Title, path + ".title"),
                ShortAnswer = Required(s.ShortAnswer, path + ".shortAnswer"),
                Details = s.Details,
                Next = s.Next ?? [],
                Keywords = s.Keywords ?? [],
                Phrasings = s.Phrasings ?? [],
                Sources = Sources(s.Sources, path),
                ForWhom = Required(s.ForWhom, path + ".forWhom"),
                Products = References(NonEmptyList(s.Products, path + ".products"), productIds, path + ".products"),
                Programs = References(NonEmptyList(s.Programs, path + ".programs"), programIds, path + ".programs"),
                PorSetBy = s.PorSetBy ?? Missing<PorSetter>(path + ".porSetBy"),
                SetByText = Required(s.SetByText, path + ".setByText"),
                Where = new PortalLocation(Required(s.Where?.Then, path + ".where.then"), Required(s.Where?.Today, path + ".where.today")),
                Steps = NonEmptyList(s.Steps, path + ".steps"),
                Impacts = NonEmptyList(s.Impacts, path + ".impacts"),
                ImpactsNote = s.ImpactsNote,
                Guide = Required(s.Guide, path + ".guide"),
                Caveats = s.Caveats ?? [],
            };
            RequireMatchable(scenario, path);
            return scenario;
        }

        private Topic Topic(TopicDto t, string path, HashSet<string> productIds, HashSet<string> programIds)
        {
            var id = Required(t.Id, path + ".id");
            path = $"topic '{id}'";
            var topic = new Topic
            {
                Id = id,
                Title = Required(t.Title, path + ".title"),
                ShortAnswer = Required(t.ShortAnswer, path + ".shortAnswer"),
                Details = t.Details,
                Next = t.Next ?? [],
                Keywords = t.Keywords ?? [],
                Phrasings = t.Phrasings ?? [],
                Sources = Sources(t.Sources, path),
                AppliesTo = t.AppliesTo is null ? null : new TopicScope(
                    References(t.AppliesTo.Products ?? [], productIds, path + ".appliesTo.products"),
                    References(t.AppliesTo.Programs ?? [], programIds, path + ".appliesTo.programs")),
            };
            RequireMatchable(topic, path);
            return topic;
        }

        private OutOfScopeTopic OutOfScope(OutOfScopeDto? o)
        {
            if (o is null)
            {
                _problems.Add("outOfScope: the out-of-scope reply is required.");
                return new OutOfScopeTopic { Id = "out-of-scope", Title = "", ShortAnswer = "", Sources = [] };
            }
            return new OutOfScopeTopic
            {
                Id = Required(o.Id, "outOfScope.id"),
                Title = Required(o.Title, "outOfScope.title"),
                ShortAnswer = Required(o.ShortAnswer, "outOfScope.shortAnswer"),
                CanHelpWith = o.CanHelpWith ?? [],
                Sources = Sources(o.Sources, "outOfScope"),
            };
        }

        private void RequireMatchable(KnowledgeEntry e, string path)
        {
            if (e.Phrasings.Count == 0 && e.Keywords.Count == 0)
                _problems.Add($"{path}: needs phrasings or keywords, or no question can ever reach it.");
        }

        private List<string> Sources(List<string>? sources, string path)
        {
            if (sources is null || sources.Count == 0)
            {
                _problems.Add($"{path}.sources: every entry must cite at least one source.");
                return [];
            }
            foreach (var s in sources.Where(s => !KnowledgeSources.Allowed.Contains(s)))
                _problems.Add($"{path}.sources: '{s}' is not an allowed source id (allowed: {string.Join(", ", KnowledgeSources.Allowed)}).");
            return sources;
        }

        private List<string> References(List<string> ids, HashSet<string> known, string path)
        {
            foreach (var id in ids.Where(id => !known.Contains(id)))
                _problems.Add($"{path}: unknown id '{id}'.");
            return ids;
        }

        private void CheckAliasConflicts(List<Offering> products, List<Offering> programs, List<Concept> concepts)
        {
            var owners = new Dictionary<string, string>(StringComparer.Ordinal);
            var all = products.Select(p => ("product " + p.Id, p.Aliases))
                .Concat(programs.Select(p => ("program " + p.Id, p.Aliases)))
                .Concat(concepts.Select(c => ("concept " + c.Id, c.Aliases)));
            foreach (var (owner, aliases) in all)
            {
                foreach (var alias in aliases)
                {
                    var key = TextAnalysis.AliasKey(alias);
                    if (key.Length == 0) _problems.Add($"{owner}: alias '{alias}' is empty after normalisation.");
                    else if (owners.TryGetValue(key, out var other) && other != owner)
                        _problems.Add($"Alias '{alias}' belongs to both {other} and {owner}.");
                    else owners[key] = owner;
                }
            }
        }

        private string Required(string? value, string path)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                _problems.Add($"{path}: required and must not be empty.");
                return "";
            }
            return value;
        }

        private List<string> NonEmptyList(List<string>? values, string path)
        {
            if (values is null || values.Count == 0 || values.Any(string.IsNullOrWhiteSpace))
                _problems.Add($"{path}: required, non-empty, and without blank items.");
            return values ?? [];
        }

        private T Missing<T>(string path) where T : struct
        {
            _problems.Add($"{path}: required.");
            return default;
        }
    }

    private sealed class KnowledgeDocument
    {
        public int Version { get; set; }
        public List<string>? Notes { get; set; }
        public List<OfferingDto>? Products { get; set; }
        public List<OfferingDto>? Programs { get; set; }
        public List<ConceptDto>? Concepts { get; set; }
        public List<ScenarioDto>? Scenarios { get; set; }
        public List<TopicDto>? Topics { get; set; }
        public OutOfScopeDto? OutOfScope { get; set; }
    }

    private sealed class OfferingDto
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public List<string>? Aliases { get; set; }
        public List<string>? WeakAliases { get; set; }
    }

    private sealed class ConceptDto
    {
        public string? Id { get; set; }
        public bool Anchor { get; set; }
        public List<string>? Aliases { get; set; }
    }

    private class EntryDto
    {
        public string? Id { get; set; }
        public string? Title { get; set; }
        public string? ShortAnswer { get; set; }
        public string? Details { get; set; }
        public List<string>? Next { get; set; }
        public List<string>? Keywords { get; set; }
        public List<string>? Phrasings { get; set; }
        public List<string>? Sources { get; set; }
    }

    private sealed class TopicDto : EntryDto
    {
        public ScopeDto? AppliesTo { get; set; }
    }

    private sealed class ScopeDto
    {
        public List<string>? Products { get; set; }
        public List<string>? Programs { get; set; }
    }

    private sealed class ScenarioDto : EntryDto
    {
        public string? ForWhom { get; set; }
        public List<string>? Products { get; set; }
        public List<string>? Programs { get; set; }
        public PorSetter? PorSetBy { get; set; }
        public string? SetByText { get; set; }
        public WhereDto? Where { get; set; }
        public List<string>? Steps { get; set; }
        public List<string>? Impacts { get; set; }
        public string? ImpactsNote { get; set; }
        public string? Guide { get; set; }
        public List<string>? Caveats { get; set; }
    }

    private sealed class WhereDto
    {
        public string? Then { get; set; }
        public string? Today { get; set; }
    }

    private sealed class OutOfScopeDto
    {
        public string? Id { get; set; }
        public string? Title { get; set; }
        public string? ShortAnswer { get; set; }
        public List<string>? CanHelpWith { get; set; }
        public List<string>? Sources { get; set; }
    }
}
