using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Cards;
using PorBot.Protocol.Hosting;

namespace PorBot.Protocol.Tests.Hosting;

/// <summary><c>adaptiveCard/action</c> routed by verb through the real endpoint and pipeline (local mode, no auth).</summary>
public sealed class CardActionRoutingTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["MicrosoftAppId"] = "", ["MicrosoftAppPassword"] = "" });
        builder.Services.AddBot(builder.Configuration)
            .OnCardAction<EchoCardHandler>("demo.echo")
            .OnCardAction<MessageHandler>("demo.message");
        _app = builder.Build();
        _app.MapBot();
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task KnownVerb_ItsHandlerAnswers200WithTheReplacementCard()
    {
        var (status, body) = await InvokeAsync(new { action = new { type = "Action.Execute", verb = "demo.echo", data = new { says = "hello" } }, trigger = "manual" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(200, body.GetProperty("statusCode").GetInt32());
        Assert.Equal(AdaptiveCardInvokeResponse.CardType, body.GetProperty("type").GetString());
        var card = body.GetProperty("value");
        Assert.Equal("AdaptiveCard", card.GetProperty("type").GetString());
        Assert.Equal("hello (manual)", card.GetProperty("body")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task MessageAnswer_HasTheMessageType()
    {
        var (status, body) = await InvokeAsync(new { action = new { type = "Action.Execute", verb = "demo.message" } });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(AdaptiveCardInvokeResponse.MessageType, body.GetProperty("type").GetString());
        Assert.Equal("Done.", body.GetProperty("value").GetString());
    }

    [Theory]
    [InlineData("""{"trigger":"manual"}""", "BadRequest")]
    [InlineData("""{"action":"approve"}""", "BadRequest")]
    [InlineData("""{"action":{"type":"Action.Execute"}}""", "BadRequest")]
    [InlineData("""{"action":{"type":"Action.Submit","verb":"demo.echo"}}""", "NotSupported")]
    [InlineData("""{"action":{"type":"Action.Execute","verb":"demo.unknown"}}""", "NotSupported")]
    [InlineData(null, "BadRequest")]
    public async Task MalformedOrUnknown_Is400WithTheErrorBody(string? value, string code)
    {
        var (status, body) = await InvokeAsync(value is null ? null : JsonDocument.Parse(value).RootElement);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(400, body.GetProperty("statusCode").GetInt32());
        Assert.Equal(AdaptiveCardInvokeResponse.ErrorType, body.GetProperty("type").GetString());
        Assert.Equal(code, body.GetProperty("value").GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("value").GetProperty("message").GetString()));
    }

    [Fact]
    public void VerbRoutesAndAWholeInvokeHandler_CannotBeMixed()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().Build();

        Assert.Throws<InvalidOperationException>(() => services.AddBot(configuration)
            .OnCardAction<EchoCardHandler>("demo.echo")
            .OnInvoke<WholeInvokeHandler>(CardActionRequest.InvokeName));
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddBot(configuration)
            .OnInvoke<WholeInvokeHandler>(CardActionRequest.InvokeName)
            .OnCardAction<EchoCardHandler>("demo.echo"));
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddBot(configuration)
            .OnCardAction<EchoCardHandler>("demo.echo")
            .OnCardAction<MessageHandler>("demo.echo"));
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> InvokeAsync(object? value)
    {
        var activity = new Activity
        {
            Type = ActivityTypes.Invoke,
            Name = CardActionRequest.InvokeName,
            Id = "f:1",
            ServiceUrl = "https://smba.trafficmanager.net/amer/",
            ChannelId = Channels.MsTeams,
            From = new ChannelAccount { Id = "29:user", AadObjectId = Guid.NewGuid().ToString() },
            Recipient = new ChannelAccount { Id = "28:bot" },
            Conversation = new ConversationAccount { Id = "a:chat", ConversationType = ConversationTypes.Personal },
            Value = value is null ? null : ProtocolJson.ToElement(value),
        };
        using var content = new StringContent(ProtocolJson.Serialize(activity), Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync(new Uri("/api/messages", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private sealed class EchoCardHandler : ICardActionHandler
    {
        public Task<InvokeResponse> HandleAsync(TurnContext turn, CardActionRequest action, CancellationToken cancellationToken)
        {
            var says = action.Data?.GetProperty("says").GetString();
            return Task.FromResult(InvokeResponse.ReplaceCard(new AdaptiveCard().AddText($"{says} ({action.Trigger})")));
        }
    }

    private sealed class MessageHandler : ICardActionHandler
    {
        public Task<InvokeResponse> HandleAsync(TurnContext turn, CardActionRequest action, CancellationToken cancellationToken) =>
            Task.FromResult(InvokeResponse.ShowMessage("Done."));
    }

    private sealed class WholeInvokeHandler : IInvokeHandler
    {
        public Task<InvokeResponse> HandleAsync(TurnContext turn, CancellationToken cancellationToken) =>
            Task.FromResult(InvokeResponse.Ok());
    }
}
