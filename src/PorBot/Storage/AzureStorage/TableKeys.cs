using System.Globalization;
using System.Text;
using Azure;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// Partition and row keys built from outside text (ids from Teams, domains, partner ids). Azure Tables
/// forbids / \ # ? and control characters in keys, and PorBot joins key parts with '|' and '!', so those
/// (and '%', the escape itself) are written as %XX: distinct inputs always give distinct keys.
/// </summary>
internal static class TableKeys
{
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Any(NeedsEscape)) return value;
        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (NeedsEscape(c)) builder.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else builder.Append(c);
        }

        return builder.ToString();
    }

    public static string Unescape(string key)
    {
        if (!key.Contains('%', StringComparison.Ordinal)) return key;
        var builder = new StringBuilder(key.Length);
        for (var i = 0; i < key.Length; i++)
        {
            if (key[i] == '%' && i + 2 < key.Length)
            {
                builder.Append((char)int.Parse(key.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else
            {
                builder.Append(key[i]);
            }
        }

        return builder.ToString();
    }

    /// <summary>The smallest string greater than every string that starts with <paramref name="prefix"/> (the end of a prefix range).</summary>
    public static string PrefixEnd(string prefix)
    {
        var last = prefix.Length - 1;
        while (last >= 0 && prefix[last] == char.MaxValue) last--;
        if (last < 0) throw new ArgumentException("A prefix of only U+FFFF has no end.", nameof(prefix));
        return prefix[..last] + (char)(prefix[last] + 1);
    }

    public static bool IsNotFound(this RequestFailedException ex) => ex.Status == 404;

    /// <summary>412: the entity changed since it was read (ETag mismatch). 409: it already exists.</summary>
    public static bool IsConcurrencyConflict(this RequestFailedException ex) => ex.Status is 412 or 409;

    // Control characters (C0, DEL, C1) are forbidden in keys; the rest are PorBot's separators or the escape.
    private static bool NeedsEscape(char c) => c is '%' or '/' or '\\' or '#' or '?' or '|' or '!' or (< ' ') or (>= '\u007f' and <= '\u009f');
}
