using Microsoft.Extensions.Options;
using PorBot.Protocol.Auth;

namespace PorBot.Protocol.Tests.Auth;

public sealed class BotAuthenticationOptionsValidatorTests
{
    private const string AppId = "3f6b1c52-0d7e-4a55-9c1b-2b8f6d0a9e41";
    private const string TenantId = "6c2e8a41-93d5-4b7f-a0e2-1f4d8b6c3a95";

    [Fact]
    public void Validate_NoAppId_SucceedsAsLocalMode()
    {
        var result = Validate(new BotAuthenticationOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_MultiTenantWithSecret_Succeeds()
    {
        var result = Validate(new BotAuthenticationOptions { MicrosoftAppId = AppId, MicrosoftAppPassword = "secret" });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_SingleTenantWithCertificate_Succeeds()
    {
        var result = Validate(new BotAuthenticationOptions
        {
            MicrosoftAppType = "singletenant",
            MicrosoftAppId = AppId,
            MicrosoftAppTenantId = TenantId,
            MicrosoftAppCertificatePath = "/certs/bot.pfx",
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_UserAssignedMsiWithTenant_Succeeds()
    {
        var result = Validate(new BotAuthenticationOptions
        {
            MicrosoftAppType = BotAuthenticationOptions.UserAssignedMsi,
            MicrosoftAppId = AppId,
            MicrosoftAppTenantId = TenantId,
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_UnknownAppType_NamesTheAllowedValues()
    {
        var result = Validate(new BotAuthenticationOptions { MicrosoftAppType = "Multi" });

        AssertSingleFailure(result, "MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI (was 'Multi').");
    }

    [Fact]
    public void Validate_AppIdNotAGuid_AsksForTheClientId()
    {
        var result = Validate(new BotAuthenticationOptions { MicrosoftAppId = "my-bot", MicrosoftAppPassword = "secret" });

        AssertSingleFailure(result, "MicrosoftAppId must be the Entra application (client) id, a GUID.");
    }

    [Fact]
    public void Validate_MultiTenantWithoutCredential_AsksForSecretOrCertificate()
    {
        var result = Validate(new BotAuthenticationOptions { MicrosoftAppId = AppId });

        AssertSingleFailure(result, "MicrosoftAppType=MultiTenant needs MicrosoftAppPassword or MicrosoftAppCertificatePath.");
    }

    [Theory]
    [InlineData("secret", null)]
    [InlineData(null, "/certs/bot.pfx")]
    public void Validate_UserAssignedMsiWithCredential_AsksToRemoveIt(string? password, string? certificatePath)
    {
        var result = Validate(new BotAuthenticationOptions
        {
            MicrosoftAppType = BotAuthenticationOptions.UserAssignedMsi,
            MicrosoftAppId = AppId,
            MicrosoftAppTenantId = TenantId,
            MicrosoftAppPassword = password,
            MicrosoftAppCertificatePath = certificatePath,
        });

        AssertSingleFailure(result, "MicrosoftAppType=UserAssignedMSI uses the managed identity: remove MicrosoftAppPassword and MicrosoftAppCertificatePath.");
    }

    [Fact]
    public void Validate_UserAssignedMsiWithoutTenant_AsksForTenant()
    {
        var result = Validate(new BotAuthenticationOptions { MicrosoftAppType = BotAuthenticationOptions.UserAssignedMsi, MicrosoftAppId = AppId });

        AssertSingleFailure(result, "MicrosoftAppType=UserAssignedMSI needs MicrosoftAppTenantId.");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("contoso.onmicrosoft.com")]
    public void Validate_SingleTenantWithoutTenantGuid_AsksForTenantGuid(string? tenantId)
    {
        var result = Validate(new BotAuthenticationOptions
        {
            MicrosoftAppType = BotAuthenticationOptions.SingleTenant,
            MicrosoftAppId = AppId,
            MicrosoftAppPassword = "secret",
            MicrosoftAppTenantId = tenantId,
        });

        AssertSingleFailure(result, "MicrosoftAppType=SingleTenant needs MicrosoftAppTenantId (a GUID).");
    }

    [Fact]
    public void Validate_ChannelMetadataUrlNotHttp_NamesTheKey()
    {
        var result = Validate(new BotAuthenticationOptions { ToBotFromChannelOpenIdMetadataUrl = "ftp://login.botframework.com/v1" });

        AssertSingleFailure(result, "ToBotFromChannelOpenIdMetadataUrl must be an absolute http(s) URL (was 'ftp://login.botframework.com/v1').");
    }

    [Fact]
    public void Validate_TenantMetadataUrlRelative_NamesTheKey()
    {
        var result = Validate(new BotAuthenticationOptions { ToBotFromTenantOpenIdMetadataUrl = "/{tenant}/v2.0/.well-known/openid-configuration" });

        AssertSingleFailure(result, "ToBotFromTenantOpenIdMetadataUrl must be an absolute http(s) URL (was '/t/v2.0/.well-known/openid-configuration').");
    }

    [Fact]
    public void Validate_LoginUrlNotAUrl_NamesTheKey()
    {
        var result = Validate(new BotAuthenticationOptions { ToChannelFromBotLoginUrl = "login.microsoftonline.com" });

        AssertSingleFailure(result, "ToChannelFromBotLoginUrl must be an absolute http(s) URL (was 'login.microsoftonline.com').");
    }

    [Fact]
    public void Validate_EmptyChannelIssuer_SaysItMustNotBeEmpty()
    {
        var result = Validate(new BotAuthenticationOptions { ToBotFromChannelTokenIssuer = " " });

        AssertSingleFailure(result, "ToBotFromChannelTokenIssuer must not be empty.");
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEachOne()
    {
        var result = Validate(new BotAuthenticationOptions
        {
            MicrosoftAppType = BotAuthenticationOptions.SingleTenant,
            MicrosoftAppId = "not-a-guid",
            ToBotFromChannelTokenIssuer = "",
        });

        Assert.True(result.Failed);
        Assert.Equal(4, result.Failures!.Count());
    }

    private static ValidateOptionsResult Validate(BotAuthenticationOptions options) =>
        new BotAuthenticationOptionsValidator().Validate(Options.DefaultName, options);

    private static void AssertSingleFailure(ValidateOptionsResult result, string expected)
    {
        Assert.True(result.Failed);
        Assert.Equal([expected], result.Failures!);
    }
}
