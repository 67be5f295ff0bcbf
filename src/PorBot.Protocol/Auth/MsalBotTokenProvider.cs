using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;

namespace PorBot.Protocol.Auth;

// STUB: to be implemented (helper "connector").
public sealed class MsalBotTokenProvider(
    IOptions<BotAuthenticationOptions> options,
    ILogger<MsalBotTokenProvider> logger,
    IMsalHttpClientFactory? msalHttpClientFactory = null) : IBotTokenProvider
{
    public Task<string?> GetAccessTokenAsync(CancellationToken cancellationToken)
    {
        _ = logger;
        _ = msalHttpClientFactory;
        if (options.Value.IsAuthenticationDisabled) return Task.FromResult<string?>(null);
        throw new NotImplementedException();
    }
}
