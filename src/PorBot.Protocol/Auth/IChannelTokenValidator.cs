using System.Security.Claims;
using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Auth;

/// <summary>
/// Authenticates an inbound request from the Bot Connector service (channel → bot), as the Bot
/// Framework specifies: JWT from trusted metadata, issuer, audience, lifetime, algorithm, the
/// <c>serviceurl</c> claim and the signing key's endorsements.
/// </summary>
public interface IChannelTokenValidator
{
    Task<ChannelAuthResult> AuthenticateAsync(string? authorizationHeader, Activity activity, CancellationToken cancellationToken);
}

/// <summary>
/// The outcome of inbound authentication. <see cref="FailureReason"/> is for logs only: it is never
/// sent to the caller.
/// </summary>
public sealed record ChannelAuthResult(bool Succeeded, bool IsAnonymous, ClaimsIdentity? Identity, string? FailureReason)
{
    /// <summary>Local mode: no app id configured and no Authorization header.</summary>
    public static ChannelAuthResult Anonymous { get; } = new(true, true, null, null);

    public static ChannelAuthResult Authenticated(ClaimsIdentity identity) => new(true, false, identity, null);

    public static ChannelAuthResult Failed(string reason) => new(false, false, null, reason);
}
