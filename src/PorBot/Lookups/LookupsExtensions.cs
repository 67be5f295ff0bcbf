using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PorBot.Protocol.Hosting;
using PorBot.Storage;
using PorBot.Welcome;

namespace PorBot.Lookups;

public static class LookupsExtensions
{
    /// <summary>
    /// POR and partner id lookups in chat (commands and natural phrasing) and in the search message
    /// extension, under the access rules. Needs an <see cref="IPorRegistry"/> (registered with storage).
    /// Add after features whose middleware must see every message (conversation references): the
    /// phrasing middleware ends the turn when it answers.
    /// </summary>
    public static BotBuilder AddLookups(this BotBuilder bot)
    {
        bot.Services.AddOptions<LookupOptions>().BindConfiguration(LookupOptions.SectionName).ValidateOnStart();
        bot.Services.AddSingleton<IValidateOptions<LookupOptions>, LookupOptionsValidator>();
        bot.Services.TryAddSingleton(TimeProvider.System);
        bot.Services.TryAddSingleton<IClaimantLookup, NoClaimants>();
        bot.Services.TryAddSingleton<IReadSnapshots, NoReadSnapshots>();
        bot.Services.AddSingleton<LookupAccessPolicy>();
        bot.Services.AddSingleton<LookupService>();
        // Stateless over LookupService: one for the process, not one more scoped object on every turn.
        bot.Services.AddSingleton<LookupChat>();

        bot.Services.AddSingleton(new HelpEntry(
            "Look up a Partner of Record",
            "Who is Partner of Record for a customer: by subscription id, customer tenant id, domain or name.",
            ["lookup adventure-works.com", "Who is the partner of record for Woodgrove Bank?", "lookup Tailspin"],
            Order: 20));
        bot.Services.AddSingleton(new HelpEntry(
            "Check a partner ID",
            "Checks a partner ID (formerly MPN ID) and finds partners by name.",
            ["mpn 4412345", "whose mpn id is 5523456", "partner Fabrikam"],
            Order: 30));

        return bot
            .Use<LookupIntentMiddleware>()
            .OnCommand<LookupCommandHandler>("lookup", takesArgument: true)
            .OnCommand<LookupCommandHandler>("look up", takesArgument: true)
            .OnCommand<PartnerIdCommandHandler>("mpn", takesArgument: true)
            .OnCommand<PartnerIdCommandHandler>("partner id", takesArgument: true)
            .OnCommand<PartnerIdCommandHandler>("partnerid", takesArgument: true)
            .OnCommand<PartnerSearchCommandHandler>("partner", takesArgument: true)
            .OnInvoke<LookupSearchHandler>("composeExtension/query")
            .OnInvoke<LookupSelectItemHandler>("composeExtension/selectItem");
    }
}
