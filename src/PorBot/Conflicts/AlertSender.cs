using System.Net;
using Microsoft.Extensions.Options;
using PorBot.Conversations;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Connector;

namespace PorBot.Conflicts;

/// <summary>
/// Sends one leased outbox row: an Alert as a new card, an Update in place on the card already delivered there,
/// and writes the outcome. The send is recorded just before the connector call and Delivered is committed right
/// after the answer, so a crash in between leaves a row whose outcome is known to be unknown. The connector client
/// makes one attempt per call: the outbox's own retry is durable, a throttled call must free its send slot and
/// report the service's Retry-After instead of sleeping in it, and an ambiguous answer to a post must reach
/// reconciliation instead of being retried blindly inside the client.
/// </summary>
internal sealed partial class AlertSender
{
    private readonly IAlertOutbox _outbox;
    private readonly AlertCardComposer _cards;
    private readonly IConversationReferenceStore _references;
    private readonly IConnectorClient _connector;
    private readonly ProactiveMessenger _messenger;
    private readonly ServiceUrlTrust _serviceUrlTrust;
    private readonly AlertSendLimiter _limiter;
    private readonly TimeProvider _time;
    private readonly AlertDeliveryOptions _options;
    private readonly ILogger _logger;

    public AlertSender(
        IAlertOutbox outbox,
        AlertCardComposer cards,
        IConversationReferenceStore references,
        IConnectorClient connector,
        ServiceUrlTrust serviceUrlTrust,
        AlertSendLimiter limiter,
        TimeProvider time,
        IOptions<AlertDeliveryOptions> options,
        ILogger<ProactiveMessenger> messengerLogger,
        ILogger<AlertDeliveryWorker> logger)
    {
        _outbox = outbox;
        _cards = cards;
        _references = references;
        _connector = connector.WithoutRetries();
        _messenger = new ProactiveMessenger(_connector, serviceUrlTrust, references, messengerLogger);
        _serviceUrlTrust = serviceUrlTrust;
        _limiter = limiter;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    /// <param name="permit">The limiter's permit for the row's conversation (null for a row without one: it cannot be sent).</param>
    public async Task DeliverAsync(OutboxItem item, SendPermit? permit, CancellationToken cancellationToken)
    {
        if (item.TenantId is null || item.ConversationId is null || permit is null)
        {
            await _outbox.MarkUndeliverableAsync(item.AlertId, "no target conversation", cancellationToken);
            return;
        }

        var target = await _references.GetAsync(item.TenantId, item.ConversationId, item.UserAadObjectId ?? "", cancellationToken);
        if (target is null || target.IsDead)
        {
            var reason = target is null ? "the conversation reference is gone" : $"the conversation is dead: {target.DeadReason}";
            await _outbox.MarkUndeliverableAsync(item.AlertId, reason, cancellationToken);
            LogUndeliverable(item.AlertId, item.ConversationId, reason);
            return;
        }

        DeliveredCard? existingCard = null;
        if (item.Kind == "Update")
        {
            if (await _outbox.HasAlertInFlightAsync(item, cancellationToken))
            {
                // The first card is still on its way (or unresolved); updating before it exists would post a second card.
                await _outbox.DeferAsync(item.AlertId, _options.PollInterval, cancellationToken);
                return;
            }

            existingCard = await _outbox.FindDeliveredCardAsync(item, cancellationToken);
        }

        var refreshUsers = target.UserId is { } userId && target.UserAadObjectId.Length > 0 ? [userId] : Array.Empty<string>();
        // An update keeps the key of the row that posted the card, so the message always names its poster.
        var deliveryKey = existingCard?.PostedBy ?? item.AlertId;
        var activity = await _cards.ComposeAsync(new AlertCardRequest(item.ConflictId, item.PartyPartnerId, deliveryKey, refreshUsers), cancellationToken);
        if (activity is null)
        {
            await _outbox.MarkUndeliverableAsync(item.AlertId, "the conflict no longer exists", cancellationToken);
            return;
        }

        var kind = existingCard is null ? SendKind.Post : SendKind.Update;
        if (existingCard is not null)
        {
            activity.Id = existingCard.ActivityId;
            activity.From = new ChannelAccount { Id = target.BotId };
            activity.Conversation = new ConversationAccount { Id = target.ConversationId, TenantId = target.TenantId };
            activity.ChannelId = target.ChannelId;
            if (target.ServiceUrlVerified) _serviceUrlTrust.Trust(target.ServiceUrl);
        }

        // From here until Delivered is committed, a crash leaves this row's outcome unknown: nothing slow in between.
        var sendStartedAt = _time.GetUtcNow();
        if (!await _outbox.BeginSendAsync(item.AlertId, kind, sendStartedAt, cancellationToken)) return;
        try
        {
            var activityId = await CallConnectorAsync(target, activity, existingCard, permit, cancellationToken);
            await _outbox.MarkDeliveredAsync(item.AlertId, activityId, CancellationToken.None);
            LogDelivered(item.AlertId, item.Kind, item.ConversationId, activityId);
        }
        catch (ConnectorException ex) when (ex.IsConversationGone)
        {
            var reason = Describe(ex);
            // ProactiveMessenger already marked the reference dead for sends; an update's 403/404 means the same.
            if (existingCard is not null) await _references.MarkDeadAsync(target.ConversationId, reason, CancellationToken.None);
            await _outbox.MarkUndeliverableAsync(item.AlertId, reason, CancellationToken.None);
            LogUndeliverable(item.AlertId, item.ConversationId, reason);
        }
        catch (Exception ex) when (kind == SendKind.Post && MayHaveArrived(ex, cancellationToken))
        {
            // A new card may be in the conversation already: resending now could show it twice. Reconcile instead.
            var reason = $"{Describe(ex)}; the card may have been posted";
            await _outbox.MarkUnknownAsync(item.AlertId, reason, sendStartedAt, CancellationToken.None);
            LogOutcomeUnknown(item.AlertId, reason);
        }
        catch (Exception ex) when (ex is ConnectorException or HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Not posted (a refusal, 429, 503, ...), or an update in place, which is simply done again.
            var connectorError = ex as ConnectorException;
            var reason = Describe(ex);
            // Throttled: the whole conversation waits (Teams counts per conversation); a 429 without Retry-After
            // still asks for a pause, the base retry delay. Other conversations go on.
            var pause = connectorError?.RetryAfter ?? (connectorError?.StatusCode == HttpStatusCode.TooManyRequests ? _options.RetryBaseDelay : null);
            if (pause is { } wait) _limiter.PauseConversation(target.ConversationId, wait);
            await _outbox.RescheduleAsync(item, reason, CancellationToken.None, connectorError?.RetryAfter);
            LogRetry(ex, item.AlertId, item.Attempts, reason);
        }
    }

    private async Task<string?> CallConnectorAsync(StoredConversationReference target, Activity activity, DeliveredCard? existingCard, SendPermit permit, CancellationToken cancellationToken)
    {
        permit.Start();
        try
        {
            if (existingCard is null)
            {
                // An Alert, or an Update for a place that never got the first card: post the current card as new.
                return (await _messenger.SendAsync(target, activity, cancellationToken)).Id;
            }

            await _connector.UpdateActivityAsync(target.ServiceUrl, target.ConversationId, existingCard.ActivityId, activity, cancellationToken);
            return existingCard.ActivityId;
        }
        finally
        {
            permit.End();
        }
    }

    /// <summary>
    /// Could the connector have posted the card although the call failed? A 500, 502 or 504, a timeout, a connection
    /// lost after the request went out, or our own failure after a successful send (e.g. the database refusing the
    /// Delivered mark). Refusals before sending, other 4xx, 429 and 503 say it was not posted. The client makes one
    /// attempt, so each of these answers is the outbox's to judge. A cancellation (the worker stopping, or giving up
    /// at half the lease) is settled by the dispatcher, which knows why it cancelled.
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {AlertId} ({Kind}) delivered to {ConversationId} as activity {ActivityId}")]
    private partial void LogDelivered(Guid alertId, string kind, string conversationId, string? activityId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId} is undeliverable to {ConversationId}: {Reason}")]
    private partial void LogUndeliverable(Guid alertId, string conversationId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId}: outcome unknown ({Reason}); it will be looked for before any resend")]
    private partial void LogOutcomeUnknown(Guid alertId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId} attempt {Attempt} failed ({Reason}); rescheduled or given up")]
    private partial void LogRetry(Exception ex, Guid alertId, int attempt, string reason);
}
