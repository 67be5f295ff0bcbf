namespace PorBot.Guidance;

/// <summary>Who sets the Partner of Record in a scenario.</summary>
public enum PorSetter
{
    Customer,
    Partner,
    CustomerOrPartner,
}

/// <summary>Something PorBot can answer: a scenario, a general topic, or the out-of-scope reply.</summary>
public abstract record KnowledgeEntry
{
    public required string Id { get; init; }
    public required string Title { get; init; }

    /// <summary>Chat-length answer (1–4 sentences), safe to send on its own.</summary>
    public required string ShortAnswer { get; init; }

    public string? Details { get; init; }

    /// <summary>Topic ids to offer as follow-up buttons.</summary>
    public IReadOnlyList<string> Next { get; init; } = [];

    public IReadOnlyList<string> Keywords { get; init; } = [];
    public IReadOnlyList<string> Phrasings { get; init; } = [];

    /// <summary>Where every statement comes from; ids from <see cref="KnowledgeSources.Allowed"/>.</summary>
    public required IReadOnlyList<string> Sources { get; init; }
}

/// <summary>Products and purchase programs a topic is specific to (empty list = not specific).</summary>
public sealed record TopicScope(IReadOnlyList<string> Products, IReadOnlyList<string> Programs);

public sealed record Topic : KnowledgeEntry
{
    public TopicScope? AppliesTo { get; init; }
}

public sealed record PortalLocation(string Then, string Today);

public sealed record Scenario : KnowledgeEntry
{
    public required string ForWhom { get; init; }
    public required IReadOnlyList<string> Products { get; init; }
    public required IReadOnlyList<string> Programs { get; init; }
    public required PorSetter PorSetBy { get; init; }
    public required string SetByText { get; init; }
    public required PortalLocation Where { get; init; }
    public required IReadOnlyList<string> Steps { get; init; }
    public required IReadOnlyList<string> Impacts { get; init; }

    /// <summary>Set when the impacts are not the scenario's own list in the seed (it was lost in our copy).</summary>
    public string? ImpactsNote { get; init; }

    public required string Guide { get; init; }
    public required IReadOnlyList<string> Caveats { get; init; }
}

/// <summary>The "I can't help with that" reply, with the topics to offer instead.</summary>
public sealed record OutOfScopeTopic : KnowledgeEntry
{
    public IReadOnlyList<string> CanHelpWith { get; init; } = [];
}

/// <summary>
/// A product (Office 365, Azure…) or purchase program (EA, Open…) and the words people use for it.
/// Weak aliases are everyday words ("open", "office") that only count as POR evidence next to other evidence.
/// </summary>
public sealed record Offering(string Id, string Name, IReadOnlyList<string> Aliases, IReadOnlyList<string> WeakAliases);

/// <summary>
/// A synonym group for the matcher. Anchor concepts are evidence that a question is about POR at all;
/// generic ones ("change", "who") are not.
/// </summary>
public sealed record Concept(string Id, bool Anchor, IReadOnlyList<string> Aliases);
