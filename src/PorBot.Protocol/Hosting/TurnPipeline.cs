using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Connector;

namespace PorBot.Protocol.Hosting;

/// <summary>
/// Runs one turn: normalise the activity, run middleware, route to the single handler for it, show
/// typing for slow message turns, and turn a handler exception into an apology instead of a 500.
/// </summary>
public sealed class TurnPipeline(
    BotRoutes routes,
    IOptions<BotHostingOptions> options,
    ILogger<TurnPipeline> logger)
{
    private const string Apology = "Sorry, something went wrong on my side and I couldn't finish that. Please try again in a moment.";

    /// <returns>The invoke response for invokes; null for every other activity.</returns>
    public async Task<InvokeResponse?> RunAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        TeamsNormalizer.Normalize(turn);
        // The container hands out an array for IEnumerable<T>; copy only if that ever changes.
        var services = turn.Services.GetServices<ITurnMiddleware>();
        var middleware = services as ITurnMiddleware[] ?? [.. services];
        InvokeResponse? invokeResponse = null;

        using var scope = logger.BeginScope(new TurnLogScope(turn));

        try
        {
            var turnTask = RunMiddlewareAsync(0);
            await (IsMessage(turn.Activity) ? WithTypingIndicatorAsync(turn, turnTask, cancellationToken) : turnTask);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(ex, "Turn failed (correlation id {CorrelationId}) for {ActivityType} {InvokeName}",
                turn.CorrelationId, turn.Activity.Type, turn.Activity.Name);
            invokeResponse = await ApologiseAsync(turn, cancellationToken);
        }

        return turn.Activity.IsInvoke ? invokeResponse ?? InvokeResponse.NotImplemented() : null;

        Task RunMiddlewareAsync(int index) =>
            index < middleware.Length
                ? middleware[index].InvokeAsync(turn, () => RunMiddlewareAsync(index + 1), cancellationToken)
                : RouteAsync();

        async Task RouteAsync() => invokeResponse = await DispatchAsync(turn, cancellationToken);
    }

    private async Task<InvokeResponse?> DispatchAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var activity = turn.Activity;
        if (activity.IsInvoke)
        {
            var invokeHandler = activity.Name is { } name ? routes.FindInvokeHandler(name) : null;
            if (invokeHandler is null && string.Equals(activity.Name, CardActionRequest.InvokeName, StringComparison.Ordinal) && routes.CardActionVerbs.Count > 0)
            {
                return await DispatchCardActionAsync(turn, cancellationToken);
            }

            if (invokeHandler is null)
            {
                logger.LogInformation("No handler for invoke {InvokeName}; answering 501", activity.Name);
                return InvokeResponse.NotImplemented();
            }

            return await ((IInvokeHandler)turn.Services.GetRequiredService(invokeHandler)).HandleAsync(turn, cancellationToken);
        }

        if (IsMessage(activity))
        {
            var command = routes.FindCommand(turn.Text);
            if (command is { } c) turn.Items[TurnItems.CommandArgument] = c.Argument;
            var handlerType = command?.Handler ?? routes.MessageFallback;
            if (handlerType is null) return null;
            await ((ITurnHandler)turn.Services.GetRequiredService(handlerType)).HandleAsync(turn, cancellationToken);
            return null;
        }

        var handler = activity.Type is { } type ? routes.FindActivityHandler(type) : null;
        if (handler is null)
        {
            // Spec A2006: unknown activity types are accepted and ignored.
            logger.LogDebug("No handler for activity type {ActivityType}; ignored", activity.Type);
            return null;
        }

        await ((ITurnHandler)turn.Services.GetRequiredService(handler)).HandleAsync(turn, cancellationToken);
        return null;
    }

    private async Task<InvokeResponse> DispatchCardActionAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        if (!CardActionRequest.TryParse(turn.Activity.Value, out var request, out var rejection))
        {
            logger.LogInformation("Malformed adaptiveCard/action invoke; answering 400");
            return rejection!;
        }

        var handler = routes.FindCardActionHandler(request!.Verb);
        if (handler is null)
        {
            logger.LogInformation("No handler for Action.Execute verb {Verb}; answering 400", request.Verb);
            return InvokeResponse.NotSupported("This card action is not supported.");
        }

        return await ((ICardActionHandler)turn.Services.GetRequiredService(handler)).HandleAsync(turn, request, cancellationToken);
    }

    private static bool IsMessage(Activity activity) => string.Equals(activity.Type, ActivityTypes.Message, StringComparison.OrdinalIgnoreCase);

    /// <summary>Shows "typing…" when a message turn has produced no answer yet after the configured delay.</summary>
    private async Task WithTypingIndicatorAsync(TurnContext turn, Task handling, CancellationToken cancellationToken)
    {
        try
        {
            // The timer goes as soon as the turn ends; a Task.Delay raced against the turn would stay queued
            // until it fired, one per turn, long after most turns had answered.
            await handling.WaitAsync(options.Value.TypingIndicatorDelay, cancellationToken);
            return;
        }
        catch (TimeoutException) when (!handling.IsCompleted)
        {
        }

        if (!turn.Responded)
        {
            try
            {
                await turn.SendActivityAsync(Activity.CreateTyping(), cancellationToken);
            }
            catch (ConnectorException ex)
            {
                // A lost typing indicator is cosmetic; the answer itself still goes out.
                logger.LogDebug(ex, "Typing indicator not delivered");
            }
        }

        await handling;
    }

    private async Task<InvokeResponse?> ApologiseAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var text = $"{Apology} (reference: {turn.CorrelationId})";
        if (turn.Activity.IsInvoke)
        {
            return InvokeResponse.Ok(new AdaptiveCardInvokeResponse
            {
                StatusCode = 500,
                Type = AdaptiveCardInvokeResponse.ErrorType,
                Value = new InvokeError { Code = "InternalError", Message = text },
            });
        }

        if (!string.Equals(turn.Activity.Type, ActivityTypes.Message, StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            await turn.SendTextAsync(text, cancellationToken);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not deliver the apology for correlation id {CorrelationId}", turn.CorrelationId);
        }

        return null;
    }
}

/// <summary>What every log line of a turn carries: one small object per turn instead of a dictionary.</summary>
internal sealed class TurnLogScope(TurnContext turn) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 3;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("CorrelationId", turn.CorrelationId),
        1 => new("ActivityType", turn.Activity.Type),
        2 => new("ConversationId", turn.Activity.Conversation?.Id),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"CorrelationId:{turn.CorrelationId} ActivityType:{turn.Activity.Type} ConversationId:{turn.Activity.Conversation?.Id}";
}

public static class TurnItems
{
    /// <summary>The text after a matched command's words ("lookup contoso.com" → "contoso.com").</summary>
    public const string CommandArgument = "PorBot.CommandArgument";

    public static string GetCommandArgument(this TurnContext turn) =>
        turn.Items.TryGetValue(CommandArgument, out var value) ? (string)value : string.Empty;
}
