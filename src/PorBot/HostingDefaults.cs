using Microsoft.Extensions.Options;
using PorBot.Protocol.Auth;

namespace PorBot;

public static class HostingDefaultsExtensions
{
    private static readonly string[] UrlKeys = ["urls", "http_ports", "https_ports"];

    /// <summary>
    /// Without MicrosoftAppId the bot accepts unauthenticated activities (for local chat with the Agents
    /// Playground), exactly as the Bot Framework SDK does. That must never go unnoticed in a deployment.
    /// </summary>
    /// <summary>
    /// Bot Framework's usual port, http://localhost:3978, unless the host was told otherwise (--urls,
    /// ASPNETCORE_URLS, HTTP_PORTS as container images set, or Kestrel endpoints in configuration).
    /// </summary>
    public static IHostApplicationBuilder UseBotFrameworkDefaultPort(this WebApplicationBuilder builder)
    {
        var configured = UrlKeys.Any(key => !string.IsNullOrEmpty(builder.Configuration[key])) ||
                         builder.Configuration.GetSection("Kestrel:Endpoints").Exists();
        if (!configured) builder.WebHost.UseUrls("http://localhost:3978");
        return builder;
    }

    public static IHostApplicationBuilder AddLocalModeWarning(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<LocalModeWarning>();
        return builder;
    }

    private sealed class LocalModeWarning(IOptions<BotAuthenticationOptions> options, ILogger<LocalModeWarning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (options.Value.IsAuthenticationDisabled)
            {
                logger.LogWarning("""
                    ************************************************************************
                    LOCAL MODE: MicrosoftAppId is not set, so inbound requests are NOT
                    authenticated and replies carry no token. Fine for the Agents Playground
                    on your machine; never deploy like this. Set MicrosoftAppType,
                    MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId.
                    ************************************************************************
                    """);
            }
            else
            {
                logger.LogInformation("Bot authentication on for app {AppId} ({AppType})", options.Value.MicrosoftAppId, options.Value.MicrosoftAppType);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
