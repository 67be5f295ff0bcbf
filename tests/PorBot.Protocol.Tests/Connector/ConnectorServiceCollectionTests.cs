using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Client;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Auth;
using PorBot.Protocol.Connector;
using PorBot.Testing;

namespace PorBot.Protocol.Tests.Connector;

public sealed class ConnectorServiceCollectionTests
{
    [Fact]
    public async Task AddBotConnector_WithAuth_ResolvesClientThatSendsTokenFromRegisteredMsalFactory()
    {
        await using var server = await FakeConnectorServer.StartAsync();
        using var tokens = new FakeTokenEndpoint();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IMsalHttpClientFactory>(tokens);
        services.Configure<BotAuthenticationOptions>(o =>
        {
            o.MicrosoftAppId = Guid.NewGuid().ToString();
            o.MicrosoftAppPassword = "secret";
        });
        services.AddBotConnector();
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<ServiceUrlTrust>().Trust(server.ServiceUrl);
        var client = provider.GetRequiredService<IConnectorClient>();
        await client.SendToConversationAsync(server.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default);

        Assert.IsType<ConnectorClient>(client);
        Assert.Same(provider.GetRequiredService<IBotTokenProvider>(), provider.GetRequiredService<IBotTokenProvider>());
        Assert.Equal("Bearer " + tokens.LastIssuedToken, Assert.Single(await server.WaitForActivitiesAsync(1)).Authorization);
    }
}
