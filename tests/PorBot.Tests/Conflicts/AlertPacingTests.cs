using System.Globalization;
using System.Text.Json;
using PorBot.Conflicts;
using PorBot.Storage.Sqlite;
using PorBot.Testing;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary>
/// The alert worker within Teams' limits, as the connector sees it: counts of requests per window (never
/// durations), sends to different conversations at the same time, and a throttled conversation waiting alone.
/// </summary>
public sealed class AlertPacingTests : IAsyncLifetime
{
    private const string ContosoChat = "a:contoso-megan";
    private const string ContosoChannel = "19:contoso-alerts@thread.tacv2";

    private BotTestHost _bot = null!;

    public async Task InitializeAsync()
    {
        _bot = await BotTestHost.StartAsync(settings: Claims.FastDeliverySettings());
    }

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task TwentyAlertsToOneConversation_NeverMoreThanTeamsAllowsPerWindow()
    {
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChat, "11111111-1111-4111-8111-111111111111");

        using var watching = new CancellationTokenSource();
        var mostSending = WatchMostSendingAsync(watching.Token);

        await OpenConflictsAsync(20);

        var sends = await WaitForDeliveredSendsAsync(20);
        await watching.CancelAsync();
        Assert.All(sends, s => Assert.Equal(ContosoChat, s.ConversationId));
        AssertWithinLimits(sends, AlertDeliveryOptions.TeamsConversationLimits, "one conversation");
        Assert.Equal(20, sends.Select(s => s.ResponseId).Distinct().Count());
        // Waiting for the conversation's tokens is not an attempt, and a row is leased only when its send starts.
        Assert.Equal(20, await CountAsync("status = 'Delivered' AND attempts = 1"));
        Assert.InRange(await mostSending, 0, 1);
    }

    [Fact]
    public async Task AlertsForManyConversations_AreInFlightAtTheSameTime()
    {
        var channels = Enumerable.Range(0, 8).Select(i => $"19:contoso-{i}@thread.tacv2").ToList();
        foreach (var channel in channels) await _bot.AddConversationAsync(Sample.ContosoTenant, channel);
        var release = new TaskCompletionSource();
        _bot.Connector.HoldAnswers(r => r.Operation == ConnectorOperation.SendToConversation, release.Task);

        await OpenConflictsAsync(1);

        // All eight reached the connector while none had been answered: they were sent in parallel.
        var inFlight = await _bot.Connector.WaitForRequestsAsync(8, where: r => r.Operation == ConnectorOperation.SendToConversation);
        Assert.Equal(channels.Order(StringComparer.Ordinal), inFlight.Select(r => r.ConversationId!).Order(StringComparer.Ordinal));
        release.SetResult();
        await WaitForDeliveredSendsAsync(8);
    }

    [Fact]
    public async Task Throttled429WithRetryAfter_ThatConversationWaitsWhileOthersGoOn()
    {
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChat, "11111111-1111-4111-8111-111111111111");
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChannel);
        _bot.Connector.FailConversation(ContosoChat, FakeConnectorResponse.Throttled(retryAfterSeconds: 2), times: 1);

        await OpenConflictsAsync(10);

        await WaitForDeliveredSendsAsync(20);
        var requests = _bot.Connector.Requests.Where(r => r.Operation == ConnectorOperation.SendToConversation).ToList();
        var throttled = Assert.Single(requests, r => r.ResponseStatus == 429);
        var chatAfter = requests.Where(r => r.ConversationId == ContosoChat && r.ReceivedAt > throttled.ReceivedAt).ToList();
        Assert.Equal(10, chatAfter.Count);
        Assert.All(chatAfter, r => Assert.True(r.ReceivedAt - throttled.ReceivedAt >= TimeSpan.FromSeconds(2), $"{r} came {r.ReceivedAt - throttled.ReceivedAt} after the 429"));
        Assert.Contains(requests, r => r.ConversationId == ContosoChannel && r.ReceivedAt > throttled.ReceivedAt && r.ReceivedAt < chatAfter.Min(c => c.ReceivedAt));

        var rows = await _bot.OutboxAsync();
        Assert.All(rows.Where(r => r.Party == Claims.Contoso), r => Assert.Equal("Delivered", r.Status));
        Assert.Equal(1, await CountAsync($"attempts = 2 AND target_conversation_id = '{ContosoChat}' AND last_error LIKE '429%'"));
    }

    [Fact]
    public async Task SixtyConversationsOfOneTenant_NeverMoreThanFiftySendsPerSecond()
    {
        for (var i = 0; i < 60; i++) await _bot.AddConversationAsync(Sample.ContosoTenant, $"19:contoso-{i}@thread.tacv2");

        await OpenConflictsAsync(1);

        var sends = await WaitForDeliveredSendsAsync(60);
        AssertWithinLimits(sends, AlertDeliveryOptions.TeamsTenantLimits, "one tenant");
        Assert.Equal(60, sends.Select(s => s.ConversationId).Distinct().Count());
        Assert.All(sends, s => Assert.Equal(Sample.ContosoTenant, s.Activity!.Conversation!.TenantId));
    }

    /// <summary>Every send in any window [t, t + Window) counted, whatever its answer: Teams counts attempts too.</summary>
    private void AssertWithinLimits(IReadOnlyList<ConnectorRequest> delivered, IEnumerable<SendRateLimit> limits, string scope)
    {
        var conversations = delivered.Select(d => d.ConversationId).ToHashSet();
        var times = _bot.Connector.Requests.Where(r => r.Operation == ConnectorOperation.SendToConversation && conversations.Contains(r.ConversationId))
            .Select(r => r.ReceivedAt).Order().ToList();
        foreach (var limit in limits)
        {
            var busiest = times.Max(t => times.Count(u => u >= t && u < t + limit.Window));
            Assert.True(busiest <= limit.Sends, $"{busiest} sends to {scope} within {limit.Window}; Teams allows {limit.Sends}");
        }
    }

    /// <summary>Contoso holds <paramref name="count"/> more subscriptions; Fabrikam claims each, so each conflict alerts Contoso's conversations.</summary>
    private async Task OpenConflictsAsync(int count)
    {
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var subscriptions = Enumerable.Range(0, count).Select(i => new Guid(0x7a000000 + i, 0x1b2c, 0x4d3e, 0x8f, 0x40, 0x51, 0x62, 0x73, 0x84, 0x95, 0xa6)).ToList();
        foreach (var subscription in subscriptions)
        {
            await _bot.ExecuteAsync($"""
                INSERT INTO subscriptions (subscription_id, customer_name, customer_tenant_id, customer_domain, program, product, por_partner_id, por_since, updated_at)
                VALUES ('{subscription:D}', 'Pacing Customer {subscription.ToString()[..8]}', '{Guid.NewGuid():D}', NULL, 'CSP', 'Azure', '{Claims.Contoso}', '2025-01-01', '{now}')
                """);
        }

        foreach (var subscription in subscriptions) await _bot.ClaimAsync(subscription, Claims.Fabrikam);
    }

    private async Task<IReadOnlyList<ConnectorRequest>> WaitForDeliveredSendsAsync(int count)
    {
        var sends = await _bot.Connector.WaitForRequestsAsync(count, TimeSpan.FromSeconds(30), r => r.Operation == ConnectorOperation.SendToConversation && r.Succeeded);
        // The connector answered; the outbox records it a moment later.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await CountAsync("status = 'Delivered'") < count)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("Outbox did not record the deliveries: " + JsonSerializer.Serialize(await _bot.OutboxAsync()));
            await Task.Delay(25);
        }

        return sends;
    }

    /// <summary>The most rows seen in Sending at once until cancelled.</summary>
    private async Task<long> WatchMostSendingAsync(CancellationToken cancellationToken)
    {
        long most = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            most = Math.Max(most, await CountAsync("status = 'Sending'"));
            await Task.Delay(5, CancellationToken.None);
        }

        return most;
    }

    private async Task<long> CountAsync(string where)
    {
        await using var connection = await _bot.GetRequiredService<SqliteDatabase>().OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM alert_outbox WHERE {where}";
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
