using Microsoft.Extensions.Options;

namespace PorBot.Conflicts;

/// <summary>
/// Delivers the alert outbox: parks interrupted sends as Unknown, retargets Waiting rows whose party now has a live
/// conversation, and keeps up to <see cref="AlertDeliveryOptions.MaxParallelSends"/> sends in flight, each to its own
/// conversation and within Teams' limits (<see cref="AlertSendLimiter"/>). A failure of one row, or of a whole
/// round, never stops the loop.
/// </summary>
public sealed class AlertDeliveryWorker(
    IServiceScopeFactory scopes,
    AlertOutboxStore outbox,
    AlertSendLimiter limiter,
    TimeProvider time,
    IOptions<AlertDeliveryOptions> options,
    ILogger<AlertDeliveryWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dispatcher = new AlertDispatcher(scopes, outbox, limiter, time, options.Value, logger);
        try
        {
            await dispatcher.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
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
