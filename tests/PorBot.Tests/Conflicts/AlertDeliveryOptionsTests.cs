using Microsoft.Extensions.Options;

namespace PorBot.Tests.Conflicts;

public sealed class AlertDeliveryOptionsTests
{
    [Theory]
    [InlineData("Alerts:PollInterval", "00:00:00")]
    [InlineData("Alerts:BatchSize", "0")]
    [InlineData("Alerts:MaxAttempts", "0")]
    [InlineData("Alerts:MaxParallelSends", "0")]
    [InlineData("Alerts:LeaseDuration", "00:00:01")]
    [InlineData("Alerts:InstanceCount", "0")]
    [InlineData("Alerts:ConversationLimits:0:Sends", "0")]
    [InlineData("Alerts:TenantLimits:0:Window", "00:00:00")]
    public async Task Start_InvalidAlertSetting_RefusesToStart(string key, string value)
    {
        var settings = new Dictionary<string, string?>(Claims.Settings) { [key] = value };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => BotTestHost.StartAsync(settings: settings));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
