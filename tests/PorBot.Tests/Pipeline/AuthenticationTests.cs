using System.Net;
using PorBot.Testing;

namespace PorBot.Tests.Pipeline;

/// <summary>
/// With an app id configured, every inbound request is authenticated as the Bot Framework requires,
/// through the real endpoint with locally minted tokens; replies carry the bot's own token.
/// </summary>
public sealed class AuthenticationTests : IAsyncLifetime
{
    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await BotTestHost.StartAsync(authEnabled: true);

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    private FakeChannelAuthority Authority => _bot.Authority!;

    private string ServiceUrl => _bot.Connector.ServiceUrl;

    [Fact]
    public async Task ValidChannelToken_IsAcceptedAndReplyCarriesTheBotsToken()
    {
        using var response = await _bot.PostActivityAsync(TestActivities.Message(ServiceUrl, "help"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = Assert.Single(await _bot.Connector.WaitForActivitiesAsync(1));
        // MSAL's token cache is shared per process (CacheOptions.EnableSharedCacheOptions), so another test's host
        // with the same app may have fetched the token this reply carries from its own fake token endpoint.
        Assert.Matches("^Bearer fake-bot-token-[0-9]+$", reply.Authorization);
    }

    public static TheoryData<string> RejectedTokens() =>
    [
        "missing", "expired", "not yet valid", "wrong audience", "wrong issuer", "unsigned", "hmac with public key",
        "unknown key", "serviceUrl mismatch", "no serviceurl claim", "key without endorsements", "not a jwt", "basic scheme",
    ];

    [Theory]
    [MemberData(nameof(RejectedTokens))]
    public async Task BadOrMissingToken_Returns401AndNothingIsSent(string kind)
    {
        var activity = TestActivities.Message(ServiceUrl, "help");
        var now = DateTimeOffset.UtcNow;
        var token = kind switch
        {
            "missing" => null,
            "expired" => Authority.MintToken(BotTestHost.AppId, ServiceUrl, expires: now.AddMinutes(-6), notBefore: now.AddHours(-1)),
            "not yet valid" => Authority.MintToken(BotTestHost.AppId, ServiceUrl, notBefore: now.AddMinutes(10), expires: now.AddHours(1)),
            "wrong audience" => Authority.MintToken(Guid.NewGuid().ToString(), ServiceUrl),
            "wrong issuer" => Authority.MintToken(BotTestHost.AppId, ServiceUrl, issuer: "https://api.botframework.evil"),
            "unsigned" => Authority.MintUnsignedToken(BotTestHost.AppId, ServiceUrl),
            "hmac with public key" => Authority.MintHmacTokenWithPublicKey(BotTestHost.AppId, ServiceUrl),
            "unknown key" => Authority.MintToken(BotTestHost.AppId, ServiceUrl, signingKey: Authority.UnpublishedKey),
            "serviceUrl mismatch" => Authority.MintToken(BotTestHost.AppId, "https://smba.trafficmanager.net/amer/"),
            "no serviceurl claim" => Authority.MintToken(BotTestHost.AppId, serviceUrl: null),
            "key without endorsements" => Authority.MintToken(BotTestHost.AppId, ServiceUrl, signingKey: Authority.KeyWithoutEndorsements),
            "not a jwt" => "definitely-not-a-jwt",
            "basic scheme" => "basic",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        using var response = kind == "basic scheme"
            ? await PostWithHeaderAsync(activity, "Basic dXNlcjpwYXNz")
            : await _bot.PostActivityAsync(activity, token, withToken: token is not null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(string.Empty, await response.Content.ReadAsStringAsync());
        await Task.Delay(100);
        Assert.Empty(_bot.Connector.Requests);
    }

    [Fact]
    public async Task EndorsementMissingForTheChannel_Returns401()
    {
        var activity = TestActivities.Message(ServiceUrl, "help");
        activity.ChannelId = "webchat";

        using var response = await _bot.PostActivityAsync(activity);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task MalformedBody_WithAuthOn_Is400NotA401Or500()
    {
        using var response = await _bot.PostRawAsync("{ nope", Authority.MintToken(BotTestHost.AppId, ServiceUrl));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<HttpResponseMessage> PostWithHeaderAsync(PorBot.Protocol.Activities.Activity activity, string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/messages", UriKind.Relative))
        {
            Content = new StringContent(PorBot.Protocol.Activities.ProtocolJson.Serialize(activity), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", header);
        return await _bot.Client.SendAsync(request);
    }
}
