using System.Collections.Concurrent;

namespace PorBot.Protocol.Connector;

/// <summary>
/// The serviceUrls that arrived on authenticated activities (their <c>serviceurl</c> claim matched).
/// Only these get the bot's token attached on outbound calls, so a forged serviceUrl cannot
/// harvest it.
/// </summary>
public sealed class ServiceUrlTrust
{
    private readonly ConcurrentDictionary<string, byte> _trusted = new(StringComparer.OrdinalIgnoreCase);

    public void Trust(string serviceUrl) => _trusted.TryAdd(Normalize(serviceUrl), 0);

    public bool IsTrusted(string serviceUrl) => _trusted.ContainsKey(Normalize(serviceUrl));

    private static string Normalize(string serviceUrl) => serviceUrl.TrimEnd('/');
}
