using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PorBot.Protocol.Auth;
using PorBot.Testing;

namespace PorBot.Protocol.Tests.Connector;

/// <summary>MSAL reads the managed identity endpoint from process-wide environment variables.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ManagedIdentityEnvironmentCollection
{
    public const string Name = "Managed identity environment variables";
}

[Collection(ManagedIdentityEnvironmentCollection.Name)]
public sealed class ManagedIdentityTokenProviderTests
{
    [Fact]
    public async Task GetAccessToken_UserAssignedMsi_AsksIdentityEndpointForBotFrameworkResourceOnce()
    {
        await using var endpoint = await FakeManagedIdentityEndpoint.StartAsync();
        using var environment = endpoint.UseEnvironment();
        var appId = Guid.NewGuid().ToString();
        var options = new BotAuthenticationOptions
        {
            MicrosoftAppType = BotAuthenticationOptions.UserAssignedMsi,
            MicrosoftAppId = appId,
            MicrosoftAppTenantId = Guid.NewGuid().ToString(),
        };
        // No HTTP factory: MSAL's own HttpClient talks to the local endpoint, as in App Service.
        var provider = new MsalBotTokenProvider(Options.Create(options), NullLogger<MsalBotTokenProvider>.Instance);

        var first = await provider.GetAccessTokenAsync(default);
        var second = await provider.GetAccessTokenAsync(default);

        Assert.Equal(endpoint.LastIssuedToken, first);
        Assert.Equal(first, second);
        var request = Assert.Single(endpoint.Requests);
        Assert.Equal("https://api.botframework.com", request.Query["resource"]);
        Assert.Equal(appId, request.Query["client_id"]);
        Assert.Equal(endpoint.IdentityHeader, request.IdentityHeader);
    }

    [Fact]
    public async Task UseEnvironment_Disposed_RestoresPreviousValues()
    {
        await using var endpoint = await FakeManagedIdentityEndpoint.StartAsync();
        var before = Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT");

        using (endpoint.UseEnvironment())
        {
            Assert.Equal(endpoint.Endpoint, Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT"));
        }

        Assert.Equal(before, Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT"));
    }
}
