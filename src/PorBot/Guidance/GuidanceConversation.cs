using System.Text.Json;
using PorBot.Conversations;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Hosting;
using PorBot.Welcome;

namespace PorBot.Guidance;

/// <summary>
/// One message turn of POR guidance: guide buttons and typed answers go to the <see cref="GuidedDialog"/>
/// (state kept per tenant × conversation × user), everything else is a free-text question for the
/// <see cref="QuestionMatcher"/>.
/// </summary>
public sealed class GuidanceConversation(
    GuidedDialog dialog,
    QuestionMatcher matcher,
    GuidanceCards cards,
    WelcomeCards welcomeCards,
    IDialogStateStore store,
    ILogger<GuidanceConversation> logger)
{
    // A save lost to another request for the same user is retried on the fresh state this many times.
    private const int MaxAttempts = 3;

    /// <summary>"por guide …" / "guide me …": a new guide, pre-filled from the rest of the text.</summary>
    public Task StartGuideAsync(TurnContext turn, string argument, CancellationToken cancellationToken) =>
        RunDialogAsync(turn, _ => dialog.Start(argument), cancellationToken);

    /// <summary>Every message no command claimed.</summary>
    public async Task HandleMessageAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var submit = ReadSubmit(turn.Activity);
        if (submit?.PorGuide is { } click)
        {
            await RunDialogAsync(turn, state => dialog.Click(state, click), cancellationToken);
            return;
        }
        if (submit?.PorTopic is { } topicId)
        {
            await AnswerTopicAsync(turn, topicId, cancellationToken);
            return;
        }

        var text = turn.Text;
        if (string.IsNullOrWhiteSpace(text))
        {
            await (turn.Activity.Attachments is { Count: > 0 }
                ? turn.SendTextAsync("I can only read text messages. Type **help** to see what I can do.", cancellationToken)
                : turn.SendAttachmentAsync(welcomeCards.NotUnderstood(text).ToAttachment(), cancellationToken));
            return;
        }

        if (GuidedDialog.ParseControl(text) is { } control)
        {
            await RunDialogAsync(turn, state => dialog.Control(state, control), cancellationToken);
            return;
        }

        var match = matcher.Match(text);
        var answered = await RunDialogAsync(turn, state =>
            state is null ? null
            : dialog.Typed(state, text)
              // Not an answer to the guide's question and not a question we can answer either: re-ask.
              ?? (match.Decision == MatchDecision.NoMatch && state.Program is null ? dialog.NotAnAnswer(state) : null),
            cancellationToken);
        if (!answered) await AnswerQuestionAsync(turn, text, match, cancellationToken);
    }

    private async Task AnswerQuestionAsync(TurnContext turn, string text, MatchResult match, CancellationToken cancellationToken)
    {
        // The question names one product and one program: that combination's scenario (or an honest "there is
        // none") answers it, unless a topic is in the running (the Azure one-POR rule, Open retroactive…: the
        // matcher's answer or question stands) or the matcher already answered with that very scenario.
        if (match is { Products: [var product], Programs: [var program] })
        {
            var scenario = matcher.Knowledge.FindScenario(product, program);
            IEnumerable<KnowledgeEntry> candidates = match.Decision switch
            {
                MatchDecision.Answer => [match.Best!.Entry],
                MatchDecision.Clarify => [match.Best!.Entry, match.RunnerUp!.Entry],
                _ => [],
            };
            var alreadyRight = match.Decision == MatchDecision.Answer && match.Best!.Entry == scenario;
            if (candidates.All(c => c is Scenario) && !alreadyRight)
            {
                await RunDialogAsync(turn, _ => dialog.StartWith(product, program), cancellationToken);
                return;
            }
        }

        switch (match.Decision)
        {
            case MatchDecision.Answer:
                await turn.SendAttachmentAsync(cards.Entry(match.Best!.Entry).ToAttachment(), cancellationToken);
                break;
            case MatchDecision.Clarify:
                await turn.SendAttachmentAsync(cards.Clarify(match.Best!.Entry, match.RunnerUp!.Entry).ToAttachment(), cancellationToken);
                break;
            default:
                await turn.SendAttachmentAsync(welcomeCards.NotUnderstood(text).ToAttachment(), cancellationToken);
                break;
        }
    }

    private async Task AnswerTopicAsync(TurnContext turn, string topicId, CancellationToken cancellationToken)
    {
        var entry = matcher.Knowledge.Find(topicId);
        if (entry is null or OutOfScopeTopic)
        {
            await turn.SendTextAsync("That button is no longer valid. Ask me your question in your own words, or type **help**.", cancellationToken);
            return;
        }
        await turn.SendAttachmentAsync(cards.Entry(entry).ToAttachment(), cancellationToken);
    }

    /// <summary>
    /// Reads the user's guide state, lets <paramref name="decide"/> act on it, saves optimistically and
    /// replies. When another request for the same user saved first (a double click, two devices), the
    /// decision is made again on what that request left, so the reply matches the stored state.
    /// </summary>
    /// <returns>False when <paramref name="decide"/> returned null (the turn is not for the guide).</returns>
    private async Task<bool> RunDialogAsync(TurnContext turn, Func<GuideState?, GuideOutcome?> decide, CancellationToken cancellationToken)
    {
        var key = KeyFor(turn);
        GuideState? state = null;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var stored = await store.GetAsync(key, cancellationToken);
            state = GuideState.From(stored);
            var outcome = decide(state);
            if (outcome is null) return false;

            if (outcome.Change == GuideStateChange.Save &&
                !await store.TrySaveAsync(key, outcome.State!.ToJson(), stored?.Version ?? 0, cancellationToken))
            {
                logger.LogInformation("Guide state of {Conversation} changed during the turn; deciding again (attempt {Attempt})",
                    key.ConversationId, attempt + 1);
                continue;
            }
            if (outcome.Change == GuideStateChange.Delete) await store.DeleteAsync(key, cancellationToken);

            await SendAsync(turn, outcome, cancellationToken);
            return true;
        }

        var current = GuideState.From(await store.GetAsync(key, cancellationToken));
        var fallback = current is null
            ? new GuideOutcome(GuideStateChange.None, null, null, "Your guide kept changing while I answered. Type **por guide** to start again.")
            : dialog.Current(current, "Your guide changed while I was answering. Here is where it is now:");
        await SendAsync(turn, fallback, cancellationToken);
        return true;
    }

    private static async Task SendAsync(TurnContext turn, GuideOutcome outcome, CancellationToken cancellationToken) =>
        await (outcome.Card is { } card
            ? turn.SendAttachmentAsync(card.ToAttachment(), cancellationToken)
            : turn.SendTextAsync(outcome.Text ?? string.Empty, cancellationToken));

    /// <summary>Per tenant, conversation and user, so two people in one group chat each have their own guide.</summary>
    public static DialogKey KeyFor(TurnContext turn)
    {
        var activity = turn.Activity;
        var user = activity.From?.AadObjectId is { Length: > 0 } aad ? aad : activity.From?.Id;
        return new DialogKey(
            turn.TenantId ?? string.Empty,
            activity.Conversation?.Id ?? throw new InvalidOperationException("A message without a conversation id."),
            user ?? throw new InvalidOperationException("A message without a sender."));
    }

    private GuidanceSubmit? ReadSubmit(Activity activity)
    {
        if (activity.Value is not { ValueKind: JsonValueKind.Object } value) return null;
        if (!value.TryGetProperty("porGuide", out _) && !value.TryGetProperty("porTopic", out _)) return null;
        try
        {
            return activity.Value.ToObject<GuidanceSubmit>();
        }
        catch (JsonException ex)
        {
            // Card data is untrusted input: a malformed click is ignored like an unknown one.
            logger.LogInformation(ex, "Unreadable guidance card data");
            return null;
        }
    }
}
