using Microsoft.Data.Sqlite;
using PorBot.Tests.Conflicts;

namespace PorBot.Tests.Lookups;

/// <summary>
/// The bot keeps its SQLite connections and prepared statements from turn to turn: a change made meanwhile — by the
/// import CLI in another process, or by the bot's own claim flow — still shows in the very next lookup.
/// </summary>
public sealed class LookupFreshnessTests : IAsyncLifetime
{
    // Litware Inc: one subscription, Fabrikam (5523456) is POR.
    private const string LitwareSubscription = "3f4a5b6c-7d8e-4f0a-9b1c-2d3e4f5a6b16";

    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await BotTestHost.StartAsync();

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task TenantMappedToAPartnerOutsideTheBot_NextLookupShowsTheRegistry()
    {
        var before = CardView.Of(await _bot.AskAsync("lookup adventure-works.com", Sample.UnmappedTenant));
        Assert.Equal("Lookups need a registered partner organisation", before.Texts[0]);

        await WriteAsImporterAsync("INSERT INTO partner_tenants (tenant_id, partner_id) VALUES ($tenant, '4412345')", ("$tenant", Sample.UnmappedTenant));

        var after = CardView.Of(await _bot.AskAsync("lookup adventure-works.com", Sample.UnmappedTenant));
        Assert.Equal("Adventure Works", after.Texts[0]);
        Assert.Equal("Contoso Cloud Partners (4412345)", Por(after, Sample.AdventureWorksAzure));
    }

    [Fact]
    public async Task TenantUnmappedOutsideTheBot_NextLookupShowsNothingOfTheRegistry()
    {
        Assert.Equal("Adventure Works", CardView.Of(await _bot.AskAsync("lookup adventure-works.com", Sample.FabrikamTenant)).Texts[0]);

        await WriteAsImporterAsync("DELETE FROM partner_tenants WHERE tenant_id = $tenant", ("$tenant", Sample.FabrikamTenant));

        var after = CardView.Of(await _bot.AskAsync("lookup adventure-works.com", Sample.FabrikamTenant));
        Assert.Equal("Lookups need a registered partner organisation", after.Texts[0]);
        Assert.DoesNotContain("Fabrikam", after.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PorChangedOutsideTheBot_NextLookupShowsTheNewPor()
    {
        var before = CardView.Of(await _bot.AskAsync("lookup adventure-works.com", Sample.ContosoTenant));
        Assert.Equal("Contoso Cloud Partners (4412345)", Por(before, Sample.AdventureWorksAzure));

        await WriteAsImporterAsync("UPDATE subscriptions SET por_partner_id = '5523456' WHERE subscription_id = $id", ("$id", Sample.AdventureWorksAzure));

        var after = CardView.Of(await _bot.AskAsync("lookup adventure-works.com", Sample.ContosoTenant));
        Assert.Equal("Another partner is listed", Por(after, Sample.AdventureWorksAzure));
        Assert.DoesNotContain("You are the Partner of Record", after.Texts);
    }

    [Fact]
    public async Task ClaimMadeBetweenLookups_NextLookupShowsThePorToTheClaimant()
    {
        var before = CardView.Of(await _bot.AskAsync("lookup litware.com", Sample.ContosoTenant));
        Assert.Equal("Another partner is listed", Assert.Single(before.Containers).Fact("Partner of Record"));

        await _bot.ClaimAsync(Guid.Parse(LitwareSubscription), "4412345");

        var subscription = Assert.Single(CardView.Of(await _bot.AskAsync("lookup litware.com", Sample.ContosoTenant)).Containers);
        Assert.Equal("Fabrikam Consulting (5523456)", subscription.Fact("Partner of Record"));
        Assert.Contains("You have a claim on this subscription.", subscription.Texts);
    }

    /// <summary>A write on a connection of its own, as the import CLI makes it from another process.</summary>
    private async Task WriteAsImporterAsync(string sql, (string Name, string Value) parameter)
    {
        await using var connection = new SqliteConnection($"Data Source={_bot.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue(parameter.Name, parameter.Value);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private static string? Por(CardView card, string subscriptionId) =>
        card.Containers.Single(c => c.Fact("Subscription") == subscriptionId).Fact("Partner of Record");
}
