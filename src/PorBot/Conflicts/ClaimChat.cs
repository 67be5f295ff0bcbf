using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using PorBot.Lookups;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Cards;
using PorBot.Protocol.Hosting;

namespace PorBot.Conflicts;

/// <summary>What the Confirm and Cancel buttons of the claim card post back (Action.Submit data).</summary>
public sealed record ClaimSubmit
{
    public const string ConfirmAction = "confirm";
    public const string CancelAction = "cancel";

    [JsonPropertyName("porClaim")]
    public string? Action { get; init; }

    [JsonPropertyName("subscriptionId")]
    public string? SubscriptionId { get; init; }

    /// <summary>One per card: a double click, or a retried post, records the claim once.</summary>
    [JsonPropertyName("nonce")]
    public string? Nonce { get; init; }
}

internal static class ClaimTexts
{
    public const string Usage = "Tell me the subscription id after \"claim\", for example: claim 8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11";
    public const string NotAPartner = "Claims can only be made by people whose organisation (its Microsoft Entra tenant) is registered as a partner in PorBot. " +
                                      "Yours isn't, so I can't record a claim for you. Ask your PorBot administrator to add your tenant to your partner record.";
    public const string Cancelled = "Cancelled: no claim was recorded.";
    public const string AlreadyRecorded = "That claim was already recorded when you pressed Confirm, so Cancel changes nothing.";
    public const string ResolveUsage = "Type: resolve <conflict or pending claim id> <partner id the customer named>";
    public const string OperatorsOnly = "Only PorBot operators can record a customer's decision on a conflict.";
    public const string RegistryDown = "The POR registry isn't answering right now, so nothing was recorded. Please try again in a moment.";

    public static string Outcome(ClaimResult result) => result.Outcome switch
    {
        ClaimOutcome.NoOp => "You are already the Partner of Record for this subscription, so there is nothing to claim.",
        ClaimOutcome.Pending => "Claim recorded: no partner is listed yet, so the customer will be asked to confirm you as Partner of Record.",
        _ => $"Claim recorded. Another partner is listed, so this is now a conflict (id {result.ConflictId:D}): both partners are alerted, " +
             "the customer will be asked to clarify, and proof of execution may be requested.",
    } + (result.Replayed ? " (You had already made this claim.)" : "");
}

/// <summary>
/// <c>claim &lt;subscription id&gt;</c> (and claims in natural phrasing, see <see cref="ClaimIntentMiddleware"/>): shows what
/// was understood with Confirm / Cancel; nothing is recorded until Confirm. "claim POR for Azure" without an id reads
/// as a question, so it goes to the guidance answers.
/// </summary>
public sealed partial class ClaimCommandHandler(LookupAccessPolicy access, IPorRegistry registry) : ITurnHandler
{
    public async Task HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var argument = turn.GetCommandArgument().Trim();
        if ((Guid.TryParse(argument, out var id) ? id : ClaimIntentRecognizer.Recognize(turn.Text)) is { } subscriptionId)
        {
            await ConfirmAsync(turn, subscriptionId, cancellationToken);
        }
        else if (!argument.Any(char.IsAsciiDigit) && LooksLikeQuestion(argument))
        {
            await MessageFallback.HandOverAsync(turn, cancellationToken);
        }
        else
        {
            var caller = await access.IdentifyAsync(turn.TenantId, turn.UserAadObjectId, cancellationToken);
            await turn.SendTextAsync(caller.Partner is null ? ClaimTexts.NotAPartner
                : argument.Length == 0 ? ClaimTexts.Usage : "That isn't a subscription id. " + ClaimTexts.Usage, cancellationToken);
        }
    }

    public async Task ConfirmAsync(TurnContext turn, Guid subscriptionId, CancellationToken cancellationToken)
    {
        var caller = await access.IdentifyAsync(turn.TenantId, turn.UserAadObjectId, cancellationToken);
        if (caller.Partner is null)
        {
            await turn.SendTextAsync(ClaimTexts.NotAPartner, cancellationToken);
            return;
        }

        var subscription = await registry.GetSubscriptionAsync(subscriptionId, cancellationToken);
        if (subscription is null)
        {
            await turn.SendTextAsync($"Subscription {subscriptionId:D} isn't in PorBot's registry, so I can't record a claim on it.", cancellationToken);
            return;
        }

        var view = (await access.ViewAsync(caller, [subscription], cancellationToken))[0];
        await turn.SendAttachmentAsync(ClaimCards.Confirm(view, caller.Partner).ToAttachment(), cancellationToken);
    }

    private static bool LooksLikeQuestion(string argument) =>
        argument.Contains('?', StringComparison.Ordinal) || argument.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length > 3 || QuestionStart().IsMatch(argument);

    [GeneratedRegex(@"^(?:por|dpor|cpor|partner|of|for|on|is|are|process|incentive|incentives|how|what|who|can|do|does|should)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QuestionStart();
}

/// <summary>The Confirm / Cancel clicks of the claim card. Anything else goes on down the pipeline.</summary>
public sealed class ClaimSubmitMiddleware(LookupAccessPolicy access, ClaimService claims, ILogger<ClaimSubmitMiddleware> logger) : ITurnMiddleware
{
    public async Task InvokeAsync(TurnContext turn, Func<Task> next, CancellationToken cancellationToken)
    {
        if (!string.Equals(turn.Activity.Type, ActivityTypes.Message, StringComparison.OrdinalIgnoreCase) ||
            turn.Activity.Value is not { ValueKind: JsonValueKind.Object } value || !value.TryGetProperty("porClaim", out _))
        {
            await next();
            return;
        }

        ClaimSubmit? submit;
        try
        {
            submit = turn.GetValue<ClaimSubmit>();
        }
        catch (JsonException)
        {
            submit = null;
        }

        if (submit is not { Action: ClaimSubmit.ConfirmAction or ClaimSubmit.CancelAction } || !Guid.TryParse(submit.SubscriptionId, out var subscriptionId) ||
            !Guid.TryParse(submit.Nonce, out var nonce))
        {
            await turn.SendTextAsync("I couldn't read that button. " + ClaimTexts.Usage, cancellationToken);
            return;
        }

        // One key per card and clicking user: it makes Confirm idempotent and lets Cancel outlive the click.
        var cardKey = $"chat:{turn.TenantId}:{turn.UserAadObjectId}:{nonce:N}";
        if (submit.Action == ClaimSubmit.CancelAction)
        {
            await turn.SendTextAsync(await claims.CancelCardAsync(cardKey, cancellationToken) ? ClaimTexts.Cancelled : ClaimTexts.AlreadyRecorded, cancellationToken);
            return;
        }

        // The claimant is whoever clicks, by their tenant: a forwarded card cannot claim for someone else.
        var caller = await access.IdentifyAsync(turn.TenantId, turn.UserAadObjectId, cancellationToken);
        if (caller.Partner is null)
        {
            await turn.SendTextAsync(ClaimTexts.NotAPartner, cancellationToken);
            return;
        }

        try
        {
            var result = await claims.ClaimAsync(new ClaimRequest(subscriptionId, caller.Partner.PartnerId, ClaimSources.Chat,
                IdempotencyKey: cardKey), cancellationToken);
            await turn.SendTextAsync(ClaimTexts.Outcome(result), cancellationToken);
        }
        catch (ClaimValidationException e)
        {
            await turn.SendTextAsync("I couldn't record that claim: " + string.Join(" ", e.Problems), cancellationToken);
        }
        catch (Integrations.Registry.RegistryUnavailableException e)
        {
            logger.LogWarning(e, "Registry unavailable while recording a chat claim");
            await turn.SendTextAsync(ClaimTexts.RegistryDown, cancellationToken);
        }
    }
}

/// <summary>
/// <c>resolve &lt;conflict or pending claim id&gt; &lt;partner id&gt;</c>, operators only: records the customer's decision
/// (for a pending claim, naming its claimant confirms it; naming another partner makes that partner POR).
/// </summary>
public sealed class ResolveCommandHandler(LookupAccessPolicy access, ClaimService claims) : ITurnHandler
{
    public async Task HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var caller = await access.IdentifyAsync(turn.TenantId, turn.UserAadObjectId, cancellationToken);
        if (caller.Role != CallerRole.Operator)
        {
            await turn.SendTextAsync(ClaimTexts.OperatorsOnly, cancellationToken);
            return;
        }

        var parts = turn.GetCommandArgument().Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !Guid.TryParse(parts[0], out var conflictId) || !ClaimService.IsPartnerId(parts[1]))
        {
            await turn.SendTextAsync(ClaimTexts.ResolveUsage, cancellationToken);
            return;
        }

        string reply;
        try
        {
            var decision = await claims.RecordDecisionAsync(conflictId, parts[1], "operator:" + turn.UserAadObjectId, cancellationToken);
            reply = decision switch
            {
                { Conflict: { } state } =>
                    $"Conflict {state.ConflictId:D} resolved: partner {state.WinnerPartnerId} is Partner of Record for subscription {state.SubscriptionId:D}. Every party's card will be updated.",
                { Claim: { Status: ClaimStatus.Won } claim } =>
                    $"Claim {claim.ClaimId:D} confirmed: partner {claim.PorPartnerId} (the claimant) is now Partner of Record for subscription {claim.SubscriptionId:D}.",
                { Claim: { } claim } =>
                    $"Claim {claim.ClaimId:D} lost: the customer named partner {claim.PorPartnerId}, now recorded as Partner of Record for subscription {claim.SubscriptionId:D}.",
                _ => throw new InvalidOperationException("A decision names a conflict or a claim."),
            };
        }
        catch (ConflictNotFoundException)
        {
            reply = $"There is no conflict or claim {conflictId:D}.";
        }
        catch (ConflictAlreadyResolvedException e)
        {
            reply = $"Conflict {conflictId:D} was already resolved in favour of partner {e.State.WinnerPartnerId}; nothing changed.";
        }
        catch (ClaimNotPendingException e)
        {
            reply = e.Message + " Nothing changed.";
        }
        catch (ClaimValidationException e)
        {
            reply = string.Join(" ", e.Problems);
        }
        catch (Integrations.Registry.RegistryUnavailableException)
        {
            reply = "The decision is recorded, but the POR registry isn't answering. Send the same resolve command again to finish updating it.";
        }

        await turn.SendTextAsync(reply, cancellationToken);
    }
}

public static class ClaimCards
{
    public const string ConfirmTitle = "Confirm claim";
    public const string CancelTitle = "Cancel";

    public static AdaptiveCard Confirm(SubscriptionView view, PartnerRecord claimant)
    {
        var s = view.Subscription;
        var por = view.Status switch
        {
            PorStatus.NoneListed => "None listed",
            PorStatus.ListedHidden => "Another partner is listed",
            _ when view.CallerIsPor => "You",
            _ => $"{Markdown.Escape(s.PorPartnerName ?? "")} ({s.PorPartnerId})",
        };
        var next = view.Status switch
        {
            PorStatus.NoneListed => "No partner is listed: your claim waits for the customer to confirm it.",
            _ when view.CallerIsPor => "You are already Partner of Record: confirming changes nothing.",
            _ => "Another partner is listed: confirming opens a conflict, both partners are alerted, and the customer decides.",
        };
        var nonce = Guid.NewGuid().ToString("N");
        return new AdaptiveCard()
            .AddHeading("Claim Partner of Record?", TextSize.Medium)
            .AddFacts(
                ("Customer", Markdown.Escape(s.CustomerName)),
                ("Subscription", s.SubscriptionId.ToString("D")),
                ("Product and program", $"{s.Product}, {s.Program}"),
                ("Current POR", por),
                ("Claimant", $"{Markdown.Escape(claimant.Name)} ({claimant.PartnerId})"))
            .AddText(next, wrap: true)
            .AddActionSet(
                new SubmitAction(ConfirmTitle, new ClaimSubmit { Action = ClaimSubmit.ConfirmAction, SubscriptionId = s.SubscriptionId.ToString("D"), Nonce = nonce }),
                new SubmitAction(CancelTitle, new ClaimSubmit { Action = ClaimSubmit.CancelAction, SubscriptionId = s.SubscriptionId.ToString("D"), Nonce = nonce }))
            .WithFallbackText($"Claim Partner of Record for {s.CustomerName}, subscription {s.SubscriptionId:D}? Current POR: {por}.");
    }
}
