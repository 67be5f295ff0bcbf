using Azure.Data.Tables;
using PorBot.Lookups;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// Name search on Azure Tables, which only has key lookups and key-range scans. Each name (customer or
/// partner; <c>kind</c> 'c' or 'p') is written as rows whose row keys start with folded text, so a prefix
/// becomes a range scan inside one partition (the first two characters pick the partition):
/// <list type="bullet">
/// <item><c>{kind}n|xx</c>: the whole folded name ("contoso+ltd!&lt;key&gt;"): exact and name-prefix matches, alphabetically.</item>
/// <item><c>{kind}w|xx</c>: each word ("ltd!&lt;key&gt;"): word-prefix matches anywhere in the name.</item>
/// <item><c>{kind}s|xx</c>: each inner word suffix of three or more letters ("toso!&lt;key&gt;"): substrings inside a word.</item>
/// <item><c>{kind}t|x</c>: each distinct word, key only: the term list typo correction reads (one partition per first letter).</item>
/// </list>
/// Index rows carry the display name, so candidates are ranked by <see cref="ScoredQuery"/> exactly as
/// the SQLite registry ranks them. '!' ends the text part: it sorts before every letter and digit, so
/// "contoso!…" comes before "contosoltd!…". Term rows are never deleted (a stale term costs one empty scan).
/// </summary>
internal static class AzureNameIndex
{
    public const string MetaPartition = "meta";
    public const string MetaRow = "names";
    public const char Separator = '!';
    private const char WordJoin = '+';
    private const int MinSuffixLength = 3;

    /// <summary>The rows that find <paramref name="name"/>; written when a name appears, deleted when it changes.</summary>
    public static IReadOnlyList<TableEntity> Rows(char kind, string name, string key)
    {
        var words = NameText.Tokens(name);
        if (words.Count == 0) return [];
        var rows = new Dictionary<(string, string), TableEntity>();
        var suffix = Separator + TableKeys.Escape(key);
        var nameKey = NameKey(words);
        Add(Partition(kind, 'n', nameKey), nameKey + suffix);
        foreach (var token in words.Distinct(StringComparer.Ordinal))
        {
            Add(Partition(kind, 'w', token), token + suffix);
            for (var i = 1; token.Length - i >= MinSuffixLength; i++)
            {
                if (char.IsLowSurrogate(token[i])) continue;
                Add(Partition(kind, 's', token[i..]), token[i..] + suffix);
            }
        }

        return rows.Values.ToList();

        void Add(string partition, string row) => rows[(partition, row)] = new TableEntity(partition, row) { ["Name"] = name, ["Key"] = key };
    }

    public static IEnumerable<TableEntity> TermRows(char kind, string name) =>
        NameText.Tokens(name).Distinct(StringComparer.Ordinal).Select(t => new TableEntity(TermPartition(kind, t), t));

    public static string NameKey(IEnumerable<string> tokens) => string.Join(WordJoin, tokens);

    public static string TermPartition(char kind, string token) => $"{kind}t|{FirstLetter(token)}";

    public static string FirstLetter(string token) => token.Length > 1 && char.IsHighSurrogate(token[0]) ? token[..2] : token[..1];

    /// <summary>Rows of <paramref name="index"/> ('n', 'w' or 's') whose text starts with <paramref name="prefix"/>.</summary>
    public static string PrefixFilter(char kind, char index, string prefix)
    {
        if (prefix.Length >= 2)
        {
            return TableClient.CreateQueryFilter($"PartitionKey eq {Partition(kind, index, prefix)} and RowKey ge {prefix} and RowKey lt {TableKeys.PrefixEnd(prefix)}");
        }

        // A one-letter prefix spans every partition of that letter.
        var first = $"{kind}{index}|{prefix}";
        return TableClient.CreateQueryFilter($"PartitionKey ge {first} and PartitionKey lt {TableKeys.PrefixEnd(first)}");
    }

    /// <summary>Rows of the word index for exactly <paramref name="term"/>.</summary>
    public static string TermFilter(char kind, string term) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {Partition(kind, 'w', term)} and RowKey ge {term + Separator} and RowKey lt {term + (char)(Separator + 1)}");

    private static string Partition(char kind, char index, string text) => $"{kind}{index}|{Head(text)}";

    // Two characters, never half of a surrogate pair.
    private static string Head(string text) => text.Length <= 2 ? (text.Length == 2 && char.IsHighSurrogate(text[1]) ? text[..1] : text)
        : char.IsHighSurrogate(text[1]) ? text[..1] : text[..2];
}
