using System.Text.RegularExpressions;

namespace PorBot.Lookups;

public enum PartnerIdFormat
{
    /// <summary>Not a partner id at all (letters, no digits, wrong length).</summary>
    Invalid,

    /// <summary>6 or 7 digits, like nearly every partner id seen in Microsoft's material.</summary>
    Valid,

    /// <summary>5 or 8 digits: allowed, but unusual enough to double-check.</summary>
    ValidUnusualLength,
}

/// <summary>What the format check says about some text. <see cref="PartnerId"/> is the digits, when there are any.</summary>
public sealed record PartnerIdFormatCheck(string Input, string? PartnerId, PartnerIdFormat Format, string Explanation)
{
    public bool IsWellFormed => Format != PartnerIdFormat.Invalid;
}

/// <summary>
/// Partner id (formerly MPN id) format check, per por-domain.md §A.2: trim, drop a leading "MPN",
/// "MPN ID", "PartnerID", "Partner ID" or "#", then 5–8 digits (warn unless 6–7). No checksum exists,
/// so a well-formed id says nothing about whether that partner exists: only the registry can say that.
/// </summary>
public static partial class PartnerIdValidator
{
    public const int MinDigits = 5;
    public const int MaxDigits = 8;

    public static PartnerIdFormatCheck CheckFormat(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var stripped = Prefix().Replace(input.Trim(), string.Empty).Trim();
        if (stripped.Length == 0)
        {
            return new(input, null, PartnerIdFormat.Invalid, "There is no partner ID in that: a partner ID is 5 to 8 digits, like 4412345.");
        }

        if (!stripped.All(char.IsAsciiDigit))
        {
            return new(input, null, PartnerIdFormat.Invalid, "A partner ID is digits only (5 to 8 of them, like 4412345).");
        }

        var digits = stripped.Length;
        if (digits is < MinDigits or > MaxDigits)
        {
            return new(input, stripped, PartnerIdFormat.Invalid,
                $"A partner ID has 5 to 8 digits; this has {digits}. Check it for a missing or extra digit.");
        }

        return digits is 6 or 7
            ? new(input, stripped, PartnerIdFormat.Valid, $"The format is right ({digits} digits).")
            : new(input, stripped, PartnerIdFormat.ValidUnusualLength,
                $"The format is allowed, but {digits} digits is unusual (most partner IDs have 6 or 7): check for a missing or extra digit.");
    }

    // "MPN", "MPN ID", "MPNID", "PartnerID", "Partner ID", "Partner-ID", "ID", "#", with an optional ':' or '#'.
    [GeneratedRegex(@"^(?:(?:mpn|partner)[\s\-]*(?:id)?|id)?\s*[:#]?\s*#?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Prefix();
}
