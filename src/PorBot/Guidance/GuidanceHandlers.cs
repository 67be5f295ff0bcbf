using PorBot.Protocol.Hosting;

namespace PorBot.Guidance;

/// <summary><c>por guide</c> / <c>guide me</c> [product] [program]: starts the guided dialog.</summary>
public sealed class GuideCommandHandler(GuidanceConversation conversation) : ITurnHandler
{
    public Task HandleAsync(TurnContext turn, CancellationToken cancellationToken) =>
        conversation.StartGuideAsync(turn, turn.GetCommandArgument(), cancellationToken);
}

/// <summary>The message fallback: guide buttons and answers, then free-text POR questions, then "not understood".</summary>
public sealed class GuidanceMessageHandler(GuidanceConversation conversation) : ITurnHandler
{
    public Task HandleAsync(TurnContext turn, CancellationToken cancellationToken) =>
        conversation.HandleMessageAsync(turn, cancellationToken);
}
