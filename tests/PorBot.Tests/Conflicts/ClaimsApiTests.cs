using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using PorBot.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary><c>POST /api/claims</c> and its resolution endpoint, as a backend system calls them.</summary>
public sealed class ClaimsApiTests : IAsyncLifetime
{
    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await Claims.StartBotAsync();

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    private static string Body(Guid subscription, string partner, string? note = null) =>
        JsonSerializer.Serialize(new { subscriptionId = subscription, claimantPartnerId = partner, source = "crm-sync", note });

    private async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string path, string body,
        string? key = Claims.ApiKey, string? idempotencyKey = null, string? rawAuthorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (rawAuthorization is not null) request.Headers.TryAddWithoutValidation("Authorization", rawAuthorization);
        else if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        var response = await _bot.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    [Theory]
    [InlineData("Claims:ApiKeys:0:Key", "short", "at least 32 characters")]
    [InlineData("Claims:ApiKeys:0:Name", "", "must be a name without spaces")]
    [InlineData("Claims:ApiKeys:1:Name", "CRM", "has the name 'crm' more than once")]
    public async Task Options_InvalidApiKeys_StopStartUp(string key, string value, string message)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Claims:ApiKeys:0:Name"] = "crm",
            ["Claims:ApiKeys:0:Key"] = Claims.ApiKey,
            ["Claims:ApiKeys:1:Name"] = "other",
            ["Claims:ApiKeys:1:Key"] = Claims.RotatedApiKey,
            [key] = value,
        };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => BotTestHost.StartAsync(settings: settings));

        var validation = error as Microsoft.Extensions.Options.OptionsValidationException ?? error.InnerException as Microsoft.Extensions.Options.OptionsValidationException;
        Assert.NotNull(validation);
        Assert.Contains(message, validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostClaim_NoKeysConfigured_Is401ForEveryone()
    {
        await using var bot = await BotTestHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/claims", UriKind.Relative))
        {
            Content = new StringContent(Body(Claims.ContosoHeld, Claims.Fabrikam), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "");

        using var response = await bot.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-the-key-0123456789abcdef0123456789")]
    [InlineData("Basic Zmlyc3Qta2V5")]
    [InlineData("Bearer ")]
    public async Task PostClaim_WithoutValidKey_Is401WithoutDetailAndRecordsNothing(string? authorization)
    {
        var (status, body, response) = await PostAsync("/api/claims", Body(Claims.ContosoHeld, Claims.Fabrikam), key: null, rawAuthorization: authorization);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(JsonValueKind.Undefined, body.ValueKind);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(0, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task PostClaim_WithEitherConfiguredKey_Is202AndRecordsTheKeyNameAsSource()
    {
        var (status, body, _) = await PostAsync("/api/claims", Body(Claims.ContosoHeld, Claims.Fabrikam), key: Claims.RotatedApiKey);

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("Conflict", body.GetProperty("outcome").GetString());
        var conflictId = body.GetProperty("conflictId").GetGuid();
        var claimId = body.GetProperty("claimId").GetGuid();
        Assert.NotEqual(Guid.Empty, claimId);

        var (pending, pendingBody, _) = await PostAsync("/api/claims", Body(Claims.Unheld, Claims.Fabrikam), key: Claims.ApiKey);
        Assert.Equal(HttpStatusCode.Accepted, pending);
        Assert.Equal("Pending", pendingBody.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, pendingBody.GetProperty("conflictId").ValueKind);

        await using var connection = await _bot.GetRequiredService<PorBot.Storage.Sqlite.SqliteDatabase>().OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT source, source_system, conflict_id FROM claims WHERE claim_id = $id";
        command.Parameters.AddWithValue("$id", claimId.ToString("D"));
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("api:crm-next", "crm-sync", conflictId.ToString("D")), (reader.GetString(0), reader.GetString(1), reader.GetString(2)));
    }

    [Fact]
    public async Task PostClaim_ManyBadFields_Is400ProblemListingEveryProblem()
    {
        var body = JsonSerializer.Serialize(new { subscriptionId = "not-a-guid", claimantPartnerId = "12ab", note = new string('x', 1001) });

        var (status, problem, response) = await PostAsync("/api/claims", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("subscriptionId must be a GUID", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("claimantPartnerId must be a partner ID of 5 to 8 digits", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("note must be at most 1000", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{}", "subscriptionId is missing.|claimantPartnerId is missing.")]
    [InlineData("{\"subscriptionId\": ", "The body is not valid JSON")]
    [InlineData("[1, 2]", "The body must be a JSON object")]
    [InlineData("", "The body is empty")]
    [InlineData("{\"subscriptionId\": \"00000000-1111-4222-8333-444444444444\", \"claimantPartnerId\": \"9999999\"}",
        "subscriptionId 00000000-1111-4222-8333-444444444444 is not in the POR registry.|claimantPartnerId 9999999 is not a partner in the POR registry.")]
    public async Task PostClaim_MissingMalformedOrUnknown_Is400WithEachProblem(string body, string expected)
    {
        var (status, problem, _) = await PostAsync("/api/claims", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        var wanted = expected.Split('|');
        Assert.Equal(wanted.Length, errors.Count);
        foreach (var w in wanted) Assert.Contains(errors, e => e.StartsWith(w, StringComparison.Ordinal));
        Assert.Equal(0, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task PostClaim_SameIdempotencyKeyAndBody_ReturnsTheSame202AndRecordsOnce()
    {
        var body = Body(Claims.ContosoHeld, Claims.Fabrikam, "from CRM");

        var first = await PostAsync("/api/claims", body, idempotencyKey: "crm-4711");
        var second = await PostAsync("/api/claims", body, idempotencyKey: "crm-4711");

        Assert.Equal(HttpStatusCode.Accepted, second.Status);
        Assert.Equal(first.Body.GetRawText(), second.Body.GetRawText());
        Assert.Equal(1, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task PostClaim_SameIdempotencyKeyOtherBody_Is422()
    {
        await PostAsync("/api/claims", Body(Claims.ContosoHeld, Claims.Fabrikam), idempotencyKey: "crm-4712");

        var (status, _, _) = await PostAsync("/api/claims", Body(Claims.ContosoHeld, Claims.Fabrikam, "changed note"), idempotencyKey: "crm-4712");

        Assert.Equal((HttpStatusCode)422, status);
        Assert.Equal(1, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task PostClaim_SameIdempotencyKeyFromAnotherApiKey_IsADifferentRequest()
    {
        await PostAsync("/api/claims", Body(Claims.Unheld, Claims.Fabrikam), idempotencyKey: "shared");

        var (status, body, _) = await PostAsync("/api/claims", Body(Claims.Unheld, Claims.Northwind), key: Claims.RotatedApiKey, idempotencyKey: "shared");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("Pending", body.GetProperty("outcome").GetString());
        Assert.Equal(2, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task PostResolution_ForOpenConflict_Is200WithStateAndUpdatesRegistry()
    {
        var claim = (await PostAsync("/api/claims", Body(Claims.ContosoHeld, Claims.Fabrikam))).Body;
        var claimId = claim.GetProperty("claimId").GetGuid();

        var (status, state, _) = await PostAsync($"/api/claims/{claimId:D}/resolution", "{\"winnerPartnerId\": \"5523456\"}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Resolved", state.GetProperty("status").GetString());
        Assert.Equal(Claims.Fabrikam, state.GetProperty("winnerPartnerId").GetString());
        Assert.Equal("Won", state.GetProperty("claimants")[0].GetProperty("status").GetString());
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.ContosoHeld, CancellationToken.None);
        Assert.Equal(Claims.Fabrikam, subscription!.PorPartnerId);

        var (repeat, _, _) = await PostAsync($"/api/claims/{claimId:D}/resolution", "{\"winnerPartnerId\": \"5523456\"}");
        var (other, otherBody, _) = await PostAsync($"/api/claims/{claimId:D}/resolution", "{\"winnerPartnerId\": \"4412345\"}");
        Assert.Equal(HttpStatusCode.OK, repeat);
        Assert.Equal(HttpStatusCode.Conflict, other);
        Assert.Equal(Claims.Fabrikam, otherBody.GetProperty("conflict").GetProperty("winnerPartnerId").GetString());
    }

    [Fact]
    public async Task PostResolution_UnknownId_Is404AndNeedsAKey()
    {
        var pending = (await PostAsync("/api/claims", Body(Claims.Unheld, Claims.Fabrikam))).Body.GetProperty("claimId").GetGuid();

        var (unknown, problem, _) = await PostAsync($"/api/claims/{Guid.NewGuid():D}/resolution", "{\"winnerPartnerId\": \"5523456\"}");

        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Contains("pending claim", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync($"/api/claims/{pending:D}/resolution", "{\"winnerPartnerId\": \"5523456\"}", key: null)).Status);
    }

    [Fact]
    public async Task PostResolution_PendingClaimConfirmed_ClaimWonAndTheClaimantIsPor()
    {
        var pending = (await PostAsync("/api/claims", Body(Claims.Unheld, Claims.Fabrikam))).Body.GetProperty("claimId").GetGuid();

        var (status, body, _) = await PostAsync($"/api/claims/{pending:D}/resolution", "{\"winnerPartnerId\": \"5523456\"}");
        var (repeat, repeated, _) = await PostAsync($"/api/claims/{pending:D}/resolution", "{\"winnerPartnerId\": 5523456}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((pending, "Pending", "Won", Claims.Fabrikam, Claims.Fabrikam),
            (body.GetProperty("claimId").GetGuid(), body.GetProperty("outcome").GetString(), body.GetProperty("status").GetString(),
             body.GetProperty("claimantPartnerId").GetString(), body.GetProperty("porPartnerId").GetString()));
        Assert.Equal(HttpStatusCode.OK, repeat);
        Assert.Equal("Won", repeated.GetProperty("status").GetString());
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.Unheld, CancellationToken.None);
        Assert.Equal(Claims.Fabrikam, subscription!.PorPartnerId);
    }

    [Fact]
    public async Task PostResolution_PendingClaimAnotherPartnerNamed_ClaimLostThatPartnerIsPorAndOtherPendingClaimsSettled()
    {
        var fabrikam = (await PostAsync("/api/claims", Body(Claims.Unheld, Claims.Fabrikam))).Body.GetProperty("claimId").GetGuid();
        var northwind = (await PostAsync("/api/claims", Body(Claims.Unheld, Claims.Northwind))).Body.GetProperty("claimId").GetGuid();

        var (status, body, _) = await PostAsync($"/api/claims/{fabrikam:D}/resolution", "{\"winnerPartnerId\": \"6634567\"}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("Lost", Claims.Northwind), (body.GetProperty("status").GetString(), body.GetProperty("porPartnerId").GetString()));
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.Unheld, CancellationToken.None);
        Assert.Equal(Claims.Northwind, subscription!.PorPartnerId);
        // Northwind's own pending claim on the same subscription was settled by the same answer.
        var (again, northwindState, _) = await PostAsync($"/api/claims/{northwind:D}/resolution", "{\"winnerPartnerId\": \"6634567\"}");
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal("Won", northwindState.GetProperty("status").GetString());
    }

    [Fact]
    public async Task PostResolution_PendingClaim_UnregisteredPartnerIs400AndAnotherAnswerAfterwardsIs409()
    {
        var pending = (await PostAsync("/api/claims", Body(Claims.Unheld, Claims.Fabrikam))).Body.GetProperty("claimId").GetGuid();

        var (unregistered, problem, _) = await PostAsync($"/api/claims/{pending:D}/resolution", "{\"winnerPartnerId\": \"9999999\"}");
        await PostAsync($"/api/claims/{pending:D}/resolution", "{\"winnerPartnerId\": \"5523456\"}");
        var (other, conflict, _) = await PostAsync($"/api/claims/{pending:D}/resolution", "{\"winnerPartnerId\": \"6634567\"}");

        Assert.Equal(HttpStatusCode.BadRequest, unregistered);
        Assert.Contains("9999999 is not a partner in the POR registry", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, other);
        Assert.Contains("already resolved: the customer named partner 5523456", conflict.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(Claims.Fabrikam, conflict.GetProperty("claim").GetProperty("porPartnerId").GetString());
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.Unheld, CancellationToken.None);
        Assert.Equal(Claims.Fabrikam, subscription!.PorPartnerId);
    }

    [Fact]
    public async Task PostResolution_WithdrawnOrNoOpClaim_Is409()
    {
        var pending = (await PostAsync("/api/claims", Body(Claims.Unheld, Claims.Fabrikam))).Body.GetProperty("claimId").GetGuid();
        await _bot.Service().WithdrawAsync(pending, Claims.Fabrikam, CancellationToken.None);
        var noOp = (await PostAsync("/api/claims", Body(Claims.ContosoHeld, Claims.Contoso))).Body.GetProperty("claimId").GetGuid();

        var (withdrawn, withdrawnProblem, _) = await PostAsync($"/api/claims/{pending:D}/resolution", "{\"winnerPartnerId\": \"5523456\"}");
        var (needless, needlessProblem, _) = await PostAsync($"/api/claims/{noOp:D}/resolution", "{\"winnerPartnerId\": \"4412345\"}");

        Assert.Equal(HttpStatusCode.Conflict, withdrawn);
        Assert.Contains("was withdrawn", withdrawnProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, needless);
        Assert.Contains("needed no decision", needlessProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var subscription = await _bot.GetRequiredService<IPorRegistry>().GetSubscriptionAsync(Claims.Unheld, CancellationToken.None);
        Assert.Null(subscription!.PorPartnerId);
    }
}
