using System.Net;
using System.Text.Json;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Storage.Sqlite;
using PorBot.Testing;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

public sealed class AlertDeliveryTests : IAsyncLifetime
{
    private const string ContosoChat = "a:contoso-megan";
    private const string ContosoChannel = "19:contoso-alerts@thread.tacv2";
    private const string FabrikamChat = "a:fabrikam-lee";

    private BotTestHost _bot = null!;

    public async Task InitializeAsync()
    {
        var settings = Claims.FastDeliverySettings();
        settings["Alerts:ReconcileAfter"] = "00:00:00";
        _bot = await BotTestHost.StartAsync(settings: settings);
    }

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    private async Task AddPartnerConversationsAsync()
    {
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChat, "11111111-1111-4111-8111-111111111111");
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChannel);
        await _bot.AddConversationAsync(Sample.FabrikamTenant, FabrikamChat, "22222222-2222-4222-8222-222222222222");
    }

    [Fact]
    public async Task Conflict_BothPartnersHaveConversations_AlertCardDeliveredToEachAndActivityIdsStored()
    {
        await AddPartnerConversationsAsync();

        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        var rows = await WaitForRowsAsync(r => r.Count == 3 && r.All(x => x.Status == "Delivered"));
        var sends = _bot.Connector.Requests.Where(r => r.Operation == ConnectorOperation.SendToConversation).ToList();
        Assert.Equal([ContosoChannel, ContosoChat, FabrikamChat], sends.Select(s => s.ConversationId!).Order(StringComparer.Ordinal));
        foreach (var row in rows)
        {
            var send = Assert.Single(sends, s => s.ConversationId == row.Conversation);
            Assert.Equal(send.ResponseId, row.ActivityId);
            Assert.False(string.IsNullOrEmpty(row.ActivityId));
        }

        var card = CardJson(sends[0]);
        await CardValidator.AssertValidAsync(card, "conflict-alert");
        Assert.Contains("Adventure Works", card, StringComparison.Ordinal);
        Assert.Contains(Claims.ContosoHeld.ToString("D"), card, StringComparison.Ordinal);
        Assert.Contains(Claims.Fabrikam, card, StringComparison.Ordinal);
        Assert.Contains(Claims.Contoso, card, StringComparison.Ordinal);
        Assert.Contains("proof of execution may be requested", card, StringComparison.Ordinal);
        Assert.Contains(claim.ConflictId!.Value.ToString("D"), card, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Conflict_OneConversationAnswers403_ThatOneUndeliverableAndDeadWhileOthersDelivered()
    {
        await AddPartnerConversationsAsync();
        _bot.Connector.FailConversation(ContosoChannel, FakeConnectorResponse.BotBlocked());

        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        var rows = await WaitForRowsAsync(r => r.Count == 3 && r.All(x => x.Status is "Delivered" or "Undeliverable"));
        var blocked = Assert.Single(rows, r => r.Conversation == ContosoChannel);
        Assert.Equal("Undeliverable", blocked.Status);
        Assert.Contains("403", blocked.LastError, StringComparison.Ordinal);
        Assert.Equal("Delivered", Assert.Single(rows, r => r.Conversation == ContosoChat).Status);
        Assert.Equal("Delivered", Assert.Single(rows, r => r.Conversation == FabrikamChat).Status);
        var reference = await _bot.GetRequiredService<IConversationReferenceStore>().GetAsync(Sample.ContosoTenant, ContosoChannel, "", CancellationToken.None);
        Assert.True(reference!.IsDead);
    }

    [Fact]
    public async Task Conflict_ConnectorThrottles_EachAnswerRescheduledByTheOutboxAndDeliveredOnce()
    {
        await AddPartnerConversationsAsync();
        // The outbox's connector client makes one attempt per call: every 429 reaches the worker and uses an attempt.
        _bot.Connector.FailConversation(FabrikamChat, FakeConnectorResponse.Throttled(0), times: 4);

        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        var rows = await WaitForRowsAsync(r => r.Count == 3 && r.All(x => x.Status == "Delivered"));
        var fabrikam = Assert.Single(rows, r => r.Conversation == FabrikamChat);
        Assert.Equal(5, fabrikam.Attempts);
        var attempts = _bot.Connector.Requests.Where(r => r.ConversationId == FabrikamChat).ToList();
        Assert.Equal(5, attempts.Count);
        Assert.All(attempts.Take(4), a => Assert.Equal(429, a.ResponseStatus));
        Assert.True(attempts[4].Succeeded);
        Assert.Equal(attempts[4].ResponseId, fabrikam.ActivityId);
    }

    [Fact]
    public async Task Conflict_ConnectorAnswers500AndGraphIsOff_HeldAsUnknownNotSentAgain()
    {
        await AddPartnerConversationsAsync();
        _bot.Connector.FailConversation(FabrikamChat, FakeConnectorResponse.Error(HttpStatusCode.InternalServerError, "ServiceError", "Try again"), times: 1);

        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        var rows = await WaitForRowsAsync(r => r.Count == 3 && r.Count(x => x.Status == "Delivered") == 2 && r.Any(x => x.LastError == NoAlertDeliveryProbe.Reason));
        Assert.Equal("Unknown", Assert.Single(rows, r => r.Conversation == FabrikamChat).Status);
        await Task.Delay(300);
        Assert.Single(_bot.Connector.Requests, r => r.ConversationId == FabrikamChat);
    }

    [Fact]
    public async Task Conflict_PartnerWithoutConversations_WaitsThenDeliveredWhenItsUserMessagesTheBot()
    {
        await _bot.AddConversationAsync(Sample.FabrikamTenant, FabrikamChat, "22222222-2222-4222-8222-222222222222");

        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await WaitForRowsAsync(r => r.Any(x => x is { Party: Claims.Fabrikam, Status: "Delivered" }));
        await Task.Delay(200);
        Assert.Equal("Waiting", Assert.Single(await RowsAsync(), r => r.Party == Claims.Contoso).Status);

        // A Contoso user (TestActivities' default tenant) talks to the bot: now Contoso can be reached.
        using var response = await _bot.PostActivityAsync(TestActivities.Message(_bot.Connector.ServiceUrl, "help"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var rows = await WaitForRowsAsync(r => r.Any(x => x is { Party: Claims.Contoso, Status: "Delivered" }));
        var contoso = Assert.Single(rows, r => r.Party == Claims.Contoso);
        Assert.Equal("a:personal-chat-1", contoso.Conversation);
        Assert.Contains(_bot.Connector.Requests, r => r.ConversationId == "a:personal-chat-1" && r.ResponseId == contoso.ActivityId);
    }

    [Fact]
    public async Task Outbox_PostInterruptedMidSendAndGraphIsOff_HeldAsUnknownAndNotResent()
    {
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        // As if the process died mid-send: the post had begun, and its lease ran out long ago.
        await _bot.ExecuteAsync($"""
            UPDATE alert_outbox SET status = 'Sending', lease_until = '2000-01-01T00:00:00.0000000Z', attempts = 1,
                send_started_at = '2000-01-01T00:00:00.0000000Z', sent_as = 'Post',
                target_tenant_id = '{Sample.ContosoTenant}', target_conversation_id = '{ContosoChannel}', target_user_aad_object_id = ''
            WHERE party_partner_id = '{Claims.Contoso}'
            """);
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChannel);

        var rows = await WaitForRowsAsync(r => r.Any(x => x.LastError == NoAlertDeliveryProbe.Reason));
        Assert.Equal("Unknown", Assert.Single(rows, r => r.Party == Claims.Contoso).Status);
        await Task.Delay(300);
        Assert.Equal("Unknown", Assert.Single(await RowsAsync(), r => r.Party == Claims.Contoso).Status);
        Assert.DoesNotContain(_bot.Connector.Requests, r => r.ConversationId == ContosoChannel);
    }

    [Fact]
    public async Task Outbox_LeasedRowNeverSentBeforeTheProcessStopped_SentOnceAfterTheLease()
    {
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        // Leased by a process that stopped before it began the send (no send recorded).
        await _bot.ExecuteAsync($"""
            UPDATE alert_outbox SET status = 'Sending', lease_until = '2000-01-01T00:00:00.0000000Z', attempts = 1,
                target_tenant_id = '{Sample.ContosoTenant}', target_conversation_id = '{ContosoChannel}', target_user_aad_object_id = ''
            WHERE party_partner_id = '{Claims.Contoso}'
            """);
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChannel);

        var rows = await WaitForRowsAsync(r => r.Any(x => x is { Party: Claims.Contoso, Status: "Delivered" }));
        var contoso = Assert.Single(rows, r => r.Party == Claims.Contoso);
        Assert.Equal(1, contoso.Attempts);
        Assert.Single(_bot.Connector.Requests, r => r.ConversationId == ContosoChannel);
    }

    [Fact]
    public async Task Resolve_AfterAlertsDelivered_EveryCardUpdatedInPlace()
    {
        await AddPartnerConversationsAsync();
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        var alerts = await WaitForRowsAsync(r => r.Count == 3 && r.All(x => x.Status == "Delivered"));

        await _bot.Service().ResolveAsync(claim.ConflictId!.Value, Claims.Fabrikam, "operator", CancellationToken.None);

        var rows = await WaitForRowsAsync(r => r.Count(x => x is { Kind: "Update", Status: "Delivered" }) == 3);
        var updates = _bot.Connector.Requests.Where(r => r.Operation == ConnectorOperation.UpdateActivity).ToList();
        Assert.Equal(3, updates.Count);
        foreach (var alert in alerts)
        {
            var update = Assert.Single(updates, u => u.ConversationId == alert.Conversation);
            Assert.Equal(alert.ActivityId, update.ActivityId);
            Assert.Contains("POR conflict resolved", CardJson(update), StringComparison.Ordinal);
        }

        Assert.Equal(3, _bot.Connector.Requests.Count(r => r.Operation == ConnectorOperation.SendToConversation));
        Assert.All(rows.Where(r => r.Kind == "Update"), r => Assert.Equal(alerts.Single(a => a.Conversation == r.Conversation).ActivityId, r.ActivityId));
        await CardValidator.AssertValidAsync(CardJson(updates[0]), "conflict-resolved");
    }

    [Fact]
    public async Task Resolve_WhilePartnerWaiting_ItGetsOneCurrentCardThenTheUpdateInPlace()
    {
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await _bot.Service().ResolveAsync(claim.ConflictId!.Value, Claims.Contoso, "operator", CancellationToken.None);
        Assert.All(await RowsAsync(), r => Assert.Equal("Waiting", r.Status));

        using var response = await _bot.PostActivityAsync(TestActivities.Message(_bot.Connector.ServiceUrl, "help"));

        var rows = await WaitForRowsAsync(r => r.Where(x => x.Party == Claims.Contoso).All(x => x.Status == "Delivered"));
        var contoso = rows.Where(r => r.Party == Claims.Contoso).ToList();
        Assert.Equal(["Alert", "Update"], contoso.Select(r => r.Kind));
        Assert.All(contoso, r => Assert.Equal(contoso[0].ActivityId, r.ActivityId));
        var cards = _bot.Connector.Requests.Where(r => r.ConversationId == "a:personal-chat-1" && r.Body?.TryGetProperty("attachments", out _) == true
            && CardJson(r).Contains("POR conflict", StringComparison.Ordinal)).ToList();
        Assert.Equal([ConnectorOperation.SendToConversation, ConnectorOperation.UpdateActivity], cards.Select(c => c.Operation));
        Assert.Contains("POR conflict resolved", CardJson(cards[0]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertsStatus_PerRole_OperatorAllPartnerOwnUnmappedRefused()
    {
        await AddPartnerConversationsAsync();
        _bot.Connector.FailConversation(ContosoChannel, FakeConnectorResponse.BotBlocked());
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await WaitForRowsAsync(r => r.Count == 3 && r.All(x => x.Status is "Delivered" or "Undeliverable"));

        var operatorReply = await _bot.AskAsync("alerts status", Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        Assert.Contains("all partners", operatorReply.Text, StringComparison.Ordinal);
        Assert.Contains("delivered 2, undeliverable 1", operatorReply.Text, StringComparison.Ordinal);
        Assert.Contains("403", operatorReply.Text, StringComparison.Ordinal);

        var contosoReply = await _bot.AskAsync("alerts status", Sample.ContosoTenant);
        Assert.Contains($"partner {Claims.Contoso}", contosoReply.Text, StringComparison.Ordinal);
        Assert.Contains("delivered 1, undeliverable 1", contosoReply.Text, StringComparison.Ordinal);

        var fabrikamReply = await _bot.AskAsync("alerts status", Sample.FabrikamTenant);
        Assert.Contains("delivered 1.", fabrikamReply.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("403", fabrikamReply.Text, StringComparison.Ordinal);

        var northwindReply = await _bot.AskAsync("alerts status", Sample.NorthwindTenant);
        Assert.Contains("none yet", northwindReply.Text, StringComparison.Ordinal);

        var unmappedReply = await _bot.AskAsync("alerts status", Sample.UnmappedTenant);
        Assert.Equal(AlertsStatusCommandHandler.Refused, unmappedReply.Text);
    }

    private static string CardJson(ConnectorRequest request)
    {
        var attachment = Assert.Single(request.Body!.Value.GetProperty("attachments").EnumerateArray());
        return attachment.GetProperty("content").GetRawText();
    }

    private async Task<List<AlertRow>> WaitForRowsAsync(Func<List<AlertRow>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var rows = await RowsAsync();
            if (done(rows)) return rows;
            if (DateTime.UtcNow > deadline) Assert.Fail("Outbox did not reach the expected state: " + JsonSerializer.Serialize(rows));
            await Task.Delay(25);
        }
    }

    private async Task<List<AlertRow>> RowsAsync()
    {
        await using var connection = await _bot.GetRequiredService<SqliteDatabase>().OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT kind, party_partner_id, target_conversation_id, status, attempts, connector_activity_id, last_error
            FROM alert_outbox ORDER BY kind, party_partner_id, target_conversation_id
            """;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<AlertRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new AlertRow(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return rows;
    }

    private sealed record AlertRow(string Kind, string Party, string? Conversation, string Status, int Attempts, string? ActivityId, string? LastError);
}
