namespace PorBot.Protocol.Auth;

/// <summary>Access tokens for outbound calls to the Bot Connector (bot → channel).</summary>
public interface IBotTokenProvider
{
    /// <summary>A bearer token for the connector, or null in local mode (no app id).</summary>
    Task<string?> GetAccessTokenAsync(CancellationToken cancellationToken);
}
