using System.Collections.Concurrent;
using Stopwatch = System.Diagnostics.Stopwatch;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PorBot.Protocol.Activities;
using PorBot.Testing;
using PorBot.Tests.Conflicts;
using PorBot.Tests.Guidance;
using PorBot.Tests.Integrations;
using PorBot.Tests.Lookups;
using Xunit.Abstractions;

namespace PorBot.Tests.Storage;

/// <summary>
/// Issue 7's proof: two real bot processes on different ports, each with its own SQLite file, sharing one Azurite
/// (<c>Storage:Provider=AzureStorage</c>), as two instances behind a load balancer would. One user's dialog moves
/// between them mid-way; a claim's fan-out is worked by both outbox workers, one of them is killed with SIGKILL
/// mid-fan-out, and the other finishes: every conversation shows its alert exactly once.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed partial class TwoInstanceTests(AzuriteFixture azurite, ITestOutputHelper output) : IAsyncLifetime
{
    private const int ChatsPerPartner = 150;
    private const int Alerts = 2 * ChatsPerPartner;

    // The instance that sends this post never hears back: its answer is held until long after the kill.
    private const int HeldPost = 40;

    private const string OperatorChat = "a:two-instances-operator";

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(90);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "porbot-two-instances", Guid.NewGuid().ToString("N"));
    private readonly string _prefix = AzuriteServer.NewTablePrefix();
    private readonly ConcurrentDictionary<ConnectorRequest, int> _postNumbers = new(ReferenceEqualityComparer.Instance);
    private FakedCloud _cloud = null!;
    private FakeConnectorServer _connector = null!;
    private FakeGraphServer _graph = null!;
    private FakeChannelAuthority _channel = null!;

    public async Task InitializeAsync()
    {
        _cloud = await FakedCloud.StartAsync(_directory);
        (_connector, _graph, _channel) = (_cloud.Connector, _cloud.Graph, _cloud.Channel);

        var posts = 0;
        _connector.AddRule(r =>
        {
            if (r.Operation == ConnectorOperation.SendToConversation && r.ConversationId!.StartsWith("a:two-chat-", StringComparison.Ordinal) && r.BodyText.Contains("porbot-delivery-", StringComparison.Ordinal))
                _postNumbers[r] = Interlocked.Increment(ref posts);
            return false;
        }, FakeConnectorResponse.Late(TimeSpan.Zero));
        _connector.AddRule(r => _postNumbers.GetValueOrDefault(r) == HeldPost, FakeConnectorResponse.Late(TimeSpan.FromMinutes(3)));
    }

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    [Fact]
    public async Task OneUsersDialog_AlternatingBetweenTwoProcesses_ContinuesWhereTheOtherLeftIt()
    {
        await using var one = await StartAsync("one");
        await using var two = await StartAsync("two");
        var chat = "a:two-instances-dialog";

        var step1 = await SayAsync(one, chat, "por guide");
        var step2 = await ClickAsync(two, chat, step1, "Azure");
        var scenario = await ClickAsync(one, chat, step2, "Microsoft Online Services Agreement (MOSA)");
        var stale = await ClickAsync(two, chat, step1, "Intune");

        Assert.Contains("How did the customer buy **Azure**?", step2.Text, StringComparison.Ordinal);
        Assert.Contains("POR guide: Azure · Microsoft Online Services Agreement (MOSA)", scenario.Text, StringComparison.Ordinal);
        Assert.Contains("That button is from an earlier step", stale.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FanOut_WorkedByBothProcesses_OneKilledMidway_TheOtherFinishes_EachAlertShownOnce()
    {
        var clock = Stopwatch.StartNew();
        await using var survivor = await StartAsync("survivor");
        await using var victim = await StartAsync("victim");
        await SeedPersonalChatsAsync(survivor, victim);

        using (var claim = await PostClaimAsync(victim))
        {
            Assert.Equal(HttpStatusCode.Accepted, claim.StatusCode);
        }

        await WaitForPostsAsync(HeldPost + 20, victim, survivor);
        await victim.KillAsync();
        var postsAtKill = _postNumbers.Count;
        output.WriteLine($"victim killed at {clock.Elapsed.TotalSeconds:F1} s after {postsAtKill} alert posts");

        var status = await WaitUntilAllDeliveredAsync(survivor);
        output.WriteLine($"all {Alerts} delivered after {clock.Elapsed.TotalSeconds:F1} s; alerts status: {status}");

        // Exactly one carried-out post per (conversation, delivery key), and every conversation has one.
        var carriedOut = _connector.Requests
            .Where(r => r is { Operation: ConnectorOperation.SendToConversation, Applied: true } && r.ConversationId!.StartsWith("a:two-chat-", StringComparison.Ordinal))
            .Where(r => DeliveryKey(r.BodyText) != Guid.Empty)
            .ToList();
        var perConversation = carriedOut.GroupBy(r => r.ConversationId).ToList();
        Assert.Equal(Alerts, perConversation.Count);
        Assert.All(perConversation, g => Assert.Single(g));
        Assert.Equal(Alerts, carriedOut.Select(r => DeliveryKey(r.BodyText)).Distinct().Count());

        // Both workers took part before the kill, and the survivor delivered after it.
        var victimDelivered = Delivered(victim.LogTail(100_000));
        var survivorDelivered = Delivered(survivor.LogTail(100_000));
        output.WriteLine($"delivered by the victim {victimDelivered}, by the survivor {survivorDelivered}");
        Assert.True(victimDelivered > 0, "the killed instance delivered nothing before it was killed");
        Assert.True(survivorDelivered > 0, "the surviving instance delivered nothing");
        Assert.True(victimDelivered + survivorDelivered <= Alerts, "more deliveries were logged than there are alerts");
        Assert.StartsWith($"Alerts for all partners: delivered {Alerts}.", status, StringComparison.Ordinal);
    }

    private Task<BotProcess> StartAsync(string name)
    {
        var contentRoot = Path.Combine(_directory, name);
        Directory.CreateDirectory(contentRoot);
        File.Copy(RepoPaths.Combine("src", "PorBot", "appsettings.json"), Path.Combine(contentRoot, "appsettings.json"), overwrite: true);
        // Each instance has its own SQLite file: anything they share must go through Azure Storage.
        var environment = _cloud.Environment(Path.Combine(contentRoot, "porbot.db"));
        environment["Storage__Provider"] = "AzureStorage";
        environment["ConnectionStrings__AzureStorage"] = azurite.ConnectionString;
        environment["Storage__Azure__TablePrefix"] = _prefix;
        environment["Alerts__InstanceCount"] = "2";
        return BotProcess.StartAsync(contentRoot, environment, Path.Combine(_directory, name + ".log"));
    }

    /// <summary>
    /// Users of both partners say hello to PorBot in a personal chat, half of them through each instance: the
    /// references each instance stores must reach the other's fan-out through the shared tables.
    /// </summary>
    private async Task SeedPersonalChatsAsync(params BotProcess[] bots)
    {
        var chats = new[] { (Tenant: Sample.ContosoTenant, Partner: 1), (Tenant: Sample.FabrikamTenant, Partner: 2) }
            .SelectMany(p => Enumerable.Range(0, ChatsPerPartner).Select(i => (p.Tenant, p.Partner, Index: i)));
        await Parallel.ForEachAsync(chats, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (chat, _) =>
        {
            var user = $"{chat.Partner:x8}-0000-4000-8000-{chat.Index:x12}";
            var conversation = $"a:two-chat-{chat.Partner}-{chat.Index:D3}";
            var hello = TestActivities.Message(_connector.ServiceUrl, "help", conversation, chat.Tenant, user, $"29:two-user-{chat.Partner}-{chat.Index}");
            using var response = await PostAsync(bots[chat.Index % bots.Length], hello);
            _graph.AddPersonalChat(user, $"19:{user}_{BotTestHost.AppId}@unq.gbl.spaces", conversation);
        });
    }

    private async Task<HttpResponseMessage> PostClaimAsync(BotProcess bot)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/claims", UriKind.Relative))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { subscriptionId = Claims.ContosoHeld, claimantPartnerId = Claims.Fabrikam, source = "two-instances" }),
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Claims.ApiKey);
        return await bot.Client.SendAsync(request);
    }

    private async Task WaitForPostsAsync(int count, params BotProcess[] bots)
    {
        try
        {
            await _connector.WaitForRequestsAsync(count, WaitLimit, r => _postNumbers.ContainsKey(r));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Only {_postNumbers.Count} of {count} posts came. Logs:\n{string.Join("\n----\n", bots.Select(b => b.LogTail()))}", e);
        }
    }

    private async Task<string> WaitUntilAllDeliveredAsync(BotProcess bot)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            var status = await AskAsync(bot, "alerts status");
            if (status.StartsWith($"Alerts for all partners: delivered {Alerts}.", StringComparison.Ordinal)) return status;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Not all delivered: {status}\nLog:\n{bot.LogTail()}");
            await Task.Delay(500);
        }
    }

    private async Task<string> AskAsync(BotProcess bot, string text)
    {
        var before = Texts(OperatorChat).Count;
        var activity = TestActivities.Message(_connector.ServiceUrl, text, OperatorChat, Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        using var response = await PostAsync(bot, activity);
        var answers = await _connector.WaitForRequestsAsync(before + 1, WaitLimit, r => r is { Succeeded: true, ConversationId: OperatorChat, Activity.Text: not null });
        return answers[^1].Activity!.Text!;
    }

    private List<ConnectorRequest> Texts(string conversationId) =>
        _connector.Requests.Where(r => r is { Succeeded: true, Activity.Text: not null } && r.ConversationId == conversationId).ToList();

    private async Task<Reply> SayAsync(BotProcess bot, string conversationId, string text) =>
        await TurnAsync(bot, conversationId, TestActivities.Message(_connector.ServiceUrl, text, conversationId));

    private async Task<Reply> ClickAsync(BotProcess bot, string conversationId, Reply card, string buttonTitle)
    {
        var activity = TestActivities.Message(_connector.ServiceUrl, "", conversationId);
        activity.Text = null;
        activity.Value = JsonSerializer.SerializeToElement(card.ButtonData(buttonTitle));
        return await TurnAsync(bot, conversationId, activity);
    }

    /// <summary>One turn on <paramref name="bot"/>, and its one reply in the conversation.</summary>
    private async Task<Reply> TurnAsync(BotProcess bot, string conversationId, Activity activity)
    {
        activity.Id = Guid.NewGuid().ToString("N");
        var before = Replies(conversationId).Count;
        using var response = await PostAsync(bot, activity);
        // The turn runs inside the request, so its reply has been posted by now.
        var replies = Replies(conversationId);
        Assert.True(replies.Count == before + 1, $"expected one reply, got {replies.Count - before}\n{bot.LogTail()}");
        return new Reply(replies[^1]);
    }

    private List<Activity> Replies(string conversationId) =>
        // Typing indicators come when a turn takes a while (two processes on two cores): only messages are replies.
        _connector.Activities.Where(r => r.ConversationId == conversationId && r.Activity!.Type == ActivityTypes.Message).Select(r => r.Activity!).ToList();

    private async Task<HttpResponseMessage> PostAsync(BotProcess bot, Activity activity)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/messages", UriKind.Relative))
        {
            Content = new StringContent(ProtocolJson.Serialize(activity), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _channel.MintToken(BotTestHost.AppId, _connector.ServiceUrl));
        var response = await bot.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    private static int Delivered(string log) => DeliveredLine().Count(log);

    private static Guid DeliveryKey(string json) =>
        DeliveryMarker().Match(json) is { Success: true } m ? Guid.Parse(m.Groups[1].Value) : Guid.Empty;

    [GeneratedRegex(@"Alert [0-9a-f-]{36} \(Alert\) delivered to a:two-chat-")]
    private static partial Regex DeliveredLine();

    [GeneratedRegex("porbot-delivery-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")]
    private static partial Regex DeliveryMarker();
}
