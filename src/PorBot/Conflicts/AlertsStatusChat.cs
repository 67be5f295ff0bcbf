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
public sealed class AlertsStatusCommandHandler(LookupAccessPolicy access, IAlertOutbox outbox, IAlertChannelStore channels) : ITurnHandler
{
    public const string Refused = "Alert status is only for PorBot operators and users of registered partners. Your organisation isn't registered as a partner.";
    private const int RecentProblems = 5;

    // "Poison": messages of the Azure Storage outbox's queue that could not be processed (kept in its poison queue).
    private static readonly string[] Order = ["Waiting", "Pending", "Sending", "Delivered", "Failed", "Undeliverable", "Unknown", "Poison"];

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
        var counts = Order.Where(report.CountsByStatus.ContainsKey).Select(s => $"{s.ToLowerInvariant()} {report.CountsByStatus[s]}"
            + (s == "Unknown" && report.Held > 0 ? $" ({report.Held} held for an operator)" : "")).ToList();
        text.Append(counts.Count == 0 ? "none yet." : string.Join(", ", counts) + ".");
        if (report.CountsByStatus.ContainsKey("Waiting")) text.Append(" Waiting alerts go out as soon as someone of that partner opens a personal chat with PorBot, or a partner admin types \"alerts here\" in a team channel or group chat.");
        if (report.CountsByStatus.ContainsKey("Unknown"))
        {
            text.Append(" Unknown alerts were being sent when something failed; PorBot checks the conversation before sending them again.");
        }

        if (report.CountsByStatus.ContainsKey("Poison"))
        {
            text.Append(" Poison: queue messages PorBot could not process, kept with the reason in the alert poison queue (their alerts, if any, are listed as failed).");
        }

        foreach (var p in report.RecentProblems)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"\n\n- {p.Status}{(p.Held ? " (held)" : "")} {p.UpdatedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC, alert {p.AlertId:D}, partner {p.PartyPartnerId}, conflict {p.ConflictId:D}, conversation {Markdown.Escape(p.ConversationId ?? "(none)")}: {Markdown.Escape(p.Reason ?? "no reason recorded")}");
        }

        if (report.Held > 0)
        {
            text.Append("\n\nA held alert may or may not have reached its conversation. After checking there, an operator can send it again with "
                + "`alerts resend <alert id>`; if it had arrived after all, it then shows twice.");
        }

        return text.ToString();
    }
}

/// <summary>
/// <c>alerts resend &lt;alert id&gt;</c>, operators only: releases an Unknown (typically held) alert to be sent again,
/// after someone checked that it did not arrive. PorBot cannot tell, so the reply warns that it may show twice.
/// </summary>
public sealed class AlertsResendCommandHandler(LookupAccessPolicy access, IAlertOutbox outbox) : ITurnHandler
{
    public const string OperatorsOnly = "Only PorBot operators can resend an alert.";
    public const string Usage = "Type: alerts resend <alert id> (alerts status lists the ids of held alerts)";

    public async Task HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var caller = await access.IdentifyAsync(turn.TenantId, turn.UserAadObjectId, cancellationToken);
        if (caller.Role != CallerRole.Operator)
        {
            await turn.SendTextAsync(OperatorsOnly, cancellationToken);
            return;
        }

        if (!Guid.TryParse(turn.GetCommandArgument(), out var alertId))
        {
            await turn.SendTextAsync(Usage, cancellationToken);
            return;
        }

        var (outcome, status) = await outbox.ReleaseByOperatorAsync(alertId, turn.UserAadObjectId ?? "(unknown)", cancellationToken);
        var reply = outcome switch
        {
            ReleaseOutcome.Released => $"Alert {alertId:D} will be sent again now. If the interrupted attempt did reach the conversation after all, "
                + "the people there will see this alert twice.",
            ReleaseOutcome.NotUnknown => $"Alert {alertId:D} is {status!.ToLowerInvariant()}, not waiting for a decision: nothing to resend.",
            _ => $"There is no alert {alertId:D}.",
        };
        await turn.SendTextAsync(reply, cancellationToken);
    }
}
