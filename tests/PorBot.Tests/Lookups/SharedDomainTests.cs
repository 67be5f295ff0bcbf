using Microsoft.Extensions.DependencyInjection;
using PorBot.Lookups;

namespace PorBot.Tests.Lookups;

/// <summary>A domain normally names one customer; when the registry has it for two, the user picks.</summary>
public sealed class SharedDomainTests : IAsyncLifetime
{
    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await BotTestHost.StartAsync(
        services: s => s.AddSingleton<IPorRegistry>(sp => new SharedDomainRegistry(ActivatorUtilities.CreateInstance<SqlitePorRegistry>(sp))));

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task Lookup_DomainOfTwoCustomers_ListsBothWithTheirSubscriptionCounts()
    {
        var card = CardView.Of(await _bot.AskAsync($"lookup {SharedDomainRegistry.Domain}"));

        Assert.Equal("2 customers match", card.Texts[0]);
        Assert.Equal(["Adventure Works", "Woodgrove Bank"], card.Containers.Select(c => c.Texts[0]));
        Assert.Contains("2 subscriptions", card.Containers[0].Texts[1], StringComparison.Ordinal);
        Assert.Contains("1 subscription", card.Containers[1].Texts[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lookup_DomainOfOneCustomer_ShowsTheCustomer()
    {
        var card = CardView.Of(await _bot.AskAsync("lookup adventure-works.com"));

        Assert.Equal("Adventure Works", card.Texts[0]);
    }

    /// <summary>The sample registry, plus one domain under which Adventure Works' and Woodgrove's subscriptions both come back.</summary>
    private sealed class SharedDomainRegistry(IPorRegistry inner) : IPorRegistry
    {
        public const string Domain = "shared-holding.example";

        public async Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByDomainAsync(string domain, CancellationToken cancellationToken)
        {
            if (domain != Domain) return await inner.GetSubscriptionsByDomainAsync(domain, cancellationToken);
            var adventure = await inner.GetSubscriptionsByDomainAsync("adventure-works.com", cancellationToken);
            var woodgrove = await inner.GetSubscriptionAsync(Guid.Parse(Sample.WoodgroveAzure), cancellationToken);
            return [.. adventure, woodgrove!];
        }

        public Task<PartnerRecord?> GetPartnerByTenantAsync(Guid tenantId, CancellationToken cancellationToken) => inner.GetPartnerByTenantAsync(tenantId, cancellationToken);

        public Task<SubscriptionRecord?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken) => inner.GetSubscriptionAsync(subscriptionId, cancellationToken);

        public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByTenantAsync(Guid customerTenantId, CancellationToken cancellationToken) => inner.GetSubscriptionsByTenantAsync(customerTenantId, cancellationToken);

        public Task<IReadOnlyList<CustomerMatch>> SearchCustomersAsync(string query, int limit, CancellationToken cancellationToken) => inner.SearchCustomersAsync(query, limit, cancellationToken);

        public Task<PartnerRecord?> GetPartnerAsync(string partnerId, CancellationToken cancellationToken) => inner.GetPartnerAsync(partnerId, cancellationToken);

        public Task<IReadOnlyList<PartnerRecord>> SearchPartnersAsync(string query, int limit, CancellationToken cancellationToken) => inner.SearchPartnersAsync(query, limit, cancellationToken);

        public Task RecordPorChangeAsync(PorChange change, CancellationToken cancellationToken) => inner.RecordPorChangeAsync(change, cancellationToken);
    }
}
