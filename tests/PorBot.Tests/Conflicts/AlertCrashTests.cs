using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using PorBot.Protocol.Activities;
using PorBot.Testing;
using PorBot.Tests.Integrations;
using PorBot.Tests.Lookups;
using Xunit.Abstractions;

namespace PorBot.Tests.Conflicts;

/// <summary>
/// Issue 5's fault test. The real bot process fans out a thousand alerts (two partners, 500 personal chats each,
/// sent in parallel within Teams' limits) through a fake connector that throttles (429 with Retry-After) and fails
/// (500, sometimes after posting anyway), and is killed with SIGKILL twice mid-send: once while a post that did
/// arrive waits for its answer, once while a post that never arrived does (other parallel posts are caught on the
/// wire too). Restarted on the same database each time, with Graph pointed at a fake that reads the fake
/// connector's conversations. In the end every conversation shows its alert exactly once.
/// </summary>
public sealed partial class AlertCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int ChatsPerPartner = 500;
    private const int Alerts = 2 * ChatsPerPartner;

    // Numbers of connector POSTs (every attempt counts). The first kill comes while post #300 has arrived and its
    // answer is still on its way; the second while post #700 is held and then never carried out.
    private const int FirstKillAt = 300;
    private const int SecondKillAt = 700;

    private const string OperatorChat = "a:crash-operator";

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "porbot-crash-tests", Guid.NewGuid().ToString("N"));
    private readonly ConcurrentDictionary<ConnectorRequest, int> _postNumbers = new(ReferenceEqualityComparer.Instance);
    private FakedCloud _cloud = null!;
    private FakeConnectorServer _connector = null!;
    private FakeGraphServer _graph = null!;
    private FakeChannelAuthority _channel = null!;
    private Dictionary<string, string> _environment = null!;

    private string DatabasePath => Path.Combine(_directory, "porbot.db");

    private string LogPath => Path.Combine(_directory, "porbot.log");

    public async Task InitializeAsync()
    {
        _cloud = await FakedCloud.StartAsync(_directory);
        File.Copy(RepoPaths.Combine("src", "PorBot", "appsettings.json"), Path.Combine(_directory, "appsettings.json"));
        (_connector, _graph, _channel) = (_cloud.Connector, _cloud.Graph, _cloud.Channel);
        ScriptConnectorFaults();

        _environment = _cloud.Environment(DatabasePath);
    }

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    [Fact]
    public async Task FanOutOfAThousandAlerts_KilledTwiceMidSend_EveryAlertShownExactlyOnce()
    {
        var clock = Stopwatch.StartNew();
        await using (var bot = await BotProcess.StartAsync(_directory, _environment, LogPath))
        {
            await SeedPersonalChatsAsync(bot.BaseUrl);
            using var claim = await PostClaimAsync(bot);
            Assert.Equal(HttpStatusCode.Accepted, claim.StatusCode);
            await WaitForPostAsync(FirstKillAt, bot);
            await bot.KillAsync();
        }

        var first = await SnapshotAsync();
        Report("first kill", first, clock);

        await using (var bot = await BotProcess.StartAsync(_directory, _environment, LogPath))
        {
            await WaitForPostAsync(SecondKillAt, bot);
            await bot.KillAsync();
        }

        var second = await SnapshotAsync();
        Report("second kill", second, clock);

        await using var final = await BotProcess.StartAsync(_directory, _environment, LogPath);
        var rows = await WaitUntilAllDeliveredAsync(final);
        output.WriteLine($"all {Alerts} delivered after {clock.Elapsed.TotalSeconds:F1} s");

        // Each kill caught its held post on the wire (with whatever parallel posts were in flight), plus leased rows not yet sent.
        var arrived = Assert.Single(first.InFlight, r => r.Conversation == ConversationOfPost(FirstKillAt));
        var lost = Assert.Single(second.InFlight, r => r.Conversation == ConversationOfPost(SecondKillAt));

        // Every conversation shows its own alert exactly once, and the outbox knows that message's id.
        var shown = _connector.Messages().Where(m => m.ConversationId.StartsWith("a:crash-chat-", StringComparison.Ordinal)).ToList();
        Assert.Equal(Alerts, shown.Count);
        Assert.Equal(Alerts, shown.Select(m => m.ConversationId).Distinct().Count());
        foreach (var row in rows)
        {
            var message = Assert.Single(shown, m => m.ConversationId == row.Conversation);
            Assert.Equal(row.ActivityId, message.ActivityId);
            Assert.Equal(row.AlertId, DeliveryKey(message.Content.GetRawText()));
        }

        // The same from the wire: one carried-out post per (conversation, delivery key), none missing.
        var carriedOut = _connector.Requests.Where(r => r is { Operation: ConnectorOperation.SendToConversation, Applied: true }).ToList();
        var perKey = carriedOut.GroupBy(r => (r.ConversationId, DeliveryKey(r.BodyText))).ToList();
        Assert.Equal(Alerts, perKey.Count);
        Assert.All(perKey, g => Assert.Single(g));

        // The post whose answer died with the process was found, not sent again; the one never carried out was sent again.
        Assert.Equal(FirstKillAt, PostNumber(Posts(arrived.Conversation)[^1]));
        var lostPosts = Posts(lost.Conversation);
        var held = lostPosts.FindIndex(p => PostNumber(p) == SecondKillAt);
        Assert.False(lostPosts[held].Applied);
        Assert.Single(lostPosts.Skip(held + 1), p => p.Applied);

        var log = await File.ReadAllTextAsync(LogPath);
        var found = Regex.Count(log, "interrupted send found in");
        var resent = Regex.Count(log, "interrupted send is not in");
        var notSent = Regex.Matches(log, @"(\d+) had not been sent yet").Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        output.WriteLine($"reconciled: {found} found in their conversation (Delivered with that id), {resent} not found (sent again), "
            + $"{notSent} leased-but-unsent rows back to Pending; held: {Regex.Count(log, "held for an operator")}");
        output.WriteLine($"connector: {_connector.Requests.Count(r => r.Operation == ConnectorOperation.SendToConversation)} POSTs, "
            + $"{_connector.Requests.Count(r => r.ResponseStatus == 429)} answered 429, {_connector.Requests.Count(r => r.ResponseStatus == 500)} answered 500 "
            + $"({_connector.Requests.Count(r => r is { ResponseStatus: 500, Applied: true })} of them posted anyway)");
        Assert.DoesNotContain("held for an operator", log, StringComparison.Ordinal);
        Assert.True(found >= 1 && resent >= 1, $"expected both reconciliation outcomes; found {found}, resent {resent}");

        var status = await AskAsync(final, "alerts status");
        Assert.StartsWith($"Alerts for all partners: delivered {Alerts}.", status, StringComparison.Ordinal);
        output.WriteLine($"alerts status: {status}");
    }

    /// <summary>
    /// Numbers every POST (a rule that never matches, evaluated first), then: the two kill points, a 429 with
    /// Retry-After now and then, a 500 now and then (some after posting anyway). The rest is answered as usual.
    /// </summary>
    private void ScriptConnectorFaults()
    {
        var posts = 0;
        _connector.AddRule(r =>
        {
            if (r.Operation == ConnectorOperation.SendToConversation) _postNumbers[r] = ++posts;
            return false;
        }, FakeConnectorResponse.Late(TimeSpan.Zero));
        // Posted at once; the answer is held until the process is dead.
        _connector.AddRule(r => PostNumber(r) == FirstKillAt, FakeConnectorResponse.Late(TimeSpan.FromMinutes(2)));
        // Held, then never carried out: the process dies waiting.
        _connector.AddRule(r => PostNumber(r) == SecondKillAt,
            FakeConnectorResponse.Error(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", "Held by the test") with { Delay = TimeSpan.FromMinutes(2) });
        _connector.AddRule(r => PostNumber(r) % 151 == 50, FakeConnectorResponse.Throttled(1));
        _connector.AddRule(r => PostNumber(r) % 173 == 20,
            FakeConnectorResponse.Error(HttpStatusCode.InternalServerError, "ServiceError", "Posted, then failed") with { AppliedAnyway = true });
        _connector.AddRule(r => PostNumber(r) % 89 == 10, FakeConnectorResponse.Error(HttpStatusCode.InternalServerError, "ServiceError", "Not posted"));
    }

    private int PostNumber(ConnectorRequest request) => _postNumbers.GetValueOrDefault(request);

    private string ConversationOfPost(int number) => _connector.Requests.Single(r => PostNumber(r) == number).ConversationId!;

    private List<ConnectorRequest> Posts(string conversationId) =>
        _connector.Requests.Where(r => r.Operation == ConnectorOperation.SendToConversation && r.ConversationId == conversationId).ToList();

    /// <summary>500 users of each partner have PorBot in a personal chat; the references came on authenticated activities.</summary>
    private async Task SeedPersonalChatsAsync(string botUrl)
    {
        await using var connection = Open();
        await using var transaction = connection.BeginTransaction();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO conversation_references (tenant_id, conversation_id, user_aad_object_id, user_id, user_name, bot_id, service_url,
                service_url_verified, channel_id, conversation_type, is_dead, created_at, updated_at)
            VALUES ($tenant, $conversation, $user, $userId, 'Crash Test User', $bot, $serviceUrl, 1, 'msteams', 'personal', 0, $now, $now)
            """;
        foreach (var (tenant, partner) in new[] { (Sample.ContosoTenant, 1), (Sample.FabrikamTenant, 2) })
        {
            for (var i = 0; i < ChatsPerPartner; i++)
            {
                var user = $"{partner:x8}-0000-4000-8000-{i:x12}";
                var conversation = $"a:crash-chat-{partner}-{i:D3}";
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$tenant", tenant);
                insert.Parameters.AddWithValue("$conversation", conversation);
                insert.Parameters.AddWithValue("$user", user);
                insert.Parameters.AddWithValue("$userId", $"29:crash-user-{partner}-{i}");
                insert.Parameters.AddWithValue("$bot", TestActivities.BotId);
                insert.Parameters.AddWithValue("$serviceUrl", _connector.ServiceUrl);
                insert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                await insert.ExecuteNonQueryAsync();
                _graph.AddPersonalChat(user, $"19:{user}_{BotTestHost.AppId}@unq.gbl.spaces", conversation);
            }
        }

        await transaction.CommitAsync();
        output.WriteLine($"seeded {Alerts} personal chats; bot at {botUrl}");
    }

    private async Task<HttpResponseMessage> PostClaimAsync(BotProcess bot)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/claims", UriKind.Relative))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { subscriptionId = Claims.ContosoHeld, claimantPartnerId = Claims.Fabrikam, source = "crash-test" }),
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Claims.ApiKey);
        return await bot.Client.SendAsync(request);
    }

    private async Task WaitForPostAsync(int number, BotProcess bot)
    {
        try
        {
            await _connector.WaitForRequestsAsync(1, WaitLimit, r => PostNumber(r) == number);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Post #{number} never came ({_postNumbers.Count} posts so far). Bot log:\n{bot.LogTail()}", e);
        }
    }

    private async Task<List<OutboxRow>> WaitUntilAllDeliveredAsync(BotProcess bot)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            var rows = await RowsAsync();
            if (rows.Count == Alerts && rows.All(r => r.Status == "Delivered")) return rows;
            if (DateTime.UtcNow > deadline)
            {
                var counts = string.Join(", ", rows.GroupBy(r => r.Status).Select(g => $"{g.Key} {g.Count()}"));
                Assert.Fail($"The outbox is not all Delivered: {counts}. Bot log:\n{bot.LogTail()}");
            }

            await Task.Delay(250);
        }
    }

    private sealed record Snapshot(IReadOnlyDictionary<string, int> Counts, IReadOnlyList<OutboxRow> InFlight, int LeasedNotSent);

    /// <summary>The outbox as the killed process left it: what was on the wire, what was only leased.</summary>
    private async Task<Snapshot> SnapshotAsync()
    {
        var rows = await RowsAsync();
        return new Snapshot(
            rows.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count()),
            rows.Where(r => r is { Status: "Sending", SendStarted: true }).ToList(),
            rows.Count(r => r is { Status: "Sending", SendStarted: false }));
    }

    private void Report(string when, Snapshot snapshot, Stopwatch clock) => output.WriteLine(
        $"{when} at {clock.Elapsed.TotalSeconds:F1} s: {string.Join(", ", snapshot.Counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}; "
        + $"{snapshot.InFlight.Count} mid-send (Unknown after the restart: {string.Join(", ", snapshot.InFlight.Select(r => r.Conversation))}), "
        + $"{snapshot.LeasedNotSent} leased but not sent, {snapshot.Counts.GetValueOrDefault("Unknown")} already Unknown from ambiguous 500s");

    private async Task<string> AskAsync(BotProcess bot, string text)
    {
        var activity = TestActivities.Message(_connector.ServiceUrl, text, OperatorChat, Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/messages", UriKind.Relative))
        {
            Content = new StringContent(ProtocolJson.Serialize(activity), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _channel.MintToken(BotTestHost.AppId, _connector.ServiceUrl));
        using var response = await bot.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answers = await _connector.WaitForRequestsAsync(1, WaitLimit, r => r is { Succeeded: true, ConversationId: OperatorChat, Activity.Text: not null });
        return answers[^1].Activity!.Text!;
    }

    private static Guid DeliveryKey(string json) =>
        DeliveryMarker().Match(json) is { Success: true } m ? Guid.Parse(m.Groups[1].Value) : Guid.Empty;

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 5000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private async Task<List<OutboxRow>> RowsAsync()
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT alert_id, target_conversation_id, status, connector_activity_id, send_started_at IS NOT NULL FROM alert_outbox WHERE kind = 'Alert'";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<OutboxRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new OutboxRow(Guid.Parse(reader.GetString(0)), reader.IsDBNull(1) ? "" : reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4) != 0));
        }

        return rows;
    }

    private sealed record OutboxRow(Guid AlertId, string Conversation, string Status, string? ActivityId, bool SendStarted);

    [GeneratedRegex("porbot-delivery-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")]
    private static partial Regex DeliveryMarker();
}
