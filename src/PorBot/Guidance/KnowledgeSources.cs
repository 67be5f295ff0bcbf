namespace PorBot.Guidance;

/// <summary>The only sources a knowledge entry may cite: parts of the seed post and of por-domain.md.</summary>
public static class KnowledgeSources
{
    public static IReadOnlySet<string> Allowed { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "seed:intro",
        "seed:scenario-ea",
        "seed:scenario-online-portal",
        "seed:scenario-open",
        "seed:scenario-azure",
        "por-domain:A.0",
        "por-domain:A.1",
        "por-domain:A.1-program",
        "por-domain:A.1-legacy-map",
        "por-domain:A.2",
        "por-domain:A.3",
    };
}
