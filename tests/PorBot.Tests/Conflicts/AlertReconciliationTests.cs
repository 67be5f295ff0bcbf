using System.Net;
using System.Text.Json;
using PorBot.Conflicts;
using PorBot.Storage.Sqlite;
using PorBot.Testing;
using PorBot.Tests.Integrations;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary>
/// Sends whose outcome is unknown, reconciled through the real Graph SDK against a fake Graph that reads what the
/// fake connector really shows in each conversation. Delivery passes are driven one at a time, so every step is seen.
/// </summary>
public sealed class AlertReconciliationTests : IAsyncLifetime
{
    private const string ContosoUser = "11111111-1111-4111-8111-111111111111";
    private const string FabrikamUser = "22222222-2222-4222-8222-222222222222";
    private const string ContosoChat = "a:contoso-megan";
    private const string FabrikamChat = "a:fabrikam-lee";
    private const string ContosoChannel = "19:contoso-alerts@thread.tacv2";
    private const string ContosoTeam = "6b1d2f3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
    private const string OperatorChat = "a:operator-chat";

    private static readonly FakeConnectorResponse PostedButAnswered500 =
        FakeConnectorResponse.Error(HttpStatusCode.InternalServerError, "ServiceError", "Something went wrong") with { AppliedAnyway = true };

    private static readonly FakeConnectorResponse Failed500 = FakeConnectorResponse.Error(HttpStatusCode.InternalServerError, "ServiceError", "Something went wrong");

    private FakeGraphServer _graph = null!;
    private BotTestHost _bot = null!;

    public async Task InitializeAsync()
    {
        _graph = await FakeGraphServer.StartAsync();
        await StartBotAsync();
    }

    private async Task StartBotAsync(IReadOnlyDictionary<string, string?>? extraSettings = null)
    {
        var settings = new Dictionary<string, string?>(Claims.Settings)
        {
            ["Graph:Enabled"] = "true",
            ["Graph:BaseUrl"] = _graph.BaseUrl,
            ["Alerts:ReconcileAfter"] = "00:00:00",
            // Passes are driven faster than Teams lets one chat receive posts (7 a second); with its limits a resend
            // would wait for a later pass. Pacing is AlertPacingTests' subject, not this class's.
            ["Alerts:ConversationLimits:0:Sends"] = "1000",
            ["Alerts:ConversationLimits:0:Window"] = "00:00:01",
        };
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string?>()) settings[key] = value;
        _bot = await BotTestHost.StartAsync(authEnabled: true, settings: settings);
        _graph.Connector = _bot.Connector;
        _graph.BotAppId = BotTestHost.AppId;
        _graph.AddPersonalChat(ContosoUser, "19:contoso-megan_porbot@unq.gbl.spaces", ContosoChat);
        _graph.AddPersonalChat(FabrikamUser, "19:fabrikam-lee_porbot@unq.gbl.spaces", FabrikamChat);
        _graph.AddChannel(ContosoTeam, ContosoChannel);
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChat, ContosoUser);
        await _bot.AddConversationAsync(Sample.FabrikamTenant, FabrikamChat, FabrikamUser);
    }

    public async Task DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _graph.DisposeAsync();
    }

    [Fact]
    public async Task PostAnswered500ButTheCardArrived_FoundInTheChatAndDeliveredWithoutASecondCard()
    {
        _bot.Connector.FailConversation(FabrikamChat, PostedButAnswered500, times: 1);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        await PassAsync();
        Assert.Equal("Unknown", (await FabrikamAlertAsync()).Status);
        await PassAsync();

        var row = await FabrikamAlertAsync();
        var shown = Assert.Single(_bot.Connector.Messages(FabrikamChat));
        Assert.Equal(("Delivered", shown.ActivityId), (row.Status, row.ActivityId));
        Assert.Contains(AlertCardComposer.DeliveryMarker(row.AlertId), shown.Content.GetRawText(), StringComparison.Ordinal);
        Assert.Single(Posts(FabrikamChat));
        Assert.Contains(_graph.Requests, r => Uri.UnescapeDataString(r.PathAndQuery).StartsWith($"/v1.0/users/{FabrikamUser}/teamwork/installedApps?", StringComparison.Ordinal));
        Assert.Contains(_graph.Requests, r => Uri.UnescapeDataString(r.PathAndQuery).StartsWith("/v1.0/chats/19:fabrikam-lee_porbot@unq.gbl.spaces/messages?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostAnswered500AndTheCardIsNotThere_SentAgainSoTheUserSeesItOnce()
    {
        _bot.Connector.FailConversation(FabrikamChat, Failed500, times: 1);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        await PassAsync();
        Assert.Equal("Unknown", (await FabrikamAlertAsync()).Status);
        await PassAsync();

        var row = await FabrikamAlertAsync();
        var shown = Assert.Single(_bot.Connector.Messages(FabrikamChat));
        Assert.Equal(("Delivered", shown.ActivityId, 2), (row.Status, row.ActivityId, row.Attempts));
        Assert.Equal(2, Posts(FabrikamChat).Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task PostAnsweredWithAGatewayErrorButTheCardArrived_NotRetriedByTheClientButFoundInTheChat(HttpStatusCode status)
    {
        // Teams asks clients to retry 502/504; for an alert the outbox decides instead, so the card is posted once.
        _bot.Connector.FailConversation(FabrikamChat, FakeConnectorResponse.Error(status, "BadGateway", "Upstream failed") with { AppliedAnyway = true }, times: 1);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        await PassAsync();
        Assert.Equal("Unknown", (await FabrikamAlertAsync()).Status);
        await PassAsync();

        var row = await FabrikamAlertAsync();
        Assert.Equal(("Delivered", Assert.Single(_bot.Connector.Messages(FabrikamChat)).ActivityId), (row.Status, row.ActivityId));
        Assert.Single(Posts(FabrikamChat));
    }

    [Fact]
    public async Task PostWhoseAnswerNeverComes_GivenUpAtHalfTheLeaseThenFoundInTheChatNotSentAgain()
    {
        await _bot.DisposeAsync();
        await StartBotAsync(new Dictionary<string, string?> { ["Alerts:LeaseDuration"] = "00:00:02" });
        // Posted at once, answered only after the worker gave up on the call (at 1 s, half the lease).
        _bot.Connector.FailConversation(FabrikamChat, FakeConnectorResponse.Late(TimeSpan.FromMinutes(1)), times: 1);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        await PassAsync();
        var abandoned = await FabrikamAlertAsync();
        Assert.Equal("Unknown", abandoned.Status);
        await PassAsync();

        var row = await FabrikamAlertAsync();
        Assert.Equal(("Delivered", Assert.Single(_bot.Connector.Messages(FabrikamChat)).ActivityId), (row.Status, row.ActivityId));
        Assert.Single(Posts(FabrikamChat));
    }

    [Fact]
    public async Task PostAnswered500EveryTime_FailedOnceTheAttemptsRunOut()
    {
        _bot.Connector.FailConversation(FabrikamChat, Failed500);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        for (var pass = 0; pass < 12 && (await FabrikamAlertAsync()).Status != "Failed"; pass++) await PassAsync();

        var row = await FabrikamAlertAsync();
        Assert.Equal(("Failed", 8), (row.Status, row.Attempts));
        Assert.Equal(8, Posts(FabrikamChat).Count);
        Assert.Empty(_bot.Connector.Messages(FabrikamChat));
    }

    [Fact]
    public async Task PostInAChannelAnswered500ButTheCardArrived_FoundThroughTheChannelsMessages()
    {
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChannel, teamAadGroupId: ContosoTeam);
        _bot.Connector.FailConversation(ContosoChannel, PostedButAnswered500, times: 1);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        await PassAsync();
        await PassAsync();

        var row = (await RowsAsync()).Single(r => r.Conversation == ContosoChannel);
        Assert.Equal(("Delivered", Assert.Single(_bot.Connector.Messages(ContosoChannel)).ActivityId), (row.Status, row.ActivityId));
        Assert.Single(Posts(ContosoChannel));
        Assert.Contains(_graph.Requests, r => Uri.UnescapeDataString(r.PathAndQuery).StartsWith($"/v1.0/teams/{ContosoTeam}/channels/{ContosoChannel}/messages/delta", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostInAChannelWithoutItsTeamsGroupId_HeldWithTheReason()
    {
        await _bot.AddConversationAsync(Sample.ContosoTenant, ContosoChannel);
        _bot.Connector.FailConversation(ContosoChannel, Failed500, times: 1);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);

        await PassAsync();
        await PassAsync();

        var row = (await RowsAsync()).Single(r => r.Conversation == ContosoChannel);
        Assert.Equal("Unknown", row.Status);
        Assert.Contains("Entra group id", row.HeldReason, StringComparison.Ordinal);
        Assert.Single(Posts(ContosoChannel));
    }

    [Fact]
    public async Task GraphRefusesToReadTheChat_HeldUntilAnOperatorChecksAndResendsIt()
    {
        _graph.FailWith = HttpStatusCode.Forbidden;
        _bot.Connector.FailConversation(FabrikamChat, PostedButAnswered500, times: 1);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await PassAsync();
        await PassAsync();
        await PassAsync();

        var held = await FabrikamAlertAsync();
        Assert.Equal("Unknown", held.Status);
        Assert.Contains("403", held.HeldReason, StringComparison.Ordinal);
        Assert.Contains("Chat.Read.WhereInstalled", held.HeldReason, StringComparison.Ordinal);
        Assert.Single(Posts(FabrikamChat));

        var status = await AskAsync("alerts status", Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        Assert.Contains("unknown 1 (1 held for an operator)", status, StringComparison.Ordinal);
        Assert.Contains($"Unknown (held)", status, StringComparison.Ordinal);
        Assert.Contains($"alert {held.AlertId:D}", status, StringComparison.Ordinal);
        Assert.Contains("alerts resend", status, StringComparison.Ordinal);

        var resend = await AskAsync($"alerts resend {held.AlertId:D}", Sample.UnmappedTenant, Sample.OperatorAadObjectId);
        Assert.Contains("will be sent again", resend, StringComparison.Ordinal);
        Assert.Contains("twice", resend, StringComparison.Ordinal);
        await PassAsync();

        Assert.Equal("Delivered", (await FabrikamAlertAsync()).Status);
        // The operator accepted the risk, and here the first card had arrived: the user sees two, as the reply warned.
        Assert.Equal(2, _bot.Connector.Messages(FabrikamChat).Count);
        Assert.Contains("is delivered, not waiting", await AskAsync($"alerts resend {held.AlertId:D}", Sample.UnmappedTenant, Sample.OperatorAadObjectId),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertsResend_FromAPartnerUser_RefusedAndTheAlertStaysHeld()
    {
        _graph.FailWith = HttpStatusCode.Forbidden;
        _bot.Connector.FailConversation(FabrikamChat, Failed500, times: 1);
        await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await PassAsync();
        await PassAsync();
        var held = await FabrikamAlertAsync();

        var reply = await AskAsync($"alerts resend {held.AlertId:D}", Sample.FabrikamTenant, FabrikamUser);
        await PassAsync();

        Assert.Equal(AlertsResendCommandHandler.OperatorsOnly, reply);
        Assert.Equal("Unknown", (await FabrikamAlertAsync()).Status);
        Assert.Single(Posts(FabrikamChat));
    }

    [Fact]
    public async Task UpdateInPlaceInterruptedByACrash_RedoneAsAnUpdateWithoutLookingOrPosting()
    {
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await PassAsync();
        var alert = await FabrikamAlertAsync();
        await _bot.Service().ResolveAsync(claim.ConflictId!.Value, Claims.Fabrikam, "operator", CancellationToken.None);
        // As if the process died during the PUT of Fabrikam's card.
        await _bot.ExecuteAsync($"""
            UPDATE alert_outbox SET status = 'Sending', lease_until = '2000-01-01T00:00:00.0000000Z', attempts = 1,
                send_started_at = '2000-01-01T00:00:00.0000000Z', sent_as = 'Update'
            WHERE kind = 'Update' AND target_conversation_id = '{FabrikamChat}'
            """);
        var graphRequestsBefore = _graph.Requests.Count;

        await PassAsync();

        var update = (await RowsAsync()).Single(r => r is { Kind: "Update", Conversation: FabrikamChat });
        Assert.Equal(("Delivered", alert.ActivityId), (update.Status, update.ActivityId));
        var put = Assert.Single(_bot.Connector.Requests, r => r is { Operation: ConnectorOperation.UpdateActivity, ConversationId: FabrikamChat });
        Assert.Equal(alert.ActivityId, put.ActivityId);
        Assert.Single(Posts(FabrikamChat));
        Assert.Equal(graphRequestsBefore, _graph.Requests.Count);
        var shown = Assert.Single(_bot.Connector.Messages(FabrikamChat)).Content.GetRawText();
        Assert.Contains("POR conflict resolved", shown, StringComparison.Ordinal);
        // The card keeps naming the row that posted it.
        Assert.Contains(AlertCardComposer.DeliveryMarker(alert.AlertId), shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateForAPlaceWhoseAlertIsUnknown_WaitsInsteadOfPostingASecondCard()
    {
        _graph.FailWith = HttpStatusCode.Forbidden;
        _bot.Connector.FailConversation(FabrikamChat, PostedButAnswered500, times: 1);
        var claim = await _bot.ClaimAsync(Claims.ContosoHeld, Claims.Fabrikam);
        await PassAsync();
        await PassAsync();

        await _bot.Service().ResolveAsync(claim.ConflictId!.Value, Claims.Fabrikam, "operator", CancellationToken.None);
        await PassAsync();
        await PassAsync();

        var rows = await RowsAsync();
        Assert.Equal("Delivered", rows.Single(r => r is { Kind: "Update", Conversation: ContosoChat }).Status);
        Assert.Equal("Pending", rows.Single(r => r is { Kind: "Update", Conversation: FabrikamChat }).Status);
        Assert.Single(_bot.Connector.Requests, r => r.ConversationId == FabrikamChat);
    }

    private Task PassAsync() => _bot.GetRequiredService<AlertDeliveryWorker>().RunPassAsync(CancellationToken.None);

    private List<ConnectorRequest> Posts(string conversationId) =>
        _bot.Connector.Requests.Where(r => r.Operation == ConnectorOperation.SendToConversation && r.ConversationId == conversationId).ToList();

    /// <summary>Says <paramref name="text"/> in a personal chat and returns the bot's answer.</summary>
    private async Task<string> AskAsync(string text, string tenantId, string userAadObjectId)
    {
        bool Answer(ConnectorRequest r) => r is { Succeeded: true, ConversationId: OperatorChat, Activity.Text: not null }
            && r.Operation is ConnectorOperation.ReplyToActivity or ConnectorOperation.SendToConversation;
        var before = _bot.Connector.Requests.Count(Answer);
        using var response = await _bot.PostActivityAsync(TestActivities.Message(_bot.Connector.ServiceUrl, text, OperatorChat, tenantId, userAadObjectId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answers = await _bot.Connector.WaitForRequestsAsync(before + 1, where: Answer);
        return answers[^1].Activity!.Text!;
    }

    private async Task<Row> FabrikamAlertAsync() => (await RowsAsync()).Single(r => r is { Kind: "Alert", Conversation: FabrikamChat });

    private async Task<List<Row>> RowsAsync()
    {
        await using var connection = await _bot.GetRequiredService<SqliteDatabase>().OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT alert_id, kind, target_conversation_id, status, attempts, connector_activity_id, held_reason
            FROM alert_outbox ORDER BY kind, target_conversation_id
            """;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Row>();
        while (await reader.ReadAsync())
        {
            rows.Add(new Row(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return rows;
    }

    private sealed record Row(Guid AlertId, string Kind, string? Conversation, string Status, int Attempts, string? ActivityId, string? HeldReason)
    {
        public override string ToString() => JsonSerializer.Serialize(this);
    }
}
