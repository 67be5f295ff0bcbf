using Microsoft.Extensions.DependencyInjection;
using PorBot.Protocol.Auth;

namespace PorBot.Protocol.Connector;

// STUB: the connector helper replaces this file.
public static class ConnectorServiceCollectionExtensions
{
    public static IServiceCollection AddBotConnector(this IServiceCollection services)
    {
        services.AddSingleton<ServiceUrlTrust>();
        services.AddSingleton<IBotTokenProvider, MsalBotTokenProvider>();
        services.AddHttpClient<IConnectorClient, ConnectorClient>();
        return services;
    }
}
