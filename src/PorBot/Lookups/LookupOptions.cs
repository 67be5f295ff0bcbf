using Microsoft.Extensions.Options;

namespace PorBot.Lookups;

/// <summary>Section <c>PorBot</c>: who may see every POR record, and how long a lookup may wait for the registry.</summary>
public sealed class LookupOptions
{
    public const string SectionName = "PorBot";

    /// <summary>Entra object ids (<c>from.aadObjectId</c>) of PorBot operators, who see every record in full.</summary>
    public List<string> Operators { get; set; } = [];

    /// <summary>
    /// Entra object ids of partner admins, who may choose where their partner's conflict alerts go
    /// (<c>alerts here</c>). They count only while their tenant maps to a registered partner.
    /// </summary>
    public List<string> PartnerAdmins { get; set; } = [];

    /// <summary>
    /// The budget for all registry calls of one lookup. Teams gives a message extension 5 s in total,
    /// so this stays well below that.
    /// </summary>
    public TimeSpan LookupTimeout { get; set; } = TimeSpan.FromSeconds(3);

    internal IReadOnlySet<Guid> OperatorIds => Operators.Select(o => Guid.Parse(o.Trim())).ToHashSet();

    internal IReadOnlySet<Guid> PartnerAdminIds => PartnerAdmins.Select(o => Guid.Parse(o.Trim())).ToHashSet();
}

/// <summary>A typo in the operator or partner admin list must stop start-up, not silently lock someone out.</summary>
internal sealed class LookupOptionsValidator : IValidateOptions<LookupOptions>
{
    public ValidateOptionsResult Validate(string? name, LookupOptions options)
    {
        var problems = new List<string>();
        CheckObjectIds(nameof(LookupOptions.Operators), options.Operators, problems);
        CheckObjectIds(nameof(LookupOptions.PartnerAdmins), options.PartnerAdmins, problems);

        if (options.LookupTimeout <= TimeSpan.Zero || options.LookupTimeout > TimeSpan.FromSeconds(4.5))
        {
            problems.Add($"PorBot:LookupTimeout ({options.LookupTimeout}) must be above zero and at most 4.5 s: Teams drops message extension answers after 5 s.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void CheckObjectIds(string key, List<string> ids, List<string> problems)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (!Guid.TryParse(ids[i]?.Trim(), out _))
            {
                problems.Add($"PorBot:{key}:{i} ('{ids[i]}') is not an Entra object id (a GUID).");
            }
        }
    }
}
