using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using PorBot.Protocol.Activities;

namespace PorBot.Tests.Pipeline;

/// <summary>Bad input gets a clear 4xx and nothing is sent; unknown things are accepted and ignored.</summary>
public sealed class MessagingEndpointTests : IAsyncLifetime
{
    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await BotTestHost.StartAsync();

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Theory]
    [InlineData("{ not json")]
    [InlineData("[1,2,3]")]
    [InlineData("null")]
    [InlineData("{\"text\":\"no type\"}")]
    [InlineData("{\"type\":\"message\",\"from\":\"should be an object\"}")]
    [InlineData("")]
    public async Task Post_MalformedActivity_Returns400WithProblemAndSendsNothing(string body)
    {
        using var response = await _bot.PostRawAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(_bot.Connector.Requests);
    }

    [Fact]
    public async Task Post_ActivityNestedDeeperThan128_Returns400()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 140)) + "1" + new string('}', 140);
        using var response = await _bot.PostRawAsync($"{{\"type\":\"message\",\"value\":{deep}}}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Post_BodyOverTheLimit_Returns413()
    {
        var activity = TestActivities.Message(_bot.Connector.ServiceUrl, new string('x', 300 * 1024));
        using var response = await _bot.PostActivityAsync(activity);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(_bot.Connector.Requests);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50 * 1024)]
    public async Task Post_BodyWithoutStatedLength_IsReadWhole(int textLength)
    {
        var text = "help" + new string(' ', textLength);
        using var response = await PostUnstatedLengthAsync(ProtocolJson.Serialize(TestActivities.Message(_bot.Connector.ServiceUrl, text)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await _bot.Connector.WaitForActivitiesAsync(1));
    }

    [Fact]
    public async Task Post_BodyWithoutStatedLengthOverTheLimit_Returns413()
    {
        using var response = await PostUnstatedLengthAsync(ProtocolJson.Serialize(TestActivities.Message(_bot.Connector.ServiceUrl, new string('x', 300 * 1024))));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(_bot.Connector.Requests);
    }

    [Fact]
    public async Task Post_UnknownActivityType_Returns200AndIgnoresIt()
    {
        var activity = TestActivities.Message(_bot.Connector.ServiceUrl, "hello");
        activity.Type = "somethingTeamsInventsNextYear";

        using var response = await _bot.PostActivityAsync(activity);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Task.Delay(200);
        Assert.Empty(_bot.Connector.Activities);
    }

    [Fact]
    public async Task Post_UnknownInvoke_Returns501()
    {
        using var response = await _bot.PostActivityAsync(TestActivities.Invoke(_bot.Connector.ServiceUrl, "some/unknownInvoke", new { x = 1 }));

        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
    }

    [Fact]
    public async Task Get_MessagingEndpoint_Returns405()
    {
        using var response = await _bot.Client.GetAsync(new Uri("/api/messages", UriKind.Relative));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Post_ActivityWithUnknownFieldsAndDifferentCasing_IsUnderstood()
    {
        var json = $$"""
            {"TYPE":"message","Text":"help","id":"1","serviceUrl":"{{_bot.Connector.ServiceUrl}}","channelId":"msteams",
             "from":{"id":"29:u","aadObjectId":"a","futureField":{"deep":[1,2]} },"conversation":{"id":"a:c1"},
             "recipient":{"id":"28:bot"},"imdisplayname":"Megan","legacy":{"x":null} }
            """;
        using var response = await _bot.PostRawAsync(json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = Assert.Single(await _bot.Connector.WaitForActivitiesAsync(1));
        Assert.Equal(Attachment.AdaptiveCardContentType, reply.Activity!.Attachments![0].ContentType);
    }

    [Fact]
    public async Task Healthz_AfterStart_Returns200AndDatabaseHasSampleData()
    {
        using var response = await _bot.Client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(File.Exists(_bot.DatabasePath));
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_bot.DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM subscriptions";
        Assert.True((long)(await command.ExecuteScalarAsync())! > 0);
    }

    [Fact]
    public void ActivityModel_RoundTrip_KeepsUnknownFieldsAndOmitsNulls()
    {
        const string json = """{"type":"message","text":"hi","imdisplayname":"Megan","legacy":{"a":[1,2.50,null]},"from":{"id":"29:x","givenName":"M"}}""";

        var activity = ProtocolJson.Deserialize<Activity>(json)!;
        var written = ProtocolJson.Serialize(activity);

        using var doc = JsonDocument.Parse(written);
        Assert.Equal("Megan", doc.RootElement.GetProperty("imdisplayname").GetString());
        Assert.Equal("[1,2.50,null]", doc.RootElement.GetProperty("legacy").GetProperty("a").GetRawText());
        Assert.Equal("M", doc.RootElement.GetProperty("from").GetProperty("givenName").GetString());
        Assert.False(doc.RootElement.TryGetProperty("attachments", out _));
        Assert.False(doc.RootElement.TryGetProperty("id", out _));
    }

    /// <summary>A chunked body, as a client that streams it sends it: no Content-Length.</summary>
    private async Task<HttpResponseMessage> PostUnstatedLengthAsync(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/messages", UriKind.Relative))
        {
            Content = new UnstatedLengthContent(Encoding.UTF8.GetBytes(json)),
        };
        request.Headers.TransferEncodingChunked = true;
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await _bot.Client.SendAsync(request);
    }

    private sealed class UnstatedLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
