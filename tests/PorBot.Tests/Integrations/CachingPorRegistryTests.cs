using System.Net;
using PorBot.Integrations.Registry;
using PorBot.Lookups;

namespace PorBot.Tests.Integrations;

/// <summary>The cache in front of the remote registry, as AddRegistry wires it, against the fake registry.</summary>
public sealed class CachingPorRegistryTests : IAsyncLifetime
{
    private static readonly Guid ContosoTenant = Guid.Parse("7c9e6679-7425-40de-944b-e07fc1f90ae7");
    private static readonly DateTimeOffset Updated = DateTimeOffset.Parse("2025-10-30T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private FakeRegistryServer _server = null!;
    private FakeSubscription _office = null!;
    private FakeSubscription _azure = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeRegistryServer.StartAsync();
        _server.Add(new FakePartner("4412345", "Fabrikam Partners", "NL", [], Updated));
        _server.Add(new FakePartner("5512345", "Northwind Advisors", "US", [], Updated));
        _office = RegistryTestServices.Subscription("Contoso Ltd", ContosoTenant, "contoso.com", "Office365", por: "4412345");
        _azure = RegistryTestServices.Subscription("Contoso Ltd", ContosoTenant, "contoso.com", "Azure");
        _server.Add(_office);
        _server.Add(_azure);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AddRegistry_Remote_PutsTheCacheInFrontOfTheRemoteClient()
    {
        await using var services = RegistryTestServices.Build(_server);

        Assert.IsType<CachingPorRegistry>(services.Registry());
    }

    [Fact]
    public async Task SecondIdenticalLookup_ServedFromCache_RegistryCalledOnce()
    {
        await using var services = RegistryTestServices.Build(_server);
        var registry = services.Registry();

        for (var i = 0; i < 2; i++)
        {
            await registry.GetSubscriptionAsync(_office.SubscriptionId, CancellationToken.None);
            await registry.GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None);
            await registry.GetSubscriptionsByDomainAsync(i == 0 ? "contoso.com" : "CONTOSO.com", CancellationToken.None);
            await registry.SearchCustomersAsync(i == 0 ? "contoso" : " Contoso ", 5, CancellationToken.None);
            await registry.GetPartnerAsync("4412345", CancellationToken.None);
            await registry.GetPartnerByTenantAsync(ContosoTenant, CancellationToken.None);
            await registry.SearchPartnersAsync("fab", 5, CancellationToken.None);
            Assert.Null(await registry.GetSubscriptionAsync(Guid.Empty, CancellationToken.None)); // misses are cached too
        }

        Assert.Equal(8, _server.Requests.Count);
    }

    [Fact]
    public async Task CachedAnswer_KeepsWhenItWasRetrieved()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-01-05T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var services = RegistryTestServices.Build(_server, time: clock);
        var registry = services.Registry();
        var first = await registry.GetSubscriptionAsync(_office.SubscriptionId, CancellationToken.None);

        clock.Now += TimeSpan.FromMinutes(2);
        var second = await registry.GetSubscriptionAsync(_office.SubscriptionId, CancellationToken.None);

        Assert.Single(_server.Requests);
        Assert.Equal(first!.Provenance.RetrievedAt, second!.Provenance.RetrievedAt);
        Assert.Equal(clock.Now - TimeSpan.FromMinutes(2), second.Provenance.RetrievedAt);
    }

    [Fact]
    public async Task LookupAfterTheTtl_GoesBackToTheRegistry()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-01-05T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var services = RegistryTestServices.Build(_server, time: clock);
        var registry = services.Registry();
        await registry.GetSubscriptionAsync(_office.SubscriptionId, CancellationToken.None);

        clock.Now += TimeSpan.FromMinutes(4);
        await registry.GetSubscriptionAsync(_office.SubscriptionId, CancellationToken.None);
        clock.Now += TimeSpan.FromMinutes(2); // 6 minutes after the first answer, TTL 5
        var fresh = await registry.GetSubscriptionAsync(_office.SubscriptionId, CancellationToken.None);

        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(clock.Now, fresh!.Provenance.RetrievedAt);
    }

    [Fact]
    public async Task RecordPorChange_EvictsTheSubscriptionAndItsTenantAndDomainLists_KeepsOthers()
    {
        await using var services = RegistryTestServices.Build(_server);
        var registry = services.Registry();
        await registry.GetSubscriptionAsync(_office.SubscriptionId, CancellationToken.None);
        await registry.GetSubscriptionAsync(_azure.SubscriptionId, CancellationToken.None);
        await registry.GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None);
        await registry.GetSubscriptionsByDomainAsync("contoso.com", CancellationToken.None);
        await registry.GetPartnerAsync("5512345", CancellationToken.None);

        await registry.RecordPorChangeAsync(new PorChange(_office.SubscriptionId, "5512345", new DateOnly(2025, 11, 3), "Changed in Teams"), CancellationToken.None);
        var before = _server.Requests.Count;
        var record = await registry.GetSubscriptionAsync(_office.SubscriptionId, CancellationToken.None);
        var byTenant = await registry.GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None);
        var byDomain = await registry.GetSubscriptionsByDomainAsync("Contoso.com", CancellationToken.None);
        await registry.GetSubscriptionAsync(_azure.SubscriptionId, CancellationToken.None);
        await registry.GetPartnerAsync("5512345", CancellationToken.None);

        Assert.Equal("Northwind Advisors", record!.PorPartnerName);
        Assert.Equal("5512345", byTenant.Single(s => s.SubscriptionId == _office.SubscriptionId).PorPartnerId);
        Assert.Equal("5512345", byDomain.Single(s => s.SubscriptionId == _office.SubscriptionId).PorPartnerId);
        Assert.Equal(before + 3, _server.Requests.Count); // the other subscription and the partner stayed cached
    }

    [Fact]
    public async Task RecordPorChange_WhenOnlyTheTenantListWasCached_EvictsIt()
    {
        await using var services = RegistryTestServices.Build(_server);
        var registry = services.Registry();
        var stale = await registry.GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None);

        await registry.RecordPorChangeAsync(new PorChange(_azure.SubscriptionId, "4412345", new DateOnly(2025, 11, 3), "Changed in Teams"), CancellationToken.None);
        var fresh = await registry.GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None);

        Assert.Null(stale.Single(s => s.SubscriptionId == _azure.SubscriptionId).PorPartnerId);
        Assert.Equal("Fabrikam Partners", fresh.Single(s => s.SubscriptionId == _azure.SubscriptionId).PorPartnerName);
    }

    [Fact]
    public async Task RecordPorChange_ThatTimesOut_StillEvicts()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?>
        {
            ["Registry:MaxRetries"] = "0",
            ["Registry:Timeout"] = RegistryTestServices.ShortTimeout,
        });
        var registry = services.Registry();
        await registry.GetSubscriptionAsync(_azure.SubscriptionId, CancellationToken.None);
        _server.DelayNext(1, TimeSpan.FromSeconds(5));

        await Assert.ThrowsAsync<RegistryUnavailableException>(() => registry.RecordPorChangeAsync(
            new PorChange(_azure.SubscriptionId, "4412345", new DateOnly(2025, 11, 3), "Changed in Teams"), CancellationToken.None));
        await registry.GetSubscriptionAsync(_azure.SubscriptionId, CancellationToken.None);

        Assert.Equal(2, _server.CountRequests($"subscriptions/{_azure.SubscriptionId:D}") - _server.Requests.Count(r => r.Method == "PUT"));
    }

    [Fact]
    public async Task FailedLookup_IsNotCached()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?> { ["Registry:MaxRetries"] = "0" });
        var registry = services.Registry();
        _server.FailNext(1, HttpStatusCode.InternalServerError);

        await Assert.ThrowsAsync<RegistryUnavailableException>(() => registry.GetPartnerAsync("4412345", CancellationToken.None));
        var partner = await registry.GetPartnerAsync("4412345", CancellationToken.None);

        Assert.Equal("Fabrikam Partners", partner?.Name);
    }

    [Fact]
    public async Task SizeLimit_NeverExceeded_AnswersBeyondItComeFromTheRegistryAgain()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?> { ["Registry:CacheSizeLimit"] = "2" });
        var registry = (CachingPorRegistry)services.Registry();
        var ids = new[] { _office.SubscriptionId, _azure.SubscriptionId, Guid.NewGuid() };

        for (var round = 0; round < 2; round++)
        {
            foreach (var id in ids)
            {
                await registry.GetSubscriptionAsync(id, CancellationToken.None);
                Assert.InRange(registry.CachedRecords, 0, 2);
            }
        }

        var tenantList = await registry.GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None);
        Assert.InRange(registry.CachedRecords, 0, 2);
        Assert.Equal(2, tenantList.Count);
        Assert.InRange(_server.CountRequests("subscriptions/"), 4, 6); // three distinct lookups could not all stay cached
    }

    [Fact]
    public async Task LargeList_CountsEveryRecordAgainstTheLimit()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?> { ["Registry:CacheSizeLimit"] = "1" });
        var registry = services.Registry();

        await registry.GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None);
        await registry.GetSubscriptionsByTenantAsync(ContosoTenant, CancellationToken.None);

        Assert.Equal(2, _server.Requests.Count); // two records do not fit a one-record cache
    }

    [Fact]
    public async Task CacheTtlZero_TurnsTheCacheOff()
    {
        await using var services = RegistryTestServices.Build(_server, new Dictionary<string, string?> { ["Registry:CacheTtl"] = "00:00:00" });

        Assert.IsType<RemoteRegistryClient>(services.Registry());
        await services.Registry().GetPartnerAsync("4412345", CancellationToken.None);
        await services.Registry().GetPartnerAsync("4412345", CancellationToken.None);
        Assert.Equal(2, _server.Requests.Count);
    }
}
