using PorBot.Bench.Alerts;

namespace PorBot.Tests.Bench;

/// <summary>
/// bench/Alerts in its smoke size (a few seconds): the whole fan-out path works, and the limit server, which
/// enforces Teams' limits with code of its own, never had to throttle the worker. Speed is the bench's business.
/// </summary>
public sealed class AlertFanOutBenchTests
{
    [Fact]
    public async Task Smoke_EveryAlertDeliveredAndTheIndependentLimitServerNeverThrottled()
    {
        var work = Path.Combine(Path.GetTempPath(), "porbot-tests", "bench-alerts");

        var result = await FanOutBenchmark.RunAsync(FanOutReport.SmokeShape, work, TextWriter.Null, timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(FanOutReport.SmokeShape.Alerts, result.Alerts);
        Assert.Equal(0, result.Throttled);
        Assert.Contains("achieved, % of allowed", FanOutReport.Table(FanOutReport.SmokeShape, [result]), StringComparison.Ordinal);
    }
}
