using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Auth;

// STUB: to be implemented (helper "auth").
public sealed class ChannelTokenValidator(
    IOptions<BotAuthenticationOptions> options,
    IHttpClientFactory httpClientFactory,
    ILogger<ChannelTokenValidator> logger) : IChannelTokenValidator
{
    public Task<ChannelAuthResult> AuthenticateAsync(string? authorizationHeader, Activity activity, CancellationToken cancellationToken)
    {
        _ = httpClientFactory;
        _ = logger;
        if (options.Value.IsAuthenticationDisabled && string.IsNullOrEmpty(authorizationHeader))
            return Task.FromResult(ChannelAuthResult.Anonymous);
        return Task.FromResult(ChannelAuthResult.Failed("not implemented"));
    }
}
