using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PorBot.Protocol.Auth;

namespace PorBot.Protocol.Connector;

public static class ConnectorServiceCollectionExtensions
{
    /// <summary>Per attempt; retries come on top (see <see cref="ConnectorRetryPolicy"/>).</summary>
    public static readonly TimeSpan ConnectorRequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Registers the outbound side: <see cref="ServiceUrlTrust"/> and the MSAL token provider as
    /// singletons (one MSAL application per process, so its token cache works) and
    /// <see cref="IConnectorClient"/> as a typed HttpClient. Binding and validating
    /// <see cref="BotAuthenticationOptions"/> is the caller's job. Register an
    /// <c>IMsalHttpClientFactory</c> before the first token request to send MSAL's traffic elsewhere (tests).
    /// </summary>
    public static IServiceCollection AddBotConnector(this IServiceCollection services)
    {
        services.TryAddSingleton<ServiceUrlTrust>();
        services.TryAddSingleton<IBotTokenProvider, MsalBotTokenProvider>();
        // ConnectorClient logs what matters of each call (retries and failures, with the connector's error and
        // correlation id); the factory's per-request logging handlers would only add two layers to every reply.
        services.AddHttpClient<IConnectorClient, ConnectorClient>(client => client.Timeout = ConnectorRequestTimeout)
            .RemoveAllLoggers();
        return services;
    }
}
