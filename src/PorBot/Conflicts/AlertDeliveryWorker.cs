using Microsoft.Extensions.Options;

namespace PorBot.Conflicts;

/// <summary>
/// Delivers the alert outbox. Every poll it takes back what a stopped process left in Sending, reconciles Unknown
/// sends (<see cref="AlertReconciler"/>) and retargets Waiting rows whose party now has an alert target; in between
/// it keeps up to <see cref="AlertDeliveryOptions.MaxParallelSends"/> sends in flight, each to its own conversation
/// and within Teams' limits (<see cref="AlertSendLimiter"/>), each sent by <see cref="AlertSender"/>. A failure of
/// one row, or of a whole round, never stops the loop.
/// </summary>
public sealed class AlertDeliveryWorker(
    IServiceScopeFactory scopes,
    IAlertOutbox outbox,
    AlertSendLimiter limiter,
    TimeProvider time,
    IOptions<AlertDeliveryOptions> options,
    ILogger<AlertDeliveryWorker> logger) : BackgroundService
{
    private readonly TaskCompletionSource _startupRound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes once the worker's start-up round is over (left-overs taken back, due rows read and their sends
    /// started), or the worker stopped. Whoever drives passes with <see cref="RunPassAsync"/> waits for it, so that
    /// round never races a pass for the same rows.
    /// </summary>
    public Task StartupRound => _startupRound.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dispatcher = new AlertDispatcher(scopes, outbox, limiter, time, options.Value, logger);
        try
        {
            await dispatcher.RunAsync(stoppingToken, () => _startupRound.TrySetResult());
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _startupRound.TrySetResult();
            await dispatcher.DrainAsync();
        }
    }

    /// <summary>
    /// One pass over the outbox: maintenance, then every send that can start now, awaited. Public so a test or an
    /// operator tool can drive delivery deterministically; rows held back by a limit are left for a later pass.
    /// </summary>
    public async Task RunPassAsync(CancellationToken cancellationToken)
    {
        var dispatcher = new AlertDispatcher(scopes, outbox, limiter, time, options.Value, logger);
        try
        {
            await dispatcher.RunPassAsync(cancellationToken);
        }
        finally
        {
            await dispatcher.DrainAsync();
        }
    }
}
