using Microsoft.Extensions.Options;

namespace PorBot.Tests.Pipeline;

/// <summary>A misconfigured deployment stops at start-up and says which key to fix.</summary>
public sealed class StartupTests
{
    [Theory]
    [InlineData("SingleTenant", "not-a-guid", "secret", "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "MicrosoftAppId must be the Entra application (client) id")]
    [InlineData("SingleTenant", BotTestHost.AppId, "secret", "", "MicrosoftAppType=SingleTenant needs MicrosoftAppTenantId")]
    [InlineData("SingleTenant", BotTestHost.AppId, "", "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "needs MicrosoftAppPassword or MicrosoftAppCertificatePath")]
    [InlineData("UserAssignedMSI", BotTestHost.AppId, "secret", "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", "remove MicrosoftAppPassword")]
    [InlineData("Sometimes", "", "", "", "MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI")]
    public async Task Start_InvalidBotConfiguration_FailsWithMessageNamingTheKey(string type, string appId, string password, string tenant, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => BotTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["MicrosoftAppType"] = type,
            ["MicrosoftAppId"] = appId,
            ["MicrosoftAppPassword"] = password,
            ["MicrosoftAppTenantId"] = tenant,
        }));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_BodyLimitOutOfRange_FailsAtStartup()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => BotTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Bot:MaxRequestBodyBytes"] = "10",
        }));

        Assert.Contains("MaxRequestBodyBytes", error.Message, StringComparison.Ordinal);
    }
}
