using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;
using Microsoft.Kiota.Abstractions.Authentication;
using PorBot.Protocol.Auth;

namespace PorBot.Integrations.Graph;

/// <summary>
/// Graph tokens for the Graph SDK: MSAL client credentials with the bot's app id and secret in its
/// own tenant, scope <see cref="GraphOptions.Scope"/>. Only for the configured Graph host, so a
/// <c>@odata.nextLink</c> pointing anywhere else never receives the token. One MSAL application per
/// process (this is a singleton), so MSAL's cache serves repeated calls.
/// </summary>
public sealed class GraphAccessTokenProvider : IAccessTokenProvider
{
    private readonly IOptions<GraphOptions> _graphOptions;
    private readonly IOptions<BotAuthenticationOptions> _botOptions;
    private readonly IMsalHttpClientFactory? _msalHttpClientFactory;
    private readonly Lazy<IConfidentialClientApplication> _app;

    /// <param name="msalHttpClientFactory">For tests (a fake token endpoint); production leaves it null.</param>
    public GraphAccessTokenProvider(
        IOptions<GraphOptions> graphOptions,
        IOptions<BotAuthenticationOptions> botOptions,
        IMsalHttpClientFactory? msalHttpClientFactory = null)
    {
        _graphOptions = graphOptions;
        _botOptions = botOptions;
        _msalHttpClientFactory = msalHttpClientFactory;
        _app = new Lazy<IConfidentialClientApplication>(CreateApplication);
        AllowedHostsValidator = new AllowedHostsValidator([new Uri(graphOptions.Value.BaseUrl).Host]);
    }

    public AllowedHostsValidator AllowedHostsValidator { get; }

    public async Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!AllowedHostsValidator.IsUrlHostValid(uri)) return string.Empty;
        try
        {
            var result = await _app.Value.AcquireTokenForClient([_graphOptions.Value.Scope]).ExecuteAsync(cancellationToken);
            return result.AccessToken;
        }
        catch (MsalException ex)
        {
            throw new TenantDirectoryException(
                $"Could not get a Microsoft Graph token for app {_botOptions.Value.MicrosoftAppId} in tenant {_botOptions.Value.MicrosoftAppTenantId}: {ex.Message}", ex);
        }
    }

    private IConfidentialClientApplication CreateApplication()
    {
        var bot = _botOptions.Value;
        var authority = _graphOptions.Value.LoginAuthority?.TrimEnd('/') ?? $"{BotAuthenticationOptions.PublicLoginBaseUrl}/{bot.MicrosoftAppTenantId}";
        var isPublicLogin = new Uri(authority).Host.Equals(new Uri(BotAuthenticationOptions.PublicLoginBaseUrl).Host, StringComparison.OrdinalIgnoreCase);
        var builder = ConfidentialClientApplicationBuilder.Create(bot.MicrosoftAppId)
            .WithClientSecret(bot.MicrosoftAppPassword)
            .WithAuthority(authority, validateAuthority: isPublicLogin);
        if (_msalHttpClientFactory is not null)
        {
            // A faked edge must see exactly the token request, whatever MSAL cached earlier in the process.
            builder = builder.WithHttpClientFactory(_msalHttpClientFactory).WithInstanceDiscovery(false);
        }
        else if (!isPublicLogin)
        {
            // Asking the public cloud about another cloud's (or a local) authority is wrong.
            builder = builder.WithInstanceDiscovery(false);
        }

        return builder.Build();
    }
}
