using System.Diagnostics;
using System.Net;
using System.Text.Json;
using PorBot.Integrations.Registry;
using PorBot.Lookups;

namespace PorBot.Tests.Integrations;

public sealed class RemoteRegistryClientTests : IAsyncLifetime
{
    private static readonly Guid ContosoTenant = Guid.Parse("7c9e6679-7425-40de-944b-e07fc1f90ae7");
    private static readonly Guid FabrikamTenant = Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    private static readonly DateTimeOffset PartnerUpdatedAt = DateTimeOffset.Parse("2025-10-30T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private FakeRegistryServer _server = null!;
    private FakeSubscription _contosoOffice = null!;
    private FakeSubscription _contosoAzure = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeRegistryServer.StartAsync();
        _server.Add(new FakePartner("4412345", "Fabrikam Partners", "NL", [FabrikamTenant], PartnerUpdatedAt));
        _server.Add(new FakePartner("5512345", "Northwind Advisors", null, [], PartnerUpdatedAt));
        _contosoOffice = RegistryTestServices.Subscription("Contoso Ltd", ContosoTenant, "contoso.com", "Office365", por: "4412345");
        _contosoAzure = RegistryTestServices.Subscription("Contoso Ltd", ContosoTenant, "contoso.com", "Azure") with { Program = "EA" };
        _server.Add(_contosoOffice);
        _server.Add(_contosoAzure);
        _server.Add(RegistryTestServices.Subscription("Contoso Pharma", Guid.NewGuid(), "contosopharma.com"));
        _server.Add(RegistryTestServices.Subscription("Tailspin Toys", Guid.NewGuid(), null));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetSubscription_Known_MapsEveryFieldWithRegistryProvenance()
    {
        await using var services = RegistryTestServices.Build(_server);
        var before = DateTimeOffset.UtcNow;

        var record = await services.Registry().GetSubscriptionAsync(_contosoOffice.SubscriptionId, CancellationToken.None);

        Assert.NotNull(record);
        Assert.Equal(_contosoOffice.SubscriptionId, record.SubscriptionId);
        Assert.Equal("Contoso Ltd", record.CustomerName);
        Assert.Equal(ContosoTenant, record.CustomerTenantId);
        Assert.Equal("contoso.com", record.CustomerDomain);
        Assert.Equal(PurchaseProgram.CSP, record.Program);
        Assert.Equal(Product.Office365, record.Product);
        Assert.Equal("4412345", record.PorPartnerId);
        Assert.Equal("Fabrikam Partners", record.PorPartnerName);
        Assert.Equal(new DateOnly(2024, 3, 1), record.PorSince);
        Assert.Equal("registry:127.0.0.1", record.Provenance.Source);
        Assert.Equal(_contosoOffice.UpdatedAt, record.Provenance.UpdatedAt);
        Assert.InRange(record.Provenance.RetrievedAt, before, DateTimeOffset.UtcNow);
        Assert.Equal($"/api/v1/subscriptions/{_contosoOffice.SubscriptionId:D}", Assert.Single(_server.Requests).PathAndQuery);
    }

    [Fact]
    public async Task GetSubscription_Unknown_ReturnsNull()
    {
        await using var services = RegistryTestServices.Build(_server);

        Assert.Null(await services.Registry().GetSubscriptionAsync(Guid.NewGuid(), CancellationToken.None));
        Assert.Single(_server.Requests); // a 404 is an answer, not a fault: no retry
    }

    [Fact]
    public async Task GetSubscriptionsByTenant_ReturnsThatCustomersSubscriptionsOnly()
    {
        await using var services = RegistryTestServices.Build(_server);

        var records = await services.Registry().GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None);

        Assert.Equal([_contosoAzure.SubscriptionId, _contosoOffice.SubscriptionId], records.Select(r => r.SubscriptionId));
        var azure = records[0];
        Assert.Equal((PurchaseProgram.EA, Product.Azure, null as string, null as DateOnly?), (azure.Program, azure.Product, azure.PorPartnerId, azure.PorSince));
        Assert.Equal($"/api/v1/subscriptions?tenantId={ContosoTenant:D}", Assert.Single(_server.Requests).PathAndQuery);
    }

    [Fact]
    public async Task GetSubscriptionsByDomain_DifferentCase_FindsTheDomainsSubscriptions()
    {
        await using var services = RegistryTestServices.Build(_server);

        var records = await services.Registry().GetSubscriptionsByDomainAsync(" Contoso.COM ", CancellationToken.None);

        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal(ContosoTenant, r.CustomerTenantId));
        Assert.Empty(await services.Registry().GetSubscriptionsByDomainAsync("nobody.example", CancellationToken.None));
    }

    [Fact]
    public async Task SearchCustomers_SendsEscapedTextAndLimit_ReturnsMatchesInRegistryOrder()
    {
        await using var services = RegistryTestServices.Build(_server);

        var matches = await services.Registry().SearchCustomersAsync("contoso", 5, CancellationToken.None);
        var none = await services.Registry().SearchCustomersAsync("a&b=c", 5, CancellationToken.None);

        Assert.Equal(["Contoso Ltd", "Contoso Pharma"], matches.Select(m => m.CustomerName));
        Assert.Equal((ContosoTenant, "contoso.com", 2), (matches[0].CustomerTenantId, matches[0].CustomerDomain, matches[0].SubscriptionCount));
        Assert.Empty(none);
        Assert.Equal("/api/v1/customers?search=a%26b%3Dc&limit=5", _server.Requests[^1].PathAndQuery);
    }

    [Fact]
    public async Task SearchCustomers_LimitOne_ReturnsOnlyTheBestMatch()
    {
        await using var services = RegistryTestServices.Build(_server);

        var matches = await services.Registry().SearchCustomersAsync("Contoso", 1, CancellationToken.None);

        Assert.Equal("Contoso Ltd", Assert.Single(matches).CustomerName);
    }

    [Fact]
    public async Task GetPartner_KnownAndUnknownId_MapsPartnerOrNull()
    {
        await using var services = RegistryTestServices.Build(_server);

        var partner = await services.Registry().GetPartnerAsync("4412345", CancellationToken.None);
        var unknown = await services.Registry().GetPartnerAsync("7777777", CancellationToken.None);

        Assert.NotNull(partner);
        Assert.Equal(("4412345", "Fabrikam Partners", "NL"), (partner.PartnerId, partner.Name, partner.Country));
        Assert.Equal([FabrikamTenant], partner.TenantIds);
        Assert.Equal(new Provenance("registry:127.0.0.1", PartnerUpdatedAt, partner.Provenance.RetrievedAt), partner.Provenance);
        Assert.Null(unknown);
    }

    [Fact]
    public async Task GetPartnerByTenant_MappedAndUnmappedTenant_ReturnsPartnerOrNull()
    {
        await using var services = RegistryTestServices.Build(_server);

        Assert.Equal("4412345", (await services.Registry().GetPartnerByTenantAsync(FabrikamTenant, CancellationToken.None))?.PartnerId);
        Assert.Null(await services.Registry().GetPartnerByTenantAsync(ContosoTenant, CancellationToken.None));
    }

    [Fact]
    public async Task SearchPartners_ByName_ReturnsMatchingPartners()
    {
        await using var services = RegistryTestServices.Build(_server);

        var partners = await services.Registry().SearchPartnersAsync("north", 10, CancellationToken.None);

        var northwind = Assert.Single(partners);
        Assert.Equal(("5512345", null as string), (northwind.PartnerId, northwind.Country));
        Assert.Empty(northwind.TenantIds);
    }

    [Fact]
    public async Task RecordPorChange_KnownSubscription_PutsChangeAndLookupShowsNewPor()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?> { ["Registry:CacheTtl"] = "00:00:00" });

        await services.Registry().RecordPorChangeAsync(
            new PorChange(_contosoAzure.SubscriptionId, "5512345", new DateOnly(2025, 11, 3), "Changed in Teams"), CancellationToken.None);
        var record = await services.Registry().GetSubscriptionAsync(_contosoAzure.SubscriptionId, CancellationToken.None);

        var put = _server.Requests[0];
        Assert.Equal(("PUT", $"/api/v1/subscriptions/{_contosoAzure.SubscriptionId:D}/por"), (put.Method, put.PathAndQuery));
        using var body = JsonDocument.Parse(put.Body);
        Assert.Equal("5512345", body.RootElement.GetProperty("partnerId").GetString());
        Assert.Equal("2025-11-03", body.RootElement.GetProperty("effectiveFrom").GetString());
        Assert.Equal("Changed in Teams", body.RootElement.GetProperty("reason").GetString());
        Assert.Equal(("5512345", "Northwind Advisors", new DateOnly(2025, 11, 3)), (record!.PorPartnerId, record.PorPartnerName, record.PorSince));
    }

    [Fact]
    public async Task RecordPorChange_UnknownSubscription_ThrowsKeyNotFound()
    {
        await using var services = RegistryTestServices.Build(_server);

        await Assert.ThrowsAsync<KeyNotFoundException>(() => services.Registry().RecordPorChangeAsync(
            new PorChange(Guid.NewGuid(), "5512345", new DateOnly(2025, 11, 3), "test"), CancellationToken.None));
    }

    [Fact]
    public async Task RecordPorChange_UnknownPartner_ThrowsRejectedWithTheRegistrysReason()
    {
        await using var services = RegistryTestServices.Build(_server);

        var ex = await Assert.ThrowsAsync<RegistryChangeRejectedException>(() => services.Registry().RecordPorChangeAsync(
            new PorChange(_contosoAzure.SubscriptionId, "9999999", new DateOnly(2025, 11, 3), "test"), CancellationToken.None));

        Assert.Contains("Partner 9999999 is not in the registry", ex.Message, StringComparison.Ordinal);
        Assert.Null(_server.Subscription(_contosoAzure.SubscriptionId).PorPartnerId);
    }

    [Fact]
    public async Task EveryCall_SendsTheApiKeyAsBearerToken()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?> { ["Registry:CacheTtl"] = "00:00:00" });
        var registry = services.Registry();

        await registry.GetSubscriptionAsync(_contosoOffice.SubscriptionId, CancellationToken.None);
        await registry.GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None);
        await registry.GetSubscriptionsByDomainAsync("contoso.com", CancellationToken.None);
        await registry.SearchCustomersAsync("contoso", 5, CancellationToken.None);
        await registry.GetPartnerAsync("4412345", CancellationToken.None);
        await registry.GetPartnerByTenantAsync(FabrikamTenant, CancellationToken.None);
        await registry.SearchPartnersAsync("fab", 5, CancellationToken.None);
        await registry.RecordPorChangeAsync(new PorChange(_contosoAzure.SubscriptionId, null, new DateOnly(2025, 11, 3), "clear"), CancellationToken.None);

        Assert.Equal(8, _server.Requests.Count);
        Assert.All(_server.Requests, r => Assert.Equal("Bearer " + FakeRegistryServer.ApiKey, r.Authorization));
        Assert.All(_server.Requests, r => Assert.InRange(r.Status, 200, 299));
    }

    [Fact]
    public async Task WrongApiKey_ThrowsUnavailableNamingTheKey_WithoutRetrying()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?> { ["Registry:ApiKey"] = "stale-key-S3CRET" });

        var ex = await Assert.ThrowsAsync<RegistryUnavailableException>(() =>
            services.Registry().GetSubscriptionAsync(_contosoOffice.SubscriptionId, CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Contains("Registry:ApiKey", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("S3CRET", ex.Message, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task SlowRegistry_EveryAttemptTimesOut_RetriedThenUnavailable()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?> { ["Registry:Timeout"] = RegistryTestServices.ShortTimeout });
        _server.FailAlways(null, delay: TimeSpan.FromSeconds(5));
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RegistryUnavailableException>(() =>
            services.Registry().GetSubscriptionAsync(_contosoOffice.SubscriptionId, CancellationToken.None));

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(1450), TimeSpan.FromSeconds(4.5));
        Assert.Contains("did not answer within 0.5 s, 3 attempt(s)", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsCircuitOpen);
        await WaitForAsync(() => _server.Requests.Count == 3);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task OneSlowAnswer_RetriedAndTheLookupSucceeds()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?> { ["Registry:Timeout"] = RegistryTestServices.ShortTimeout });
        _server.DelayNext(1, TimeSpan.FromSeconds(5));

        var record = await services.Registry().GetSubscriptionAsync(_contosoOffice.SubscriptionId, CancellationToken.None);

        Assert.Equal("Contoso Ltd", record?.CustomerName);
        await WaitForAsync(() => _server.Requests.Count == 2);
        Assert.Equal([200, 499], _server.Requests.Select(r => r.Status).Order());
    }

    [Fact]
    public async Task ServerError500_OnEveryAttempt_ThrowsUnavailableWithTheStatus()
    {
        await using var services = RegistryTestServices.Build(_server);
        _server.FailAlways(HttpStatusCode.InternalServerError);

        var ex = await Assert.ThrowsAsync<RegistryUnavailableException>(() =>
            services.Registry().SearchCustomersAsync("contoso", 5, CancellationToken.None));

        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Contains("answered 500", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task ServerError500_Once_RetriedAndTheLookupSucceeds()
    {
        await using var services = RegistryTestServices.Build(_server);
        _server.FailNext(1, HttpStatusCode.ServiceUnavailable);

        var partner = await services.Registry().GetPartnerAsync("4412345", CancellationToken.None);

        Assert.Equal("Fabrikam Partners", partner?.Name);
        Assert.Equal([503, 200], _server.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task RepeatedFailures_OpenTheCircuit_NextCallFailsFastWithoutReachingTheRegistry_ThenRecovers()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?>
        {
            ["Registry:MaxRetries"] = "0",
            ["Registry:CircuitMinimumThroughput"] = "4",
            ["Registry:CacheTtl"] = "00:00:00",
        });
        var registry = services.Registry();
        _server.FailAlways(HttpStatusCode.InternalServerError);
        for (var i = 0; i < 4; i++)
        {
            var failure = await Assert.ThrowsAsync<RegistryUnavailableException>(() => registry.GetPartnerAsync("4412345", CancellationToken.None));
            Assert.False(failure.IsCircuitOpen);
        }

        var reached = _server.Requests.Count;
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RegistryUnavailableException>(() => registry.GetPartnerAsync("4412345", CancellationToken.None));
        clock.Stop();

        Assert.True(ex.IsCircuitOpen);
        Assert.Contains("circuit open", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, reached);
        Assert.Equal(reached, _server.Requests.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");

        _server.Heal();
        await Task.Delay(TimeSpan.FromMilliseconds(600)); // CircuitBreakDuration 0.5 s
        Assert.Equal("Fabrikam Partners", (await registry.GetPartnerAsync("4412345", CancellationToken.None))?.Name);
    }

    [Fact]
    public async Task UnreachableRegistry_ThrowsUnavailable()
    {
        var port = await ClosedPortAsync();
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?>
        {
            ["Registry:BaseUrl"] = $"http://127.0.0.1:{port}/",
            ["Registry:MaxRetries"] = "1",
        });

        var ex = await Assert.ThrowsAsync<RegistryUnavailableException>(() =>
            services.Registry().GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None));

        Assert.Contains("could not be reached", ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.StatusCode);
    }

    [Fact]
    public async Task AnswerBreakingTheContract_ThrowsUnavailableSayingWhatWasWrong()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?> { ["Registry:CacheTtl"] = "00:00:00" });
        var unknownProgram = $$"""
            {"subscriptionId":"{{_contosoOffice.SubscriptionId}}","customerName":"Contoso Ltd","customerTenantId":"{{ContosoTenant}}",
             "program":"Galactic","product":"Office365","updatedAt":"2025-11-02T08:15:00Z"}
            """;
        _server.AnswerNext(HttpStatusCode.OK, unknownProgram);
        _server.AnswerNext(HttpStatusCode.OK, """{"customerName":"no id"}""");

        var badEnum = await Assert.ThrowsAsync<RegistryUnavailableException>(() =>
            services.Registry().GetSubscriptionAsync(_contosoOffice.SubscriptionId, CancellationToken.None));
        var missingFields = await Assert.ThrowsAsync<RegistryUnavailableException>(() =>
            services.Registry().GetSubscriptionAsync(_contosoOffice.SubscriptionId, CancellationToken.None));

        Assert.Contains("program 'Galactic'", badEnum.Message, StringComparison.Ordinal);
        Assert.Contains("does not follow the registry contract", missingFields.Message, StringComparison.Ordinal);
    }

    private static async Task<int> ClosedPortAsync()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await Task.Yield();
        return port;
    }

    // The server logs a timed-out request only once it notices the client went away.
    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(50);
    }
}
