namespace PorBot.Storage.AzureStorage;

/// <summary>
/// Runs <see cref="AzureTableClaimStore.FinishPendingFanOutAsync"/> at start and then every minute, so the alerts of
/// a change saved just before a process stopped (or while the outbox failed) are queued by whichever instance runs.
/// Every instance runs it: finishing the same fan-out twice queues nothing twice.
/// </summary>
public sealed class AzureClaimFanOutRecovery(AzureTableClaimStore store, TimeProvider time, ILogger<AzureClaimFanOutRecovery> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await store.FinishPendingFanOutAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Fan-out recovery failed; trying again in {Interval}", Interval);
                }

                await Task.Delay(Interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
