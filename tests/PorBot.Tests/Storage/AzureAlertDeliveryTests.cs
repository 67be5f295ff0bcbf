using System.Diagnostics;
using PorBot.Conflicts;
using PorBot.Storage.AzureStorage;
using PorBot.Testing;
using PorBot.Tests.Conflicts;
using PorBot.Tests.Integrations;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Storage;

/// <summary>
/// A claim's alert fan-out delivered by two bot instances that share the outbox in Azure Storage (Azurite), through
/// the real pipeline: claim, outbox, worker, connector (fake), reconciliation through Graph (fake). Claims and
/// conflicts are still in SQLite (issue 7, part 2), so the two instances share one SQLite file for them.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureAlertDeliveryTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const int ChatsPerPartner = 12;

    private readonly string _prefix = AzuriteServer.NewTablePrefix();
    private readonly string _database = Path.Combine(Path.GetTempPath(), "porbot-tests", Guid.NewGuid().ToString("N"), "porbot.db");
    private readonly List<string> _chats = [];
    private FakeGraphServer _graph = null!;

    public async Task InitializeAsync() => _graph = await FakeGraphServer.StartAsync();

    public async Task DisposeAsync() => await _graph.DisposeAsync();

    private Task<BotTestHost> StartInstanceAsync(int maxParallelSends)
    {
        var settings = Claims.FastDeliverySettings();
        settings["Storage:Provider"] = "AzureStorage";
        settings["ConnectionStrings:AzureStorage"] = azurite.ConnectionString;
        settings["Storage:Azure:TablePrefix"] = _prefix;
        settings["Alerts:InstanceCount"] = "2";
        settings["Alerts:MaxParallelSends"] = maxParallelSends.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Alerts:ReconcileAfter"] = "00:00:00";
        settings["Graph:Enabled"] = "true";
        settings["Graph:BaseUrl"] = _graph.BaseUrl;
        return BotTestHost.StartAsync(authEnabled: true, databasePath: _database, settings: settings);
    }

    /// <summary>Personal chats for users of both parties, all served by <paramref name="bot"/>'s connector, which Graph reads.</summary>
    private async Task AddChatsAsync(BotTestHost bot)
    {
        _graph.Connector = bot.Connector;
        _graph.BotAppId = BotTestHost.AppId;
        foreach (var (tenant, party) in new[] { (Sample.ContosoTenant, "contoso"), (Sample.FabrikamTenant, "fabrikam") })
        {
            for (var i = 0; i < ChatsPerPartner; i++)
            {
                var user = Guid.NewGuid().ToString("D");
                var chat = $"a:{party}-{i}";
                await bot.AddConversationAsync(tenant, chat, user);
                _graph.AddPersonalChat(user, $"19:{party}-{i}_porbot@unq.gbl.spaces", chat);
                _chats.Add(chat);
            }
        }
    }

    private static async Task<IReadOnlyDictionary<string, int>> WaitUntilAllDeliveredAsync(IAlertOutbox outbox, int count)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var report = await outbox.GetStatusAsync(null, 10, default);
            if (report.CountsByStatus.GetValueOrDefault("Delivered") == count || clock.Elapsed > TimeSpan.FromSeconds(60)) return report.CountsByStatus;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task ClaimFanOut_TwoInstancesShareTheOutbox_EachConversationGetsItsAlertOnce()
    {
        await using var one = await StartInstanceAsync(maxParallelSends: 4);
        await using var two = await StartInstanceAsync(maxParallelSends: 4);
        Assert.IsType<AzureQueueAlertOutbox>(two.GetRequiredService<IAlertOutbox>());
        await AddChatsAsync(one);

        await two.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        var counts = await WaitUntilAllDeliveredAsync(one.GetRequiredService<IAlertOutbox>(), _chats.Count);
        Assert.Equal(new Dictionary<string, int> { ["Delivered"] = _chats.Count }, counts);
        var sends = one.Connector.Requests.Where(r => r.Operation == ConnectorOperation.SendToConversation).ToList();
        Assert.Equal(_chats.Order(StringComparer.Ordinal), sends.Select(s => s.ConversationId!).Order(StringComparer.Ordinal));
        Assert.All(_chats, chat => Assert.Single(one.Connector.Messages(chat)));
    }

    [Fact]
    public async Task ClaimFanOut_OneInstanceStopsMidFanOut_TheOtherFinishes_NoConversationShowsTheAlertTwice()
    {
        await using var one = await StartInstanceAsync(maxParallelSends: 2);
        var two = await StartInstanceAsync(maxParallelSends: 2);
        await AddChatsAsync(one);
        // Slow answers, so that the stop finds sends in flight, rows leased and rows read ahead on the stopping instance.
        one.Connector.AddRule(r => r.Operation == ConnectorOperation.SendToConversation, FakeConnectorResponse.Late(TimeSpan.FromMilliseconds(150)));

        await one.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await one.Connector.WaitForRequestsAsync(4, TimeSpan.FromSeconds(30), r => r.Operation == ConnectorOperation.SendToConversation);
        await two.DisposeAsync();
        var sentWhenItStopped = one.Connector.Requests.Count(r => r.Operation == ConnectorOperation.SendToConversation);

        // What it left is finished by the other: sends it never began go out, interrupted posts are looked for in the chat first.
        var counts = await WaitUntilAllDeliveredAsync(one.GetRequiredService<IAlertOutbox>(), _chats.Count);
        Assert.Equal(new Dictionary<string, int> { ["Delivered"] = _chats.Count }, counts);
        Assert.All(_chats, chat => Assert.Single(one.Connector.Messages(chat)));
        Assert.InRange(sentWhenItStopped, 4, _chats.Count - 1);
    }
}
