using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PorBot.Lookups;
using PorBot.Protocol.Hosting;
using PorBot.Welcome;

namespace PorBot.Conflicts;

public static class ConflictsExtensions
{
    /// <summary>
    /// POR claims and conflicts: <c>claim &lt;subscription id&gt;</c> (or natural phrasing) with a confirmation card,
    /// <c>resolve</c> for operators, the claims API's services (map it with <see cref="ClaimsApi.MapClaimsApi"/>), the
    /// claims table as the lookups' <see cref="IClaimantLookup"/>, alert delivery, <c>alerts status</c>, <c>alerts here</c>
    /// and the alert card's actions (<see cref="ConflictVerbs"/>). Add before <c>AddLookups()</c>: "we're the POR for
    /// &lt;id&gt;" also reads as a lookup, and the claim phrasing must see it first. It uses the lookups' access rules and
    /// the guidance's scenario cards ("Show the steps"), so <c>AddLookups()</c> and <c>AddGuidance()</c> are needed too.
    /// </summary>
    public static BotBuilder AddConflicts(this BotBuilder bot)
    {
        bot.Services.AddOptions<ClaimsApiOptions>().BindConfiguration(ClaimsApiOptions.SectionName).ValidateOnStart();
        bot.Services.AddSingleton<IValidateOptions<ClaimsApiOptions>, ClaimsApiOptionsValidator>();
        bot.Services.TryAddSingleton(TimeProvider.System);
        // Storage registers the Azure Tables adapter first when Azure Storage is configured; TryAdd leaves it in place.
        bot.Services.TryAddSingleton<IClaimStore, SqliteClaimStore>();
        bot.Services.AddSingleton<ClaimService>();
        bot.Services.AddSingleton<ApiKeyCheck>();
        bot.Services.Replace(ServiceDescriptor.Singleton<IClaimantLookup, ClaimsClaimantLookup>());

        // Alert delivery: the outbox worker, reconciliation of unknown sends, `alerts status` and `alerts resend`.
        bot.Services.AddOptions<AlertDeliveryOptions>().BindConfiguration(AlertDeliveryOptions.SectionName).ValidateOnStart();
        bot.Services.AddSingleton<IValidateOptions<AlertDeliveryOptions>, AlertDeliveryOptionsValidator>();
        bot.Services.TryAddSingleton<IAlertOutbox, SqliteAlertOutbox>();
        // One per process: Teams' limits are per bot, whichever row or scope is sending.
        bot.Services.AddSingleton<AlertSendLimiter>();
        bot.Services.AddScoped<AlertCardComposer>();
        bot.Services.AddScoped<AlertSender>();
        bot.Services.AddScoped<AlertReconciler>();
        // Without Graph nothing can be checked; AddGraphEnrichment replaces this when Graph:Enabled is true.
        bot.Services.TryAddSingleton<IAlertDeliveryProbe, NoAlertDeliveryProbe>();
        bot.Services.AddSingleton<AlertDeliveryWorker>();
        bot.Services.AddHostedService(sp => sp.GetRequiredService<AlertDeliveryWorker>());

        // The alert card's Universal Actions: every verb goes through the gate (who clicked, are they a party).
        bot.Services.AddScoped<ConflictActionGate>();

        bot.Services.AddSingleton(new HelpEntry(
            "Claim Partner of Record",
            "Claim a customer's subscription: I show what I understood and record it only when you confirm. If another partner holds it, both of you are alerted and the customer decides.",
            ["claim 1d2e3f4a-5b6c-4d8e-9f9a-0b1c2d3e4f14"],
            Order: 40));

        bot.Services.AddSingleton(new HelpEntry(
            "Conflict alerts",
            "When another partner claims a subscription you hold, or one you claimed, your people who chat with me are alerted. " +
            "A partner admin can have alerts posted in a team channel or group chat too: @mention me there with \"alerts here\" (\"alerts off here\" stops it). " +
            "\"alerts status\" shows what was sent, what waits or failed, and where alerts go.",
            ["alerts status", "alerts here"],
            Order: 50));

        return bot
            .Use<ClaimSubmitMiddleware>()
            .Use<ClaimIntentMiddleware>()
            .OnCommand<ClaimCommandHandler>("claim", takesArgument: true)
            .OnCommand<ResolveCommandHandler>("resolve", takesArgument: true)
            .OnCommand<AlertsStatusCommandHandler>("alerts status")
            // Exact word counts keep these apart: "alerts here" never swallows "alerts here off", nor "alerts status".
            .OnCommand<AlertsHereCommandHandler>("alerts here")
            .OnCommand<AlertsOffHereCommandHandler>("alerts off here")
            .OnCommand<AlertsOffHereCommandHandler>("alerts here off")
            .OnCommand<AlertsResendCommandHandler>("alerts resend", takesArgument: true)
            .OnCardAction<RefreshConflictCardHandler>(ConflictVerbs.Refresh)
            .OnCardAction<ConflictProofFormHandler>(ConflictVerbs.ProofForm)
            .OnCardAction<AddConflictProofHandler>(ConflictVerbs.Proof)
            .OnCardAction<WithdrawConflictClaimHandler>(ConflictVerbs.Withdraw)
            .OnCardAction<ConflictStepsHandler>(ConflictVerbs.Steps);
    }
}
