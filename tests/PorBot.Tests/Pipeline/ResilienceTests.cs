using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Hosting;

namespace PorBot.Tests.Pipeline;

/// <summary>When something breaks inside a turn the user gets a short apology, never a 500.</summary>
public sealed class ResilienceTests
{
    [Fact]
    public async Task HandlerThrows_UserGetsApologyWithCorrelationId_And200()
    {
        await using var bot = await BotTestHost.StartAsync(services: s => s.AddScoped<ITurnMiddleware, ThrowingMiddleware>());

        using var response = await bot.PostActivityAsync(TestActivities.Message(bot.Connector.ServiceUrl, "help"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = Assert.Single(await bot.Connector.WaitForActivitiesAsync(1));
        Assert.StartsWith("Sorry, something went wrong", reply.Activity!.Text, StringComparison.Ordinal);
        Assert.Matches(@"reference: [0-9a-f]{32}", reply.Activity.Text);
    }

    [Fact]
    public async Task InvokeHandlerThrows_AnswersWithErrorBodyNot500()
    {
        await using var bot = await BotTestHost.StartAsync(services: s => s.AddScoped<ITurnMiddleware, ThrowingMiddleware>());

        using var response = await bot.PostActivityAsync(TestActivities.Invoke(bot.Connector.ServiceUrl, "adaptiveCard/action", new { action = new { type = "Action.Execute", verb = "x" } }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"statusCode\":500", body, StringComparison.Ordinal);
        Assert.Contains("application/vnd.microsoft.error", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowTurn_ShowsTypingBeforeTheAnswer()
    {
        await using var bot = await BotTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Bot:TypingIndicatorDelay"] = "00:00:00.100" },
            services: s => s.AddScoped<ITurnMiddleware, SlowMiddleware>());

        await bot.PostActivityAsync(TestActivities.Message(bot.Connector.ServiceUrl, "help"));

        var requests = await bot.Connector.WaitForRequestsAsync(2);
        Assert.Equal(ActivityTypes.Typing, requests[0].Activity!.Type);
        Assert.Equal(ActivityTypes.Message, requests[1].Activity!.Type);
    }

    [Fact]
    public async Task FastTurn_ShowsNoTyping()
    {
        await using var bot = await BotTestHost.StartAsync();

        await bot.PostActivityAsync(TestActivities.Message(bot.Connector.ServiceUrl, "help"));
        await bot.Connector.WaitForActivitiesAsync(1);

        await Task.Delay(200);
        Assert.DoesNotContain(bot.Connector.Requests, r => r.Activity?.Type == ActivityTypes.Typing);
    }

    /// <summary>Stands for a slow backend call made while answering.</summary>
    private sealed class SlowMiddleware : ITurnMiddleware
    {
        public async Task InvokeAsync(TurnContext turn, Func<Task> next, CancellationToken cancellationToken)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            await next();
        }
    }

    private sealed class ThrowingMiddleware : ITurnMiddleware
    {
        public Task InvokeAsync(TurnContext turn, Func<Task> next, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("boom");
    }
}
