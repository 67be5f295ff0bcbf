namespace PorBot.Protocol.Cards;

/// <summary>Cards only link to and load from https URLs (bot-protocol.md §6), so a plain-http or javascript: URL never ships.</summary>
internal static class CardUrls
{
    public static string RequireHttps(string? url, string paramName)
    {
        if (string.IsNullOrWhiteSpace(url)
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || uri.Scheme != Uri.UriSchemeHttps
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"Card URLs must be absolute https URLs, got '{url}'.", paramName);
        }
        return url;
    }
}
