using System.Net;
using Microsoft.Extensions.Options;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Connector;

namespace PorBot.Conflicts;

/// <summary>
/// Delivers the alert outbox: each pass takes back what a stopped process left in Sending, reconciles Unknown
/// sends (<see cref="AlertReconciler"/>), retargets Waiting rows whose party now has an alert target (a personal
/// chat, or a conversation designated with <c>alerts here</c>), then leases due rows and sends them (Alerts as new
/// cards, Updates in place on the card already delivered there). A failure of one row, or of a whole pass, never
/// stops the loop.
/// </summary>
public sealed partial class AlertDeliveryWorker(
    IServiceScopeFactory scopes,
    IOptions<AlertDeliveryOptions> options,
    ILogger<AlertDeliveryWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunPassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must outlive any failure (a locked database, a registry outage); the next pass retries.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogPassFailed(ex);
            }

            try
            {
                await Task.Delay(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass over the outbox; public so a test or an operator tool can drive delivery deterministically.</summary>
    public async Task RunPassAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var pass = ActivatorUtilities.CreateInstance<DeliveryPass>(scope.ServiceProvider);
        await pass.RunAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert delivery pass failed; retrying on the next pass")]
    private partial void LogPassFailed(Exception ex);
}

internal sealed partial class DeliveryPass(
    AlertOutboxStore outbox,
    AlertReconciler reconciler,
    AlertCardComposer cards,
    IConversationReferenceStore references,
    ProactiveMessenger messenger,
    IConnectorClient connector,
    ServiceUrlTrust serviceUrlTrust,
    TimeProvider time,
    IOptions<AlertDeliveryOptions> options,
    ILogger<AlertDeliveryWorker> logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var parked = await outbox.ParkExpiredLeasesAsync(cancellationToken);
        if (parked.NeverSent + parked.Unknown > 0) LogParked(parked.Unknown, parked.NeverSent);

        await reconciler.RunAsync(cancellationToken);
        await PromoteWaitingAsync(cancellationToken);

        foreach (var item in await outbox.LeaseDueAsync(options.Value.BatchSize, cancellationToken))
        {
            try
            {
                await DeliverAsync(item, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Left in Sending: after the lease it is Pending again if the send had not begun, else Unknown.
                throw;
            }
#pragma warning disable CA1031 // One bad row must not hold back the rest of the batch.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogUnexpected(ex, item.AlertId);
                // A row whose send had begun stays in Sending: its lease decides (Unknown for a post, redone for an update).
                await outbox.RescheduleAsync(item, $"{ex.GetType().Name}: {ex.Message}", CancellationToken.None, onlyIfNotSent: true);
            }
        }
    }

    private async Task PromoteWaitingAsync(CancellationToken cancellationToken)
    {
        foreach (var waiting in await outbox.ListWaitingAsync(options.Value.BatchSize * 10, cancellationToken))
        {
            var places = new List<StoredConversationReference>();
            if (await cards.PartnerAsync(waiting.PartyPartnerId, cancellationToken) is { } partner)
            {
                foreach (var tenant in partner.TenantIds.Distinct()) places.AddRange(await references.ListAlertTargetsByTenantAsync(tenant.ToString("D"), cancellationToken));
            }

            if (places.Count == 0) continue;
            var added = await outbox.PromoteWaitingAsync(waiting, places, cancellationToken);
            if (added > 0) LogPromoted(waiting.AlertId, waiting.PartyPartnerId, added);
        }
    }

    private async Task DeliverAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        if (item.TenantId is null || item.ConversationId is null)
        {
            await outbox.MarkUndeliverableAsync(item.AlertId, "no target conversation", cancellationToken);
            return;
        }

        var target = await references.GetAsync(item.TenantId, item.ConversationId, item.UserAadObjectId ?? "", cancellationToken);
        if (target is null || target.IsDead)
        {
            var reason = target is null ? "the conversation reference is gone" : $"the conversation is dead: {target.DeadReason}";
            await outbox.MarkUndeliverableAsync(item.AlertId, reason, cancellationToken);
            LogUndeliverable(item.AlertId, item.ConversationId, reason);
            return;
        }

        DeliveredCard? existingCard = null;
        if (item.Kind == "Update")
        {
            if (await outbox.HasAlertInFlightAsync(item, cancellationToken))
            {
                // The first card is still on its way (or unresolved); updating before it exists would post a second card.
                await outbox.DeferAsync(item.AlertId, options.Value.PollInterval, cancellationToken);
                return;
            }

            existingCard = await outbox.FindDeliveredCardAsync(item, cancellationToken);
        }

        var refreshUsers = target.UserId is { } userId && target.UserAadObjectId.Length > 0 ? [userId] : Array.Empty<string>();
        // An update keeps the key of the row that posted the card, so the message always names its poster.
        var deliveryKey = existingCard?.PostedBy ?? item.AlertId;
        var activity = await cards.ComposeAsync(new AlertCardRequest(item.ConflictId, item.PartyPartnerId, deliveryKey, refreshUsers), cancellationToken);
        if (activity is null)
        {
            await outbox.MarkUndeliverableAsync(item.AlertId, "the conflict no longer exists", cancellationToken);
            return;
        }

        var kind = existingCard is null ? SendKind.Post : SendKind.Update;
        if (existingCard is not null)
        {
            activity.Id = existingCard.ActivityId;
            activity.From = new ChannelAccount { Id = target.BotId };
            activity.Conversation = new ConversationAccount { Id = target.ConversationId, TenantId = target.TenantId };
            activity.ChannelId = target.ChannelId;
            if (target.ServiceUrlVerified) serviceUrlTrust.Trust(target.ServiceUrl);
        }

        // From here until Delivered is committed, a crash leaves this row's outcome unknown: nothing slow in between.
        var sendStartedAt = time.GetUtcNow();
        if (!await outbox.BeginSendAsync(item.AlertId, kind, cancellationToken)) return;
        try
        {
            string? activityId;
            if (existingCard is not null)
            {
                await connector.UpdateActivityAsync(target.ServiceUrl, target.ConversationId, existingCard.ActivityId, activity, cancellationToken);
                activityId = existingCard.ActivityId;
            }
            else
            {
                // An Alert, or an Update for a place that never got the first card: post the current card as new.
                activityId = (await messenger.SendAsync(target, activity, cancellationToken)).Id;
            }

            await outbox.MarkDeliveredAsync(item.AlertId, activityId, CancellationToken.None);
            LogDelivered(item.AlertId, item.Kind, item.ConversationId, activityId);
        }
        catch (ConnectorException ex) when (ex.IsConversationGone)
        {
            var reason = $"{(int)ex.StatusCode!} {ex.ErrorCode ?? ex.StatusCode.ToString()}: {ex.Message}";
            // ProactiveMessenger already marked the reference dead for sends; an update's 403/404 means the same.
            if (existingCard is not null) await references.MarkDeadAsync(target.ConversationId, reason, CancellationToken.None);
            await outbox.MarkUndeliverableAsync(item.AlertId, reason, CancellationToken.None);
            LogUndeliverable(item.AlertId, item.ConversationId, reason);
        }
        catch (Exception ex) when (kind == SendKind.Post && MayHaveArrived(ex, cancellationToken))
        {
            // A new card may be in the conversation already: resending now could show it twice. Reconcile instead.
            var reason = $"{Describe(ex)}; the card may have been posted";
            await outbox.MarkUnknownAsync(item.AlertId, reason, sendStartedAt, CancellationToken.None);
            LogOutcomeUnknown(item.AlertId, reason);
        }
        catch (Exception ex) when (ex is ConnectorException or HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = Describe(ex);
            await outbox.RescheduleAsync(item, reason, CancellationToken.None);
            LogRetry(ex, item.AlertId, item.Attempts, reason);
        }
    }

    /// <summary>
    /// Could the connector have posted the card although the call failed? A 500, 502 or 504 (after the client's own
    /// retries), a timeout, a connection lost after the request went out, or our own failure after a successful send
    /// (e.g. the database refusing the Delivered mark). Refusals before sending, 4xx, 429 and 503 say it was not posted.
    /// </summary>
    private static bool MayHaveArrived(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        ConnectorException { StatusCode: HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout } => true,
        ConnectorException { StatusCode: null, ErrorCode: "Timeout" } => true,
        ConnectorException { StatusCode: null, InnerException: HttpRequestException inner } => !NeverSent(inner),
        ConnectorException => false,
        HttpRequestException http => !NeverSent(http),
        _ => true,
    };

    private static bool NeverSent(HttpRequestException ex) =>
        ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;

    private static string Describe(Exception ex) =>
        ex is ConnectorException { StatusCode: { } status } ce ? $"{(int)status} {ce.ErrorCode ?? status.ToString()}: {ce.Message}" : $"{ex.GetType().Name}: {ex.Message}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "A stopped process left alerts behind: {Unknown} were mid-send (Unknown, to be reconciled), {NeverSent} had not been sent yet (Pending again)")]
    private partial void LogParked(int unknown, int neverSent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId}: outcome unknown ({Reason}); it will be looked for before any resend")]
    private partial void LogOutcomeUnknown(Guid alertId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} for partner {PartnerId} was waiting; now queued for {Count} conversation(s)")]
    private partial void LogPromoted(Guid alertId, string partnerId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} ({Kind}) delivered to {ConversationId} as activity {ActivityId}")]
    private partial void LogDelivered(Guid alertId, string kind, string conversationId, string? activityId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId} is undeliverable to {ConversationId}: {Reason}")]
    private partial void LogUndeliverable(Guid alertId, string conversationId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId} attempt {Attempt} failed ({Reason}); rescheduled or given up")]
    private partial void LogRetry(Exception ex, Guid alertId, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert {AlertId} failed unexpectedly; rescheduled")]
    private partial void LogUnexpected(Exception ex, Guid alertId);
}
