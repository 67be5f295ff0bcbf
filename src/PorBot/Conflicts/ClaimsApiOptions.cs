using Microsoft.Extensions.Options;

namespace PorBot.Conflicts;

/// <summary>Section <c>Claims</c>: the keys backend systems use for <c>POST /api/claims</c>. No keys: the API answers 401 to everyone.</summary>
public sealed class ClaimsApiOptions
{
    public const string SectionName = "Claims";

    /// <summary>Several at once so a key can be rotated without downtime; the name is recorded as the claim's source (<c>api:&lt;name&gt;</c>).</summary>
    public List<ClaimsApiKey> ApiKeys { get; set; } = [];
}

public sealed class ClaimsApiKey
{
    public string Name { get; set; } = "";

    public string Key { get; set; } = "";
}

/// <summary>A weak, unnamed or duplicated key must stop start-up rather than open or confuse the API.</summary>
internal sealed class ClaimsApiOptionsValidator : IValidateOptions<ClaimsApiOptions>
{
    public const int MinKeyLength = 32;

    public ValidateOptionsResult Validate(string? name, ClaimsApiOptions options)
    {
        var problems = new List<string>();
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            if (string.IsNullOrWhiteSpace(key.Name) || key.Name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                problems.Add($"Claims:ApiKeys:{i}:Name must be a name without spaces (it is recorded as the claim's source).");
            }

            if (key.Key.Length < MinKeyLength) problems.Add($"Claims:ApiKeys:{i}:Key must be at least {MinKeyLength} characters.");
        }

        foreach (var duplicate in options.ApiKeys.GroupBy(k => k.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"Claims:ApiKeys has the name '{duplicate.Key}' more than once.");
        }

        if (options.ApiKeys.Where(k => k.Key.Length > 0).GroupBy(k => k.Key, StringComparer.Ordinal).Any(g => g.Count() > 1))
        {
            problems.Add("Claims:ApiKeys has the same key under two names.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
