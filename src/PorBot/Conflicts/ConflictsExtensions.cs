using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PorBot.Lookups;
using PorBot.Protocol.Hosting;
using PorBot.Welcome;

namespace PorBot.Conflicts;

public static class ConflictsExtensions
{
    /// <summary>
    /// POR claims and conflicts: <c>claim &lt;subscription id&gt;</c> with a confirmation card, <c>resolve</c> for
    /// operators, the claims API's services (map it with <see cref="ClaimsApi.MapClaimsApi"/>), and the claims
    /// table as the lookups' <see cref="IClaimantLookup"/>. Add after <c>AddLookups()</c> (it reuses the access rules).
    /// </summary>
    public static BotBuilder AddConflicts(this BotBuilder bot)
    {
        bot.Services.AddOptions<ClaimsApiOptions>().BindConfiguration(ClaimsApiOptions.SectionName).ValidateOnStart();
        bot.Services.AddSingleton<IValidateOptions<ClaimsApiOptions>, ClaimsApiOptionsValidator>();
        bot.Services.TryAddSingleton(TimeProvider.System);
        bot.Services.AddSingleton<ClaimService>();
        bot.Services.AddSingleton<ApiKeyCheck>();
        bot.Services.Replace(ServiceDescriptor.Singleton<IClaimantLookup, ClaimsClaimantLookup>());

        // Alert delivery: the outbox worker and `alerts status`.
        bot.Services.AddOptions<AlertDeliveryOptions>().BindConfiguration(AlertDeliveryOptions.SectionName).ValidateOnStart();
        bot.Services.AddSingleton<IValidateOptions<AlertDeliveryOptions>, AlertDeliveryOptionsValidator>();
        bot.Services.AddSingleton<AlertOutboxStore>();
        // One per process: Teams' limits are per bot, whichever row or scope is sending.
        bot.Services.AddSingleton<AlertSendLimiter>();
        bot.Services.AddScoped<AlertCardComposer>();
        bot.Services.AddScoped<AlertSender>();
        bot.Services.AddSingleton<AlertDeliveryWorker>();
        bot.Services.AddHostedService(sp => sp.GetRequiredService<AlertDeliveryWorker>());

        bot.Services.AddSingleton(new HelpEntry(
            "Claim Partner of Record",
            "Claim a customer's subscription: I show what I understood and record it only when you confirm. If another partner holds it, both of you are alerted and the customer decides.",
            ["claim 1d2e3f4a-5b6c-4d8e-9f9a-0b1c2d3e4f14"],
            Order: 40));

        return bot
            .Use<ClaimSubmitMiddleware>()
            .OnCommand<ClaimCommandHandler>("claim", takesArgument: true)
            .OnCommand<ResolveCommandHandler>("resolve", takesArgument: true)
            .OnCommand<AlertsStatusCommandHandler>("alerts status");
    }
}
