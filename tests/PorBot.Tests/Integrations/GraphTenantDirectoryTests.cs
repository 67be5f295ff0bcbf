using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;
using PorBot.Integrations.Graph;
using PorBot.Protocol.Auth;
using PorBot.Testing;

namespace PorBot.Tests.Integrations;

/// <summary>The real Graph SDK against a local fake Graph, with tokens from a fake MSAL token endpoint.</summary>
public sealed class GraphTenantDirectoryTests : IAsyncLifetime
{
    private const string AppId = "9a1c3f3e-5b4d-4c2a-8e8f-0d6b2f1a7c11";
    private static readonly Guid PartnerTenant = Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    private static readonly FakeTenant Contoso = new(Guid.Parse("7c9e6679-7425-40de-944b-e07fc1f90ae7"), "Contoso Ltd", "contoso.onmicrosoft.com", ["contoso.com", "contoso.onmicrosoft.com"]);

    private readonly FakeTokenEndpoint _tokens = new();
    private FakeGraphServer _graph = null!;

    public async Task InitializeAsync()
    {
        _graph = await FakeGraphServer.StartAsync();
        _graph.AddTenant(Contoso);
    }

    public async Task DisposeAsync()
    {
        await _graph.DisposeAsync();
        _tokens.Dispose();
    }

    [Fact]
    public async Task ResolveTenantById_Known_ReturnsOrganisationNameAndDefaultDomain_WithTheBotsGraphToken()
    {
        await using var services = Build();

        var tenant = await services.GetRequiredService<ITenantDirectory>().ResolveTenantByIdAsync(Contoso.TenantId, CancellationToken.None);

        Assert.Equal(new CustomerTenant(Contoso.TenantId, "Contoso Ltd", "contoso.onmicrosoft.com", null), tenant);
        var request = Assert.Single(_graph.Requests);
        Assert.Equal($"/v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{Contoso.TenantId:D}')", Uri.UnescapeDataString(request.PathAndQuery));
        Assert.Equal("Bearer " + _tokens.LastIssuedToken, request.Authorization);
        var tokenRequest = Assert.Single(_tokens.TokenRequests);
        Assert.Equal(PartnerTenant.ToString("D"), tokenRequest.Tenant);
        Assert.Equal("https://graph.microsoft.com/.default", tokenRequest.Form["scope"]);
        Assert.Equal(AppId, tokenRequest.Form["client_id"]);
        Assert.Equal("graph-secret", tokenRequest.Form["client_secret"]);
    }

    [Fact]
    public async Task ResolveTenantByDomain_Known_ReturnsTheOwningTenant()
    {
        await using var services = Build();

        var tenant = await services.GetRequiredService<ITenantDirectory>().ResolveTenantByDomainAsync(" Contoso.com ", CancellationToken.None);

        Assert.Equal((Contoso.TenantId, "Contoso Ltd", "contoso.onmicrosoft.com"), (tenant?.TenantId, tenant?.DisplayName, tenant?.DefaultDomainName));
        Assert.Equal("/v1.0/tenantRelationships/findTenantInformationByDomainName(domainName='Contoso.com')", Uri.UnescapeDataString(Assert.Single(_graph.Requests).PathAndQuery));
    }

    [Fact]
    public async Task ResolveTenant_UnknownIdOrDomain_ReturnsNull()
    {
        await using var services = Build();
        var directory = services.GetRequiredService<ITenantDirectory>();

        Assert.Null(await directory.ResolveTenantByIdAsync(Guid.NewGuid(), CancellationToken.None));
        Assert.Null(await directory.ResolveTenantByDomainAsync("nobody.example", CancellationToken.None));
        Assert.All(_graph.Requests, r => Assert.Equal(404, r.Status));
        Assert.Equal(2, _graph.Requests.Count);
    }

    [Theory]
    [InlineData("contoso.com') or (1 eq 1")]
    [InlineData("not a domain")]
    [InlineData("")]
    public async Task ResolveTenantByDomain_NotADomainName_ReturnsNullWithoutCallingGraph(string text)
    {
        await using var services = Build();

        Assert.Null(await services.GetRequiredService<ITenantDirectory>().ResolveTenantByDomainAsync(text, CancellationToken.None));
        Assert.Empty(_graph.Requests);
    }

    [Fact]
    public async Task ListGdapCustomers_SeveralPages_FollowsNextLinksAndReturnsEveryCustomer()
    {
        var customers = Enumerable.Range(1, 5).Select(i => new FakeTenant(Guid.NewGuid(), $"Customer {i}", $"c{i}.onmicrosoft.com", [])).ToList();
        customers.ForEach(_graph.AddGdapCustomer);
        await using var services = Build();

        var listed = await services.GetRequiredService<ITenantDirectory>().ListGdapCustomersAsync(CancellationToken.None);

        Assert.Equal(customers.Select(c => new GdapCustomer(c.TenantId, c.DisplayName)), listed);
        Assert.Equal(3, _graph.Requests.Count);
        Assert.Contains("$top=2", Uri.UnescapeDataString(_graph.Requests[0].PathAndQuery), StringComparison.Ordinal);
        Assert.EndsWith("$skiptoken=4", _graph.Requests[2].PathAndQuery, StringComparison.Ordinal);
        Assert.All(_graph.Requests, r => Assert.Equal("Bearer " + _tokens.LastIssuedToken, r.Authorization));
        Assert.Single(_tokens.TokenRequests); // MSAL's cache serves the later pages
    }

    [Fact]
    public async Task FindGdapCustomersInRegistry_ReturnsOnlyCustomersThatHaveSubscriptions()
    {
        var fabrikam = new FakeTenant(Guid.NewGuid(), "Fabrikam", "fabrikam.onmicrosoft.com", []);
        _graph.AddGdapCustomer(Contoso);
        _graph.AddGdapCustomer(fabrikam);
        await using var registryServer = await FakeRegistryServer.StartAsync();
        var office = RegistryTestServices.Subscription("Contoso Ltd", Contoso.TenantId, "contoso.com");
        registryServer.Add(office);
        registryServer.Add(RegistryTestServices.Subscription("Tailspin", Guid.NewGuid(), "tailspin.com"));
        await using var registryServices = RegistryTestServices.Build(registryServer);
        await using var services = Build();

        var links = await services.GetRequiredService<ITenantDirectory>().FindGdapCustomersInRegistryAsync(registryServices.Registry(), CancellationToken.None);

        var link = Assert.Single(links);
        Assert.Equal(new GdapCustomer(Contoso.TenantId, "Contoso Ltd"), link.Customer);
        Assert.Equal(office.SubscriptionId, Assert.Single(link.Subscriptions).SubscriptionId);
    }

    [Fact]
    public async Task GraphRefuses_ThrowsTenantDirectoryExceptionWithGraphsReason()
    {
        _graph.FailWith = HttpStatusCode.Forbidden;
        await using var services = Build();

        var ex = await Assert.ThrowsAsync<TenantDirectoryException>(() =>
            services.GetRequiredService<ITenantDirectory>().ListGdapCustomersAsync(CancellationToken.None));

        Assert.Contains("403", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Authorization_RequestDenied", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenEndpointRefuses_ThrowsTenantDirectoryExceptionWithTheAadstsText_GraphNotCalled()
    {
        _tokens.FailWithInvalidClient();
        await using var services = Build();

        var ex = await Assert.ThrowsAsync<TenantDirectoryException>(() =>
            services.GetRequiredService<ITenantDirectory>().ResolveTenantByIdAsync(Contoso.TenantId, CancellationToken.None));

        Assert.Contains("AADSTS7000215", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("graph-secret", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_graph.Requests);
    }

    [Fact]
    public async Task TokenProvider_HostOtherThanGraph_GetsNoToken()
    {
        await using var services = Build();
        var provider = services.GetRequiredService<GraphAccessTokenProvider>();

        Assert.Equal("", await provider.GetAuthorizationTokenAsync(new Uri("https://elsewhere.example/v1.0/me")));
        Assert.Empty(_tokens.TokenRequests);
        Assert.NotEqual("", await provider.GetAuthorizationTokenAsync(new Uri(_graph.BaseUrl + "/organization")));
    }

    [Fact]
    public async Task GraphDisabled_NoTenantDirectoryRegistered()
    {
        await using var services = Build(new Dictionary<string, string?> { ["Graph:Enabled"] = "false", ["MicrosoftAppTenantId"] = "" });

        Assert.Null(services.GetService<ITenantDirectory>());
    }

    [Fact]
    public void GraphEnabled_WithoutTenantOrSecret_FailsAtStartUpNamingTheKeys()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Build(new Dictionary<string, string?>
        {
            ["MicrosoftAppTenantId"] = "",
            ["MicrosoftAppPassword"] = "",
            ["Graph:BaseUrl"] = "http://graph.example.com/v1.0",
        }));

        Assert.Contains(ex.Failures, f => f.Contains("MicrosoftAppTenantId", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("MicrosoftAppPassword", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Graph:BaseUrl must use https", StringComparison.Ordinal));
    }

    private ServiceProvider Build(IDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["MicrosoftAppType"] = "SingleTenant",
            ["MicrosoftAppId"] = AppId,
            ["MicrosoftAppPassword"] = "graph-secret",
            ["MicrosoftAppTenantId"] = PartnerTenant.ToString("D"),
            ["Graph:Enabled"] = "true",
            ["Graph:BaseUrl"] = _graph.BaseUrl,
            ["Graph:PageSize"] = "2",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<BotAuthenticationOptions>().Bind(configuration);
        services.AddSingleton<IMsalHttpClientFactory>(_tokens);
        services.AddGraphEnrichment(configuration);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        provider.GetRequiredService<IStartupValidator>().Validate();
        return provider;
    }
}
