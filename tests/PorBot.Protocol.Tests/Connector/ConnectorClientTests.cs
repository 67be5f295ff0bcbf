using System.Net;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Connector;
using PorBot.Testing;

namespace PorBot.Protocol.Tests.Connector;

public sealed class ConnectorClientTests : IAsyncLifetime
{
    private const string ThreadConversationId = "19:abc@thread.tacv2;messageid=123";
    private readonly ConnectorTestContext _ctx = new();

    public Task InitializeAsync() => _ctx.InitializeAsync();

    public Task DisposeAsync() => _ctx.DisposeAsync();

    [Fact]
    public async Task ReplyToActivity_TeamsThreadConversationId_EscapesPathAndPostsUtf8Json()
    {
        var client = _ctx.CreateClient();

        var result = await client.ReplyToActivityAsync(_ctx.ServiceUrl, ThreadConversationId, "1:root", Activity.CreateMessage("Done ✅ für dich"), default);

        var request = Assert.Single(await _ctx.Server.WaitForActivitiesAsync(1));
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D123/activities/1%3Aroot", request.RawPath);
        Assert.Equal(ConnectorOperation.ReplyToActivity, request.Operation);
        Assert.Equal(ThreadConversationId, request.ConversationId);
        Assert.Equal("application/json; charset=utf-8", request.ContentType);
        Assert.Equal("message", request.Body!.Value.GetProperty("type").GetString());
        Assert.Equal("Done ✅ für dich", request.Activity!.Text);
        Assert.Equal(request.ResponseId, result.Id);
        Assert.NotNull(result.Id);
    }

    [Fact]
    public async Task SendToConversation_RegionalServiceUrlWithoutTrailingSlash_KeepsPathPrefix()
    {
        var client = _ctx.CreateClient();

        var result = await client.SendToConversationAsync(_ctx.Server.GetServiceUrl("amer").TrimEnd('/'), "a:personal", Activity.CreateMessage("hi"), default);

        var request = Assert.Single(_ctx.Server.Requests);
        Assert.Equal("/amer/v3/conversations/a%3Apersonal/activities", request.RawPath);
        Assert.Equal(ConnectorOperation.SendToConversation, request.Operation);
        Assert.Equal(request.ResponseId, result.Id);
    }

    [Fact]
    public async Task UpdateActivity_ActivityWithoutIdOrType_PutsFullActivityWithUrlId()
    {
        var client = _ctx.CreateClient();
        var activity = new Activity { Text = "edited" };

        var result = await client.UpdateActivityAsync(_ctx.ServiceUrl, ThreadConversationId, "1:msg", activity, default);

        var request = Assert.Single(_ctx.Server.Requests);
        Assert.Equal("PUT", request.Method);
        Assert.Equal("/v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D123/activities/1%3Amsg", request.RawPath);
        Assert.Equal("1:msg", request.Activity!.Id);
        Assert.Equal("message", request.Activity.Type);
        Assert.Equal("edited", request.Activity.Text);
        Assert.Equal("1:msg", result.Id);
        Assert.Null(activity.Id); // the caller's object is left alone
    }

    [Fact]
    public async Task DeleteActivity_Always_SendsDeleteWithoutBody()
    {
        var client = _ctx.CreateClient();

        await client.DeleteActivityAsync(_ctx.ServiceUrl, ThreadConversationId, "1:msg", default);

        var request = Assert.Single(_ctx.Server.Requests);
        Assert.Equal("DELETE", request.Method);
        Assert.Equal(ConnectorOperation.DeleteActivity, request.Operation);
        Assert.Equal("1:msg", request.ActivityId);
        Assert.Equal("", request.BodyText);
    }

    [Fact]
    public async Task CreateConversation_PersonalParameters_PostsTeamsOneToOneShape()
    {
        var client = _ctx.CreateClient();
        var appId = Guid.NewGuid().ToString();
        var parameters = TeamsConversationParameters.CreatePersonal(appId, "29:user-1", "tenant-guid", Activity.CreateMessage("Reminder"));

        var result = await client.CreateConversationAsync(_ctx.ServiceUrl, parameters, default);

        var request = Assert.Single(_ctx.Server.Requests);
        Assert.Equal("/v3/conversations", request.RawPath);
        var body = request.Body!.Value;
        Assert.False(body.GetProperty("isGroup").GetBoolean());
        Assert.Equal("28:" + appId, body.GetProperty("bot").GetProperty("id").GetString());
        Assert.Equal("29:user-1", Assert.Single(body.GetProperty("members").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal("tenant-guid", body.GetProperty("tenantId").GetString());
        Assert.Equal("tenant-guid", body.GetProperty("channelData").GetProperty("tenant").GetProperty("id").GetString());
        Assert.Equal("Reminder", body.GetProperty("activity").GetProperty("text").GetString());
        Assert.Equal(request.ResponseId, result.Id);
        Assert.StartsWith("a:", result.Id, StringComparison.Ordinal);
        Assert.NotNull(result.ActivityId);
    }

    [Fact]
    public void CreatePersonal_BotIdAlreadyPrefixed_IsNotPrefixedTwice()
    {
        var parameters = TeamsConversationParameters.CreatePersonal("28:app", "29:u", "t");

        Assert.Equal("28:app", parameters.Bot!.Id);
        Assert.Null(parameters.Activity);
    }

    [Fact]
    public async Task GetConversationMember_KnownMember_ReturnsAccountFromEscapedPath()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.AddMember(new ChannelAccount { Id = "29:user/1", Name = "Ada", AadObjectId = "aad-1" });

        var member = await client.GetConversationMemberAsync(_ctx.ServiceUrl, "a:personal", "29:user/1", default);

        Assert.Equal(("29:user/1", "Ada", "aad-1"), (member.Id, member.Name, member.AadObjectId));
        Assert.Equal("/v3/conversations/a%3Apersonal/members/29%3Auser%2F1", Assert.Single(_ctx.Server.Requests).RawPath);
    }

    [Fact]
    public async Task GetConversationMember_UnknownMember_ThrowsNotFoundWithCode()
    {
        var client = _ctx.CreateClient();

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.GetConversationMemberAsync(_ctx.ServiceUrl, "a:personal", "29:nobody", default));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("MemberNotFoundInConversation", ex.ErrorCode);
        Assert.True(ex.IsConversationGone);
    }

    [Fact]
    public async Task Send_ThrottledTwiceWithRetryAfter_WaitsRequestedSecondsThenSucceeds()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.FailNext(2, FakeConnectorResponse.Throttled(retryAfterSeconds: 7));

        var result = await client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default);

        Assert.Equal([429, 429, 201], _ctx.Server.Requests.Select(r => r.ResponseStatus));
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(7)], _ctx.Delays);
        Assert.Equal(_ctx.Server.Requests[^1].ResponseId, result.Id);
        Assert.Single(_ctx.Server.Activities);
    }

    [Fact]
    public async Task Send_RetryAfterAsHttpDate_WaitsUntilThatDate()
    {
        var client = _ctx.CreateClient();
        var until = DateTimeOffset.UtcNow.AddSeconds(10).ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        _ctx.Server.EnqueueResponse(HttpStatusCode.TooManyRequests, null, new Dictionary<string, string> { ["Retry-After"] = until });

        await client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default);

        var wait = Assert.Single(_ctx.Delays);
        Assert.InRange(wait, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Send_RetryAfterAboveCap_WaitsOnlyTheCap()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.EnqueueResponse(FakeConnectorResponse.Throttled(retryAfterSeconds: 3600));

        await client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default);

        Assert.Equal([ConnectorRetryPolicy.Default.MaxDelay], _ctx.Delays);
    }

    [Fact]
    public async Task Send_BadGatewayAndGatewayTimeoutWithoutRetryAfter_RetriesWithJitteredExponentialBackoff()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.EnqueueResponse(HttpStatusCode.BadGateway, "upstream broke");
        _ctx.Server.EnqueueResponse(HttpStatusCode.GatewayTimeout);
        _ctx.Server.EnqueueResponse(HttpStatusCode.PreconditionFailed);

        var result = await client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default);

        Assert.NotNull(result.Id);
        Assert.Equal(4, _ctx.Server.Requests.Count);
        Assert.Equal(3, _ctx.Delays.Count);
        Assert.InRange(_ctx.Delays[0].TotalMilliseconds, 800, 1200);
        Assert.InRange(_ctx.Delays[1].TotalMilliseconds, 1600, 2400);
        Assert.InRange(_ctx.Delays[2].TotalMilliseconds, 3200, 4800);
    }

    [Fact]
    public async Task WithoutRetries_Throttled_OneRequestAndTheRetryAfterIsOnTheException()
    {
        var client = _ctx.CreateClient().WithoutRetries();
        _ctx.Server.FailNext(3, FakeConnectorResponse.Throttled(retryAfterSeconds: 7));

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default));

        Assert.Equal(HttpStatusCode.TooManyRequests, ex.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Single(_ctx.Server.Requests);
        Assert.Empty(_ctx.Delays);
    }

    [Fact]
    public async Task WithoutRetries_ServiceUnavailableWithRetryAfterDate_RetryAfterIsTheDelayUntilThatDate()
    {
        var client = _ctx.CreateClient().WithoutRetries();
        var until = DateTimeOffset.UtcNow.AddSeconds(90).ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        _ctx.Server.EnqueueResponse(HttpStatusCode.ServiceUnavailable, null, new Dictionary<string, string> { ["Retry-After"] = until });

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.InRange(ex.RetryAfter!.Value, TimeSpan.FromSeconds(85), TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task Send_ThrottledBeyondMaxRetries_ExceptionCarriesTheLastRetryAfterUnclamped()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.FailNext(4, FakeConnectorResponse.Throttled(retryAfterSeconds: 120));

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default));

        Assert.Equal(TimeSpan.FromSeconds(120), ex.RetryAfter);
        Assert.Equal(4, _ctx.Server.Requests.Count);
    }

    [Fact]
    public async Task Send_FailureWithoutRetryAfter_ExceptionHasNoRetryAfter()
    {
        var client = _ctx.CreateClient().WithoutRetries();
        _ctx.Server.EnqueueResponse(HttpStatusCode.BadGateway, "upstream broke");

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default));

        Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        Assert.Null(ex.RetryAfter);
        Assert.Single(_ctx.Server.Requests);
    }

    [Fact]
    public async Task Send_InternalServerError_IsNotRetriedBecauseTheMessageMayHaveBeenPosted()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.EnqueueResponse(FakeConnectorResponse.Error(HttpStatusCode.InternalServerError, "ServiceError", "Something broke"));

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default));

        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Single(_ctx.Server.Requests);
        Assert.Empty(_ctx.Delays);
    }

    [Fact]
    public async Task Send_ThrottledBeyondMaxRetries_ThrowsWithStatusAndCode()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.FailNext(10, FakeConnectorResponse.Throttled(1));

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default));

        Assert.Equal(HttpStatusCode.TooManyRequests, ex.StatusCode);
        Assert.Equal("Throttled", ex.ErrorCode);
        Assert.Contains("after 4 attempts", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, _ctx.Server.Requests.Count);
        Assert.Empty(_ctx.Server.Activities);
    }

    [Fact]
    public async Task Send_BotBlockedInConversation_ThrowsConversationGoneWithSubCodeAndCorrelationId()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.FailConversation("a:blocked", FakeConnectorResponse.BotBlocked(correlationId: "corr-403"));

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:blocked", Activity.CreateMessage("hi"), default));
        await client.SendToConversationAsync(_ctx.ServiceUrl, "a:other", Activity.CreateMessage("hi"), default);

        Assert.True(ex.IsConversationGone);
        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Equal("MessageWritesBlocked", ex.ErrorCode);
        Assert.Equal("corr-403", ex.CorrelationId);
        Assert.Contains("corr-403", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, _ctx.Server.Requests.Count); // 403 is final, the other conversation still works
    }

    [Fact]
    public async Task Send_DocumentedErrorBody_ExposesCodeMessageAndCorrelationId()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.EnqueueResponse(FakeConnectorResponse.Error(HttpStatusCode.RequestEntityTooLarge, "MessageSizeTooBig", "Message size too big", "corr-413"));

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("big"), default));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, ex.StatusCode);
        Assert.Equal("MessageSizeTooBig", ex.ErrorCode);
        Assert.Equal("corr-413", ex.CorrelationId);
        Assert.Contains("Message size too big", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsConversationGone);
    }

    [Fact]
    public async Task Send_PlainTextErrorBody_MessageCarriesTheText()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.EnqueueResponse(HttpStatusCode.BadRequest, "Bad activity: missing type");

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("x"), default));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Null(ex.ErrorCode);
        Assert.Contains("Bad activity: missing type", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_ConnectorUnreachable_RetriesThenThrowsConnectorExceptionWithoutStatus()
    {
        var client = _ctx.CreateClient();
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var ex = await Assert.ThrowsAsync<ConnectorException>(() =>
            client.SendToConversationAsync($"http://127.0.0.1:{closedPort}/", "a:1", Activity.CreateMessage("hi"), default));

        Assert.Null(ex.StatusCode);
        Assert.Equal("NetworkError", ex.ErrorCode);
        Assert.IsType<HttpRequestException>(ex.InnerException);
        Assert.Equal(3, _ctx.Delays.Count);
    }

    [Fact]
    public async Task Send_FirstAttemptTimesOut_RetriesAndSucceeds()
    {
        var client = _ctx.CreateClient(httpTimeout: TimeSpan.FromMilliseconds(500));
        _ctx.Server.EnqueueResponse(new FakeConnectorResponse(HttpStatusCode.OK, """{"id":"late"}""") { Delay = TimeSpan.FromSeconds(5) });

        var result = await client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default);

        Assert.NotEqual("late", result.Id);
        Assert.Equal(2, _ctx.Server.Requests.Count);
        Assert.Single(_ctx.Delays);
    }

    [Fact]
    public async Task Send_CallerCancels_ThrowsOperationCanceledWithoutRetrying()
    {
        var client = _ctx.CreateClient();
        _ctx.Server.EnqueueResponse(new FakeConnectorResponse(HttpStatusCode.OK) { Delay = TimeSpan.FromSeconds(5) });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), cts.Token));

        Assert.Empty(_ctx.Delays);
    }

    [Fact]
    public async Task Send_InvalidServiceUrl_ThrowsConnectorException()
    {
        var client = _ctx.CreateClient();

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync("not a url", "a:1", Activity.CreateMessage("hi"), default));

        Assert.Equal("InvalidServiceUrl", ex.ErrorCode);
    }

    [Fact]
    public async Task Send_TrustedServiceUrlWithAuth_AttachesBearerTokenAndReusesIt()
    {
        var client = _ctx.CreateClient(authEnabled: true);
        _ctx.Trust.Trust(_ctx.ServiceUrl.TrimEnd('/'));

        await client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("one"), default);
        await client.ReplyToActivityAsync(_ctx.ServiceUrl, "a:1", "1:x", Activity.CreateMessage("two"), default);

        var token = _ctx.Tokens.LastIssuedToken;
        Assert.NotNull(token);
        Assert.All(await _ctx.Server.WaitForActivitiesAsync(2), r => Assert.Equal("Bearer " + token, r.Authorization));
        Assert.Single(_ctx.Tokens.TokenRequests);
    }

    [Fact]
    public async Task Send_ConnectorRequiresTokenAndGetsIt_Succeeds()
    {
        var client = _ctx.CreateClient(authEnabled: true);
        _ctx.Trust.Trust(_ctx.ServiceUrl);
        await client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("warm-up"), default);
        _ctx.Server.RequiredAccessToken = _ctx.Tokens.LastIssuedToken;

        var result = await client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default);

        Assert.NotNull(result.Id);
        Assert.Equal(2, _ctx.Server.Activities.Count);
    }

    [Fact]
    public async Task Send_UntrustedServiceUrlWithAuth_RefusedWithoutSendingAnything()
    {
        var client = _ctx.CreateClient(authEnabled: true);
        _ctx.Trust.Trust("https://smba.trafficmanager.net/amer/");

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default));

        Assert.Equal("UntrustedServiceUrl", ex.ErrorCode);
        Assert.Null(ex.StatusCode);
        Assert.Empty(_ctx.Server.Requests);
    }

    [Fact]
    public async Task Send_LocalModeWithUntrustedServiceUrl_SendsWithoutAuthorizationHeader()
    {
        var client = _ctx.CreateClient(authEnabled: false);

        await client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default);

        var request = Assert.Single(_ctx.Server.Requests);
        Assert.False(request.Headers.ContainsKey("Authorization"));
        Assert.Empty(_ctx.Tokens.TokenRequests);
    }

    [Fact]
    public async Task Send_TokenEndpointRejectsClient_ThrowsConnectorExceptionWithAadstsTextAndSendsNothing()
    {
        var client = _ctx.CreateClient(authEnabled: true);
        _ctx.Trust.Trust(_ctx.ServiceUrl);
        _ctx.Tokens.FailWithInvalidClient();

        var ex = await Assert.ThrowsAsync<ConnectorException>(() => client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage("hi"), default));

        Assert.Equal("TokenUnavailable", ex.ErrorCode);
        Assert.Contains("AADSTS7000215", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("test-secret-value", ex.ToString(), StringComparison.Ordinal);
        Assert.Empty(_ctx.Server.Requests);
    }

    [Theory]
    [InlineData("""{"error":{"code":"BadArgument","message":"Unknown activity type"}}""", "BadArgument", "Unknown activity type")]
    [InlineData("""{"errorCode":209,"message":"{\"subCode\":\"MessageWritesBlocked\"}"}""", "MessageWritesBlocked", """{"subCode":"MessageWritesBlocked"}""")]
    [InlineData("""{"errorCode":1008,"message":"Conversation not found"}""", "1008", "Conversation not found")]
    [InlineData("""{"error":"invalid_token","error_description":"The token expired"}""", "invalid_token", "The token expired")]
    [InlineData("""{"Message":"Authorization has been denied for this request."}""", null, "Authorization has been denied for this request.")]
    [InlineData("Service Unavailable", null, "Service Unavailable")]
    [InlineData("[1,2]", null, "[1,2]")]
    [InlineData("", null, null)]
    public void ParseError_KnownShapes_ReturnsCodeAndMessage(string body, string? code, string? message)
    {
        Assert.Equal((code, message), ConnectorClient.ParseError(body));
    }

    [Fact]
    public async Task FakeServer_WaitForActivities_TimesOutListingWhatArrived()
    {
        var client = _ctx.CreateClient();
        await client.DeleteActivityAsync(_ctx.ServiceUrl, "a:1", "1:x", default);

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => _ctx.Server.WaitForActivitiesAsync(1, TimeSpan.FromMilliseconds(200)));

        Assert.Contains("DELETE /v3/conversations/a%3A1/activities/1%3Ax", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FakeServer_WaitForActivities_ReturnsWhenSentConcurrently()
    {
        var client = _ctx.CreateClient();
        var waiting = _ctx.Server.WaitForActivitiesAsync(3);

        await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            client.SendToConversationAsync(_ctx.ServiceUrl, "a:1", Activity.CreateMessage($"m{i}"), default)));

        var activities = await waiting;
        Assert.Equal(["m0", "m1", "m2"], activities.Select(a => a.Activity!.Text).Order());
        Assert.Equal(3, activities.Select(a => a.ResponseId).Distinct().Count());
    }
}
