using System.Globalization;
using System.Text;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Protocol.Cards;
using PorBot.Protocol.Hosting;

namespace PorBot.Conflicts;

/// <summary>
/// <c>alerts status</c>: what the outbox holds by status, the latest problems with their reasons, and the conversations
/// chosen with <c>alerts here</c>. Operators see all; a partner sees its own.
/// </summary>
public sealed class AlertsStatusCommandHandler(LookupAccessPolicy access, AlertOutboxStore outbox, IAlertChannelStore channels) : ITurnHandler
{
    public const string Refused = "Alert status is only for PorBot operators and users of registered partners. Your organisation isn't registered as a partner.";
    private const int RecentProblems = 5;

    private static readonly string[] Order = ["Waiting", "Pending", "Sending", "Delivered", "Failed", "Undeliverable", "Unknown"];

    public async Task HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var caller = await access.IdentifyAsync(turn.TenantId, turn.UserAadObjectId, cancellationToken);
        string? scope;
        if (caller.Role == CallerRole.Operator) scope = null;
        else if (caller is { Role: CallerRole.Partner, Partner: { } partner }) scope = partner.PartnerId;
        else
        {
            await turn.SendTextAsync(Refused, cancellationToken);
            return;
        }

        var report = await outbox.GetStatusAsync(scope, RecentProblems, cancellationToken);
        var designated = await channels.ListAsync(scope, cancellationToken);
        await turn.SendTextAsync(Format(report, scope is null ? "all partners" : $"partner {scope}") + AlertChannelAccess.Describe(designated, withPartner: scope is null),
            cancellationToken);
    }

    public static string Format(AlertStatusReport report, string whose)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Alerts for {whose}: ");
        var counts = Order.Where(report.CountsByStatus.ContainsKey).Select(s => $"{s.ToLowerInvariant()} {report.CountsByStatus[s]}").ToList();
        text.Append(counts.Count == 0 ? "none yet." : string.Join(", ", counts) + ".");
        if (report.CountsByStatus.ContainsKey("Waiting")) text.Append(" Waiting alerts go out as soon as someone of that partner opens a personal chat with PorBot, or a partner admin types \"alerts here\" in a team channel or group chat.");
        foreach (var p in report.RecentProblems)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"\n\n- {p.Status} {p.UpdatedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC, partner {p.PartyPartnerId}, conflict {p.ConflictId:D}, conversation {Markdown.Escape(p.ConversationId ?? "(none)")}: {Markdown.Escape(p.Reason ?? "no reason recorded")}");
        }

        return text.ToString();
    }
}
