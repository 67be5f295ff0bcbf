using System.Globalization;
using System.Text;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Protocol.Cards;
using PorBot.Protocol.Hosting;

namespace PorBot.Conflicts;

internal static class AlertChannelTexts
{
    public const string NotAPartnerTenant = "Conflict alerts go to registered partners, and this conversation's organisation (its Microsoft Entra tenant) isn't one, " +
                                            "so no alerts would come here. Ask your PorBot administrator to add your tenant to your partner record.";
    public const string NotAnAdmin = "Only your organisation's PorBot partner admins (and PorBot operators) can choose where conflict alerts go. " +
                                     "Ask your PorBot administrator to add you as a partner admin, or ask a partner admin to type this here.";
    public const string PersonalHere = "This is a personal chat, and personal chats already get your organisation's conflict alerts: nothing to change. " +
                                       "To have them posted in a team channel or group chat too, @mention me there with: alerts here";
    public const string PersonalOff = "Personal chats always get your organisation's conflict alerts. " +
                                      "\"alerts off here\" stops them in a team channel or group chat where someone typed \"alerts here\".";
    public const string NotDesignated = "This conversation isn't getting conflict alerts (nobody typed \"alerts here\" in it), so there is nothing to turn off.";
    public const string Removed = "Done: new conflict alerts will no longer be posted here. Personal chats still get them. Type \"alerts here\" to undo.";

    public static string Designated(PartnerRecord partner, bool already) =>
        (already ? $"This conversation already gets conflict alerts for {Markdown.Escape(partner.Name)} ({partner.PartnerId})." :
            $"Done: conflict alerts for {Markdown.Escape(partner.Name)} ({partner.PartnerId}) will be posted here, as well as in the personal chats of your people who use PorBot. " +
            "Alerts that were waiting for a place to go arrive here shortly.") +
        " Type \"alerts off here\" to stop, and \"alerts status\" to see where alerts go.";
}

/// <summary>
/// <c>alerts here</c> in a team channel or group chat: a partner admin (or operator) makes it a place where the
/// partner's conflict alerts are posted. Alerts waiting for a target are picked up by the delivery worker.
/// </summary>
public sealed class AlertsHereCommandHandler(
    LookupAccessPolicy access,
    IAlertChannelStore channels,
    IConversationReferenceStore references,
    TimeProvider time,
    ILogger<AlertsHereCommandHandler> logger) : ITurnHandler
{
    public async Task HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        if (await AlertChannelAccess.CheckAsync(turn, access, AlertChannelTexts.PersonalHere, cancellationToken) is not { } partner) return;

        var activity = turn.Activity;
        var tenantId = turn.TenantId!;
        var conversationId = AlertChannelAccess.ConversationOf(turn);
        var already = await channels.GetAsync(tenantId, conversationId, cancellationToken) is not null;

        // The conversation as a whole (user ''), without the thread a channel message came in: alerts start new posts.
        await references.UpsertAsync(new StoredConversationReference
        {
            TenantId = tenantId,
            ConversationId = conversationId,
            UserAadObjectId = string.Empty,
            BotId = activity.Recipient?.Id ?? string.Empty,
            ServiceUrl = activity.ServiceUrl!,
            ServiceUrlVerified = turn.Auth.IsAuthenticated,
            ChannelId = activity.ChannelId ?? string.Empty,
            ConversationType = turn.ConversationType,
            TeamId = activity.GetTeamsChannelData()?.Team?.Id,
        }, cancellationToken);
        await channels.DesignateAsync(new AlertChannel(tenantId, conversationId, partner.PartnerId, turn.ConversationType, DisplayName(turn),
            turn.UserAadObjectId ?? string.Empty, time.GetUtcNow()), cancellationToken);

        logger.LogInformation("Conversation {ConversationId} designated for the alerts of partner {PartnerId} by {User}", conversationId, partner.PartnerId, turn.UserAadObjectId);
        await turn.SendTextAsync(AlertChannelTexts.Designated(partner, already), cancellationToken);
    }

    private static string? DisplayName(TurnContext turn)
    {
        var data = turn.Activity.GetTeamsChannelData();
        var parts = new[] { data?.Team?.Name, data?.Channel?.Name ?? turn.Activity.Conversation?.Name }.Where(p => !string.IsNullOrWhiteSpace(p)).ToList();
        return parts.Count == 0 ? null : string.Join(" / ", parts);
    }
}

/// <summary><c>alerts off here</c> (or <c>alerts here off</c>): undoes <c>alerts here</c> for this conversation.</summary>
public sealed class AlertsOffHereCommandHandler(LookupAccessPolicy access, IAlertChannelStore channels, ILogger<AlertsOffHereCommandHandler> logger) : ITurnHandler
{
    public async Task HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        if (await AlertChannelAccess.CheckAsync(turn, access, AlertChannelTexts.PersonalOff, cancellationToken) is null) return;

        var conversationId = AlertChannelAccess.ConversationOf(turn);
        if (!await channels.RemoveAsync(turn.TenantId!, conversationId, cancellationToken))
        {
            await turn.SendTextAsync(AlertChannelTexts.NotDesignated, cancellationToken);
            return;
        }

        logger.LogInformation("Conversation {ConversationId} no longer designated for alerts (by {User})", conversationId, turn.UserAadObjectId);
        await turn.SendTextAsync(AlertChannelTexts.Removed, cancellationToken);
    }
}

internal static class AlertChannelAccess
{
    /// <summary>
    /// The partner whose alerts this conversation would get, when the caller may change that here; otherwise the
    /// reason was sent and null is returned. Alerts follow the conversation's tenant, so it must be a partner's.
    /// </summary>
    public static async Task<PartnerRecord?> CheckAsync(TurnContext turn, LookupAccessPolicy access, string personalChatText, CancellationToken cancellationToken)
    {
        var caller = await access.IdentifyAsync(turn.TenantId, turn.UserAadObjectId, cancellationToken);
        string? refusal = caller.Partner is null ? AlertChannelTexts.NotAPartnerTenant
            : turn.IsPersonal ? personalChatText
            : caller.Role != CallerRole.Operator && !caller.IsPartnerAdmin ? AlertChannelTexts.NotAnAdmin
            : null;
        if (refusal is null) return caller.Partner;
        await turn.SendTextAsync(refusal, cancellationToken);
        return null;
    }

    /// <summary>The channel itself for a message in one of its threads (<c>19:…@thread.tacv2;messageid=…</c>), else the conversation.</summary>
    public static string ConversationOf(TurnContext turn)
    {
        var id = turn.Activity.Conversation?.Id ?? string.Empty;
        var thread = id.IndexOf(";messageid=", StringComparison.OrdinalIgnoreCase);
        return thread < 0 ? id : id[..thread];
    }

    /// <summary>The designated conversations, one line each, for <c>alerts status</c>.</summary>
    public static string Describe(IReadOnlyList<AlertChannelState> designated, bool withPartner)
    {
        if (designated.Count == 0)
        {
            return "\n\nAlerts go to personal chats only: no team channel or group chat was chosen with \"alerts here\".";
        }

        var text = new StringBuilder("\n\nAlso posted in (chosen with \"alerts here\"):");
        foreach (var (channel, reachable) in designated)
        {
            var name = channel.DisplayName is { } display ? Markdown.Escape(display) : Kind(channel.ConversationType);
            text.Append(CultureInfo.InvariantCulture, $"\n\n- {name}, conversation {Markdown.Escape(channel.ConversationId)}")
                .Append(withPartner ? $", partner {channel.PartnerId}" : "")
                .Append(CultureInfo.InvariantCulture, $", since {channel.DesignatedAt.UtcDateTime:yyyy-MM-dd}")
                .Append(reachable ? "" : " (PorBot was removed from it: nothing arrives there until it is added back)");
        }

        return text.ToString();
    }

    private static string Kind(string? conversationType) => conversationType?.ToLowerInvariant() switch
    {
        "channel" => "A team channel",
        "groupchat" => "A group chat",
        _ => "A conversation",
    };
}
