using Microsoft.Extensions.Options;
using PorBot.Conversations;

namespace PorBot.Conflicts;

/// <summary>
/// Settles Unknown outbox rows, one pass at a time. An interrupted update in place is simply redone (a PUT of
/// the whole card shows the same card again, never a second one). An interrupted post is looked for with
/// <see cref="IAlertDeliveryProbe"/>: found → Delivered with that activity id; not found → Pending, sent again;
/// no answer → asked again later (transient) or held for an operator, since a blind resend may show it twice.
/// </summary>
internal sealed partial class AlertReconciler(
    IAlertOutbox outbox,
    IConversationReferenceStore references,
    IAlertDeliveryProbe probe,
    IOptions<AlertDeliveryOptions> options,
    ILogger<AlertDeliveryWorker> logger)
{
    // Teams' clock and ours may disagree by a little; a card stamped slightly before the send is still the one.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var unknown in await outbox.ListUnknownDueAsync(options.Value.BatchSize, cancellationToken))
        {
            try
            {
                await ReconcileAsync(unknown, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // One row that cannot be checked must not hold back the others; it is checked again later.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogCheckFailed(ex, unknown.Item.AlertId);
                await outbox.RecheckLaterAsync(unknown.Item.AlertId, $"checking whether it arrived failed: {ex.GetType().Name}: {ex.Message}",
                    options.Value.RetryMaxDelay, CancellationToken.None);
            }
        }
    }

    private async Task ReconcileAsync(UnknownSend unknown, CancellationToken cancellationToken)
    {
        var item = unknown.Item;
        if (unknown.SentAs == SendKind.Update)
        {
            await outbox.RequeueUnknownAsync(item.AlertId, "an update in place was interrupted; it is simply done again", cancellationToken);
            LogRedone(item.AlertId, item.ConversationId);
            return;
        }

        var place = item.TenantId is null || item.ConversationId is null
            ? null
            : await references.GetAsync(item.TenantId, item.ConversationId, item.UserAadObjectId ?? "", cancellationToken);
        if (place is null || place.IsDead)
        {
            var reason = place is null ? "the conversation reference is gone" : $"the conversation is dead: {place.DeadReason}";
            await outbox.MarkUndeliverableAsync(item.AlertId, $"{reason} (whether the interrupted send arrived is unknown)", cancellationToken);
            return;
        }

        switch (await probe.FindAsync(place, item.AlertId, unknown.SendStartedAt - ClockSkew, cancellationToken))
        {
            case DeliveryEvidence.Found found:
                await outbox.MarkDeliveredAsync(item.AlertId, found.ActivityId, cancellationToken);
                LogFound(item.AlertId, item.ConversationId!, found.ActivityId);
                break;
            case DeliveryEvidence.NotFound when item.Attempts >= options.Value.MaxAttempts:
                // Every attempt ended ambiguously and none arrived (e.g. the connector answers 500 to everything): stop.
                await outbox.GiveUpUnknownAsync(item.AlertId, $"not in the conversation after {item.Attempts} attempts that all failed ambiguously; gave up", cancellationToken);
                LogGaveUp(item.AlertId, item.ConversationId!, item.Attempts);
                break;
            case DeliveryEvidence.NotFound:
                await outbox.RequeueUnknownAsync(item.AlertId, "an interrupted send did not arrive (checked in the conversation); sent again", cancellationToken);
                LogNotFound(item.AlertId, item.ConversationId!);
                break;
            case DeliveryEvidence.CannotTell { Transient: true } cannotTell:
                await outbox.RecheckLaterAsync(item.AlertId, $"cannot check yet whether it arrived: {cannotTell.Reason}", options.Value.RetryMaxDelay, cancellationToken);
                LogCannotTellYet(item.AlertId, cannotTell.Reason);
                break;
            case DeliveryEvidence.CannotTell cannotTell:
                await outbox.HoldAsync(item.AlertId, cannotTell.Reason, cancellationToken);
                LogHeld(item.AlertId, item.ConversationId!, cannotTell.Reason);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId}: interrupted update in place on {ConversationId} is done again")]
    private partial void LogRedone(Guid alertId, string? conversationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId}: interrupted send found in {ConversationId} as activity {ActivityId}; Delivered")]
    private partial void LogFound(Guid alertId, string conversationId, string activityId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId}: interrupted send is not in {ConversationId}; sending it again")]
    private partial void LogNotFound(Guid alertId, string conversationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId}: not in {ConversationId} after {Attempts} ambiguous attempts; Failed")]
    private partial void LogGaveUp(Guid alertId, string conversationId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId}: cannot check yet whether it arrived ({Reason}); asking again later")]
    private partial void LogCannotTellYet(Guid alertId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId} in {ConversationId} is held for an operator: {Reason}. After checking the conversation, `alerts resend <alert id>` releases it")]
    private partial void LogHeld(Guid alertId, string conversationId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert {AlertId}: checking whether it arrived failed; asking again later")]
    private partial void LogCheckFailed(Exception ex, Guid alertId);
}
