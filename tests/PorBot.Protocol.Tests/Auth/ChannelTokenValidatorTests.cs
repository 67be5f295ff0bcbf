using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Auth;
using PorBot.Testing;

namespace PorBot.Protocol.Tests.Auth;

/// <summary>
/// Inbound channel authentication end to end: real DI, real HttpClient, and the channel metadata and
/// keys served by <see cref="FakeChannelAuthority"/> on a local Kestrel server.
/// </summary>
public sealed class ChannelTokenValidatorTests : IAsyncLifetime
{
    private const string AppId = "3f6b1c52-0d7e-4a55-9c1b-2b8f6d0a9e41";
    private const string OtherAppId = "a1e0c7d2-5b3f-4c86-8d1a-7e9b2c4f6a03";
    private const string TenantId = "6c2e8a41-93d5-4b7f-a0e2-1f4d8b6c3a95";
    private const string OtherTenantId = "d9b47e10-2c6a-4f38-b5e1-8a3c7d2f0b64";
    private const string ServiceUrl = "https://smba.trafficmanager.net/emea/";

    private readonly CapturingLoggerProvider _logs = new();
    private readonly List<ServiceProvider> _providers = [];
    private FakeChannelAuthority _authority = null!;

    public async Task InitializeAsync() => _authority = await FakeChannelAuthority.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers) await provider.DisposeAsync();
        await _authority.DisposeAsync();
    }

    [Theory]
    [InlineData(SecurityAlgorithms.RsaSha256)]
    [InlineData(SecurityAlgorithms.RsaSha384)]
    [InlineData(SecurityAlgorithms.RsaSha512)]
    public async Task AuthenticateAsync_ValidChannelToken_AuthenticatesWithTokenClaims(string algorithm)
    {
        var token = _authority.MintToken(AppId, ServiceUrl, algorithm: algorithm);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        Assert.True(result.Succeeded, result.FailureReason);
        Assert.False(result.IsAnonymous);
        Assert.NotNull(result.Identity);
        Assert.True(result.Identity.IsAuthenticated);
        Assert.Equal(AppId, result.Identity.FindFirst("aud")?.Value);
        Assert.Equal(ServiceUrl, result.Identity.FindFirst("serviceurl")?.Value);
    }

    [Fact]
    public async Task AuthenticateAsync_TokenSignedByOtherPublishedKey_Authenticates()
    {
        var token = _authority.MintToken(AppId, ServiceUrl, signingKey: _authority.SecondaryKey);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        Assert.True(result.Succeeded, result.FailureReason);
    }

    [Fact]
    public async Task AuthenticateAsync_NoHeader_Fails()
    {
        var result = await CreateValidator().AuthenticateAsync(null, TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        AssertFailed(await CreateValidator().AuthenticateAsync("", TeamsActivity(), CancellationToken.None));
    }

    [Theory]
    [InlineData("bearer {0}")]
    [InlineData("BEARER {0}")]
    [InlineData("Basic {0}")]
    [InlineData("Bearer  {0}")]
    [InlineData("Bearer {0} ")]
    [InlineData("Bearer {0} extra")]
    [InlineData("Bearer\t{0}")]
    [InlineData("{0}")]
    [InlineData("Bearer ")]
    [InlineData("Bearer")]
    public async Task AuthenticateAsync_HeaderNotExactlyBearerSpaceToken_FailsWithoutFetchingMetadata(string headerFormat)
    {
        var header = string.Format(CultureInfo.InvariantCulture, headerFormat, _authority.MintToken(AppId, ServiceUrl));

        var result = await CreateValidator().AuthenticateAsync(header, TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Equal(0, _authority.MetadataRequestCount);
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2FwaS5ib3RmcmFtZXdvcmsuY29tIn0")]
    public async Task AuthenticateAsync_MalformedJwt_Fails(string token)
    {
        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
    }

    [Fact]
    public async Task AuthenticateAsync_ExpiredSixMinutesAgo_Fails()
    {
        var token = _authority.MintToken(AppId, ServiceUrl, expires: DateTimeOffset.UtcNow.AddMinutes(-6));

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains("Expired", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_ExpiredFourMinutesAgo_AuthenticatesWithinClockSkew()
    {
        var token = _authority.MintToken(AppId, ServiceUrl, expires: DateTimeOffset.UtcNow.AddMinutes(-4));

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        Assert.True(result.Succeeded, result.FailureReason);
    }

    [Fact]
    public async Task AuthenticateAsync_NotYetValid_Fails()
    {
        var token = _authority.MintToken(AppId, ServiceUrl, notBefore: DateTimeOffset.UtcNow.AddMinutes(10));

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains("NotYetValid", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_TokenForAnotherBot_Fails()
    {
        var token = _authority.MintToken(OtherAppId, ServiceUrl);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains("Audience", result.FailureReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example.com")]
    [InlineData("https://api.botframework.com/")]
    [InlineData("https://API.botframework.com")]
    [InlineData("https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/")] // emulator
    [InlineData("https://login.microsoftonline.com/f8cdef31-a31e-4b4a-93e4-5f571e91255a/v2.0")] // emulator
    [InlineData("https://sts.windows.net/" + TenantId + "/")] // tenant issuer, but MultiTenant
    public async Task AuthenticateAsync_UntrustedIssuer_FailsBeforeFetchingAnyKeys(string issuer)
    {
        var token = _authority.MintToken(AppId, ServiceUrl, issuer: issuer);

        var result = await CreateValidator(o => o.MicrosoftAppTenantId = TenantId).AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains("not trusted", result.FailureReason, StringComparison.Ordinal);
        Assert.Equal(0, _authority.MetadataRequestCount);
        Assert.Equal(0, _authority.KeysRequestCount);
    }

    [Fact]
    public async Task AuthenticateAsync_UnsignedAlgNoneToken_Fails()
    {
        var token = _authority.MintUnsignedToken(AppId, ServiceUrl);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
    }

    [Fact]
    public async Task AuthenticateAsync_Hs256SignedWithPublicKey_Fails()
    {
        var token = _authority.MintHmacTokenWithPublicKey(AppId, ServiceUrl);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
    }

    [Fact]
    public async Task AuthenticateAsync_SignedByUnknownKey_FailsAfterOneRefresh()
    {
        var token = _authority.MintToken(AppId, ServiceUrl, signingKey: _authority.UnpublishedKey);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Equal(2, _authority.KeysRequestCount);
    }

    [Fact]
    public async Task AuthenticateAsync_RepeatedUnknownKeys_RefreshesAtMostOncePerInterval()
    {
        var validator = CreateValidator();

        for (var i = 0; i < 3; i++)
        {
            var token = _authority.MintToken(AppId, ServiceUrl, signingKey: _authority.UnpublishedKey);
            AssertFailed(await validator.AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None));
        }

        Assert.Equal(2, _authority.KeysRequestCount);
    }

    [Fact]
    public async Task AuthenticateAsync_KeyPublishedAfterFirstFetch_IsPickedUpByRefresh()
    {
        var validator = CreateValidator();
        var before = await validator.AuthenticateAsync(Bearer(_authority.MintToken(AppId, ServiceUrl)), TeamsActivity(), CancellationToken.None);
        Assert.True(before.Succeeded, before.FailureReason);

        var rotated = _authority.PublishNewKey();
        var result = await validator.AuthenticateAsync(
            Bearer(_authority.MintToken(AppId, ServiceUrl, signingKey: rotated)), TeamsActivity(), CancellationToken.None);

        Assert.True(result.Succeeded, result.FailureReason);
        Assert.Equal(2, _authority.KeysRequestCount);
    }

    [Fact]
    public async Task AuthenticateAsync_KeyWithoutEndorsements_Fails()
    {
        var token = _authority.MintToken(AppId, ServiceUrl, signingKey: _authority.KeyWithoutEndorsements);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains("no endorsements", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_KeyWithoutEndorsementsAndNoChannelId_StillFails()
    {
        var token = _authority.MintToken(AppId, ServiceUrl, signingKey: _authority.KeyWithoutEndorsements);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(channelId: null), CancellationToken.None);

        AssertFailed(result);
    }

    [Fact]
    public async Task AuthenticateAsync_KeyNotEndorsedForActivityChannel_Fails()
    {
        var emulatorOnlyKey = _authority.PublishNewKey("emulator");
        var token = _authority.MintToken(AppId, ServiceUrl, signingKey: emulatorOnlyKey);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains("not endorsed for channel 'msteams'", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_ActivityFromChannelTheKeyDoesNotEndorse_Fails()
    {
        var token = _authority.MintToken(AppId, ServiceUrl);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(channelId: "slack"), CancellationToken.None);

        AssertFailed(result);
    }

    [Fact]
    public async Task AuthenticateAsync_ActivityWithoutChannelId_SkipsChannelEndorsement()
    {
        var token = _authority.MintToken(AppId, ServiceUrl);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(channelId: null), CancellationToken.None);

        Assert.True(result.Succeeded, result.FailureReason);
    }

    [Theory]
    [InlineData("https://evil.example.com/emea/")]
    [InlineData("https://smba.trafficmanager.net/emea")] // no normalisation: the trailing slash matters
    [InlineData("https://smba.trafficmanager.net/amer/")]
    public async Task AuthenticateAsync_ServiceUrlClaimDiffersFromActivity_Fails(string claimedServiceUrl)
    {
        var token = _authority.MintToken(AppId, claimedServiceUrl);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains("does not match", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_ServiceUrlClaimDiffersOnlyInCase_Authenticates()
    {
        var token = _authority.MintToken(AppId, ServiceUrl.ToUpperInvariant());

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        Assert.True(result.Succeeded, result.FailureReason);
    }

    [Fact]
    public async Task AuthenticateAsync_ServiceUrlClaimMissing_Fails()
    {
        var token = _authority.MintToken(AppId, serviceUrl: null);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains("no serviceurl claim", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_ActivityWithoutServiceUrl_NeedsNoServiceUrlClaim()
    {
        var token = _authority.MintToken(AppId, serviceUrl: null);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(serviceUrl: null), CancellationToken.None);

        Assert.True(result.Succeeded, result.FailureReason);
    }

    [Fact]
    public async Task AuthenticateAsync_AuthDisabledAndNoHeader_IsAnonymous()
    {
        var validator = CreateValidator(o => o.MicrosoftAppId = null);

        var result = await validator.AuthenticateAsync(null, TeamsActivity(), CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.True(result.IsAnonymous);
        Assert.Null(result.Identity);
    }

    [Fact]
    public async Task AuthenticateAsync_AuthDisabledButHeaderSent_Fails()
    {
        var validator = CreateValidator(o => o.MicrosoftAppId = "");
        var token = _authority.MintToken(AppId, ServiceUrl);

        var result = await validator.AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AuthenticateAsync_SingleTenantAndTokenFromOwnTenant_Authenticates(bool v1Issuer)
    {
        var token = _authority.MintTenantToken(AppId, TenantId, ServiceUrl, v1Issuer);

        var result = await CreateValidator(SingleTenant).AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        Assert.True(result.Succeeded, result.FailureReason);
    }

    [Fact]
    public async Task AuthenticateAsync_MultiTenantAndTenantToken_Fails()
    {
        var token = _authority.MintTenantToken(AppId, TenantId, ServiceUrl);

        var result = await CreateValidator(o => o.MicrosoftAppTenantId = TenantId).AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
    }

    [Fact]
    public async Task AuthenticateAsync_SingleTenantAndTokenFromAnotherTenant_Fails()
    {
        var token = _authority.MintTenantToken(AppId, OtherTenantId, ServiceUrl);

        var result = await CreateValidator(SingleTenant).AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
    }

    [Fact]
    public async Task AuthenticateAsync_SingleTenantTokenWithoutServiceUrlClaim_Fails()
    {
        var token = _authority.MintTenantToken(AppId, TenantId, serviceUrl: null);

        var result = await CreateValidator(SingleTenant).AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
    }

    [Fact]
    public async Task AuthenticateAsync_ChannelIssuerButSignedByTenantKey_Fails()
    {
        var token = _authority.MintToken(AppId, ServiceUrl, signingKey: _authority.TenantKey);

        var result = await CreateValidator(SingleTenant).AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
    }

    [Fact]
    public async Task AuthenticateAsync_MetadataEndpointDown_FailsAndLogsWarning()
    {
        _authority.IsAvailable = false;

        var result = await CreateValidator().AuthenticateAsync(Bearer(_authority.MintToken(AppId, ServiceUrl)), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains("unavailable", result.FailureReason, StringComparison.Ordinal);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains(_authority.MetadataUrl, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuthenticateAsync_MetadataEndpointBackUp_AuthenticatesAgain()
    {
        var validator = CreateValidator();
        _authority.IsAvailable = false;
        AssertFailed(await validator.AuthenticateAsync(Bearer(_authority.MintToken(AppId, ServiceUrl)), TeamsActivity(), CancellationToken.None));

        _authority.IsAvailable = true;
        var result = await validator.AuthenticateAsync(Bearer(_authority.MintToken(AppId, ServiceUrl)), TeamsActivity(), CancellationToken.None);

        Assert.True(result.Succeeded, result.FailureReason);
    }

    [Fact]
    public async Task AuthenticateAsync_MetadataDownAfterFirstFetch_KeepsAuthenticatingWithCachedKeys()
    {
        var validator = CreateValidator();
        Assert.True((await validator.AuthenticateAsync(Bearer(_authority.MintToken(AppId, ServiceUrl)), TeamsActivity(), CancellationToken.None)).Succeeded);

        _authority.IsAvailable = false;
        var result = await validator.AuthenticateAsync(
            Bearer(_authority.MintToken(AppId, ServiceUrl, signingKey: _authority.SecondaryKey)), TeamsActivity(), CancellationToken.None);

        Assert.True(result.Succeeded, result.FailureReason);
    }

    [Fact]
    public async Task AuthenticateAsync_ManyRequests_FetchMetadataOnce()
    {
        var validator = CreateValidator();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            validator.AuthenticateAsync(Bearer(_authority.MintToken(AppId, ServiceUrl)), TeamsActivity(), CancellationToken.None)));

        Assert.All(results, r => Assert.True(r.Succeeded, r.FailureReason));
        Assert.Equal(1, _authority.MetadataRequestCount);
        Assert.Equal(1, _authority.KeysRequestCount);
    }

    [Fact]
    public async Task AuthenticateAsync_HttpMetadataOnNonLoopbackHost_IsRefused()
    {
        // http is allowed only for loopback; anything else must be https, so this never leaves the machine.
        var validator = CreateValidator(o => o.ToBotFromChannelOpenIdMetadataUrl = "http://metadata.invalid/v1/.well-known/openidconfiguration");

        var result = await validator.AuthenticateAsync(Bearer(_authority.MintToken(AppId, ServiceUrl)), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.AllText.Contains("IDX20108", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuthenticateAsync_RejectedToken_IsLoggedWithReasonButNeverTheToken()
    {
        var token = _authority.MintToken(OtherAppId, ServiceUrl);

        var result = await CreateValidator().AuthenticateAsync(Bearer(token), TeamsActivity(), CancellationToken.None);

        AssertFailed(result);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("Inbound token rejected", StringComparison.Ordinal));
        var signature = token[(token.LastIndexOf('.') + 1)..];
        Assert.DoesNotContain(_logs.Entries, e => e.AllText.Contains(signature, StringComparison.Ordinal));
        Assert.DoesNotContain(token, result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticateAsync_CallerCancelled_ThrowsOperationCanceled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            CreateValidator().AuthenticateAsync(Bearer(_authority.MintToken(AppId, ServiceUrl)), TeamsActivity(), cancelled.Token));
    }

    private void SingleTenant(BotAuthenticationOptions options)
    {
        options.MicrosoftAppType = BotAuthenticationOptions.SingleTenant;
        options.MicrosoftAppTenantId = TenantId;
    }

    private IChannelTokenValidator CreateValidator(Action<BotAuthenticationOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(_logs).SetMinimumLevel(LogLevel.Debug));
        // Bound from configuration the way the app does, so the authority's Settings keys are exercised too.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(_authority.Settings)
            .AddInMemoryCollection([new("MicrosoftAppId", AppId), new("MicrosoftAppPassword", "not-used-inbound")])
            .Build();
        services.Configure<BotAuthenticationOptions>(configuration);
        services.PostConfigure<BotAuthenticationOptions>(options => configure?.Invoke(options));
        services.AddChannelTokenValidator();
        var provider = services.BuildServiceProvider(validateScopes: true);
        _providers.Add(provider);
        return provider.GetRequiredService<IChannelTokenValidator>();
    }

    private static string Bearer(string token) => "Bearer " + token;

    private static Activity TeamsActivity(string? serviceUrl = ServiceUrl, string? channelId = "msteams") => new()
    {
        Type = ActivityTypes.Message,
        Id = "1",
        ChannelId = channelId,
        ServiceUrl = serviceUrl,
        Text = "hello",
    };

    private static void AssertFailed(ChannelAuthResult result)
    {
        Assert.False(result.Succeeded);
        Assert.False(result.IsAnonymous);
        Assert.Null(result.Identity);
        Assert.False(string.IsNullOrWhiteSpace(result.FailureReason));
    }
}
