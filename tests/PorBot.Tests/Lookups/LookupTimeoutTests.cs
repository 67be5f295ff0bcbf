using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PorBot.Lookups;

namespace PorBot.Tests.Lookups;

/// <summary>A registry that hangs must not hold an answer past the lookup budget (Teams gives a message extension 5 s).</summary>
public sealed class LookupTimeoutTests : IAsyncLifetime
{
    private BotTestHost _bot = null!;
    private HangingRegistry _registry = null!;

    public async Task InitializeAsync() => _bot = await BotTestHost.StartAsync(
        settings: new Dictionary<string, string?> { ["PorBot:LookupTimeout"] = "00:00:00.300" },
        services: s => s.AddSingleton<IPorRegistry>(sp => _registry = new HangingRegistry(ActivatorUtilities.CreateInstance<SqlitePorRegistry>(sp))));

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task Chat_RegistryHangs_SaysTryAgainWithinTheBudget()
    {
        var watch = Stopwatch.StartNew();

        var reply = await _bot.AskAsync("lookup litware.com");

        Assert.Equal(LookupChat.TimeoutText, reply.Text);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        // An adapter that listens is told to stop at the budget, instead of working on for nobody.
        Assert.True(_registry.LastToken.IsCancellationRequested);
    }

    [Fact]
    public async Task MessageExtension_RegistryHangs_AnswersAFriendlyMessageWithinTheBudget()
    {
        var watch = Stopwatch.StartNew();

        var (_, body) = await _bot.SearchAsync("Adventure");

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        Assert.Equal("message", body.GetProperty("composeExtension").GetProperty("type").GetString());
        Assert.Equal(LookupChat.TimeoutText, body.GetProperty("composeExtension").GetProperty("text").GetString());
    }

    /// <summary>The real registry behind a stall that ignores cancellation, like a stuck network call without a timeout.</summary>
    private sealed class HangingRegistry(IPorRegistry inner) : IPorRegistry
    {
        private static readonly TimeSpan Stall = TimeSpan.FromSeconds(4);

        public CancellationToken LastToken { get; private set; }

        public async Task<PartnerRecord?> GetPartnerByTenantAsync(Guid tenantId, CancellationToken cancellationToken)
        {
            LastToken = cancellationToken;
            await Task.Delay(Stall, CancellationToken.None);
            return await inner.GetPartnerByTenantAsync(tenantId, CancellationToken.None);
        }

        public Task<SubscriptionRecord?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken) => inner.GetSubscriptionAsync(subscriptionId, cancellationToken);

        public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByTenantAsync(Guid customerTenantId, CancellationToken cancellationToken) => inner.GetSubscriptionsByTenantAsync(customerTenantId, cancellationToken);

        public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByDomainAsync(string domain, CancellationToken cancellationToken) => inner.GetSubscriptionsByDomainAsync(domain, cancellationToken);

        public Task<IReadOnlyList<CustomerMatch>> SearchCustomersAsync(string query, int limit, CancellationToken cancellationToken) => inner.SearchCustomersAsync(query, limit, cancellationToken);

        public Task<PartnerRecord?> GetPartnerAsync(string partnerId, CancellationToken cancellationToken) => inner.GetPartnerAsync(partnerId, cancellationToken);

        public Task<IReadOnlyList<PartnerRecord>> SearchPartnersAsync(string query, int limit, CancellationToken cancellationToken) => inner.SearchPartnersAsync(query, limit, cancellationToken);

        public Task RecordPorChangeAsync(PorChange change, CancellationToken cancellationToken) => inner.RecordPorChangeAsync(change, cancellationToken);
    }
}
