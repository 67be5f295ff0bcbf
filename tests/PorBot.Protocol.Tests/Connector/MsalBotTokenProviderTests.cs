using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PorBot.Protocol.Auth;
using PorBot.Testing;

namespace PorBot.Protocol.Tests.Connector;

public sealed class MsalBotTokenProviderTests : IDisposable
{
    private const string Secret = "s3cret-value-never-logged";
    private readonly FakeTokenEndpoint _endpoint = new();
    private readonly List<string> _tempFiles = [];

    // A fresh app id per test: MSAL's shared cache spans the process, keyed by client id and authority.
    private readonly string _appId = Guid.NewGuid().ToString();

    public void Dispose()
    {
        _endpoint.Dispose();
        foreach (var file in _tempFiles) File.Delete(file);
    }

    private MsalBotTokenProvider CreateProvider(Action<BotAuthenticationOptions>? configure = null)
    {
        var options = new BotAuthenticationOptions { MicrosoftAppId = _appId, MicrosoftAppPassword = Secret };
        configure?.Invoke(options);
        return new MsalBotTokenProvider(Options.Create(options), NullLogger<MsalBotTokenProvider>.Instance, _endpoint);
    }

    [Fact]
    public async Task GetAccessToken_NoAppId_ReturnsNullWithoutAnyRequest()
    {
        var provider = CreateProvider(o => o.MicrosoftAppId = null);

        Assert.Null(await provider.GetAccessTokenAsync(default));
        Assert.Empty(_endpoint.TokenRequests);
    }

    [Fact]
    public async Task GetAccessToken_MultiTenantSecret_PostsClientCredentialsToBotframeworkTenant()
    {
        var provider = CreateProvider();

        var token = await provider.GetAccessTokenAsync(default);

        Assert.Equal(_endpoint.LastIssuedToken, token);
        var request = Assert.Single(_endpoint.TokenRequests);
        Assert.Equal("https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token", request.Uri.ToString());
        Assert.Equal("botframework.com", request.Tenant);
        Assert.Equal("client_credentials", request.Form["grant_type"]);
        Assert.Equal(_appId, request.Form["client_id"]);
        Assert.Equal(Secret, request.Form["client_secret"]);
        Assert.Equal("https://api.botframework.com/.default", request.Form["scope"]);
        Assert.Empty(_endpoint.OtherRequests); // instance discovery is off with an injected HTTP factory
    }

    [Fact]
    public async Task GetAccessToken_SingleTenant_UsesTheAppTenantInThePath()
    {
        var tenantId = Guid.NewGuid().ToString();
        var provider = CreateProvider(o =>
        {
            o.MicrosoftAppType = BotAuthenticationOptions.SingleTenant;
            o.MicrosoftAppTenantId = tenantId;
        });

        await provider.GetAccessTokenAsync(default);

        Assert.Equal(tenantId, Assert.Single(_endpoint.TokenRequests).Tenant);
    }

    [Fact]
    public async Task GetAccessToken_CustomLoginUrlAndScope_UsesThem()
    {
        var provider = CreateProvider(o =>
        {
            o.ToChannelFromBotLoginUrl = "https://login.microsoftonline.us/botframework.com/";
            o.ToChannelFromBotOAuthScope = "https://api.botframework.us";
        });

        await provider.GetAccessTokenAsync(default);

        var request = Assert.Single(_endpoint.TokenRequests);
        Assert.Equal("https://login.microsoftonline.us/botframework.com/oauth2/v2.0/token", request.Uri.ToString());
        Assert.Equal("https://api.botframework.us/.default", request.Form["scope"]);
    }

    [Fact]
    public async Task GetAccessToken_SecondCall_ServedFromCacheWithOneRequest()
    {
        var provider = CreateProvider();

        var first = await provider.GetAccessTokenAsync(default);
        var second = await provider.GetAccessTokenAsync(default);

        Assert.Equal(first, second);
        Assert.Single(_endpoint.TokenRequests);
    }

    [Fact]
    public async Task GetAccessToken_ConcurrentFirstCalls_ShareOneMsalApplication()
    {
        var provider = CreateProvider();

        var tokens = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => provider.GetAccessTokenAsync(default)));

        Assert.All(tokens, Assert.NotNull);
        // Racing first calls may each fetch, but later ones come from the one cache.
        Assert.InRange(_endpoint.TokenRequests.Count, 1, 8);
        var before = _endpoint.TokenRequests.Count;
        await provider.GetAccessTokenAsync(default);
        Assert.Equal(before, _endpoint.TokenRequests.Count);
    }

    [Fact]
    public async Task GetAccessToken_InvalidClient_ThrowsClearExceptionWithoutTheSecret()
    {
        _endpoint.FailWithInvalidClient();
        var provider = CreateProvider();

        var ex = await Assert.ThrowsAsync<BotTokenException>(() => provider.GetAccessTokenAsync(default));

        Assert.Equal("invalid_client", ex.ErrorCode);
        Assert.Contains("AADSTS7000215", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_appId, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAccessToken_FailureThenFixedEndpoint_RecoversOnNextCall()
    {
        _endpoint.FailWithInvalidClient();
        var provider = CreateProvider();
        await Assert.ThrowsAsync<BotTokenException>(() => provider.GetAccessTokenAsync(default));

        _endpoint.Succeed();
        var token = await provider.GetAccessTokenAsync(default);

        Assert.NotNull(token);
        Assert.Equal(_endpoint.LastIssuedToken, token);
        Assert.Equal(2, _endpoint.TokenRequests.Count);
    }

    [Fact]
    public async Task GetAccessToken_PfxCertificate_SendsSignedClientAssertionInsteadOfSecret()
    {
        using var certificate = CreateCertificate();
        var path = WriteTemp(".pfx", certificate.Export(X509ContentType.Pfx, "pfx-pass"));
        var provider = CreateProvider(o =>
        {
            o.MicrosoftAppPassword = null;
            o.MicrosoftAppCertificatePath = path;
            o.MicrosoftAppCertificatePassword = "pfx-pass";
        });

        var token = await provider.GetAccessTokenAsync(default);

        Assert.Equal(_endpoint.LastIssuedToken, token);
        await AssertSignedAssertionAsync(Assert.Single(_endpoint.TokenRequests), certificate);
    }

    [Fact]
    public async Task GetAccessToken_PemCertificateWithKey_SendsSignedClientAssertion()
    {
        using var certificate = CreateCertificate();
        var pem = certificate.ExportCertificatePem() + "\n" + certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem();
        var path = WriteTemp(".crt", System.Text.Encoding.ASCII.GetBytes(pem));
        var provider = CreateProvider(o =>
        {
            o.MicrosoftAppPassword = null;
            o.MicrosoftAppCertificatePath = path;
        });

        await provider.GetAccessTokenAsync(default);

        await AssertSignedAssertionAsync(Assert.Single(_endpoint.TokenRequests), certificate);
    }

    [Fact]
    public async Task GetAccessToken_CertificateFileMissing_ThrowsNamingThePath()
    {
        var provider = CreateProvider(o =>
        {
            o.MicrosoftAppPassword = null;
            o.MicrosoftAppCertificatePath = "/nonexistent/bot.pfx";
        });

        var ex = await Assert.ThrowsAsync<BotTokenException>(() => provider.GetAccessTokenAsync(default));

        Assert.Contains("/nonexistent/bot.pfx", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_endpoint.TokenRequests);
    }

    [Fact]
    public async Task GetAccessToken_WrongPfxPassword_ThrowsClearException()
    {
        using var certificate = CreateCertificate();
        var path = WriteTemp(".pfx", certificate.Export(X509ContentType.Pfx, "right"));
        var provider = CreateProvider(o =>
        {
            o.MicrosoftAppPassword = null;
            o.MicrosoftAppCertificatePath = path;
            o.MicrosoftAppCertificatePassword = "wrong";
        });

        var ex = await Assert.ThrowsAsync<BotTokenException>(() => provider.GetAccessTokenAsync(default));

        Assert.Equal("certificate_invalid", ex.ErrorCode);
        Assert.Contains("MicrosoftAppCertificatePassword", ex.Message, StringComparison.Ordinal);
    }

    private async Task AssertSignedAssertionAsync(TokenRequest request, X509Certificate2 certificate)
    {
        Assert.False(request.Form.ContainsKey("client_secret"));
        Assert.Equal("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", request.Form["client_assertion_type"]);

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(request.Form["client_assertion"], new TokenValidationParameters
        {
            IssuerSigningKey = new X509SecurityKey(X509CertificateLoader.LoadCertificate(certificate.RawData)),
            ValidIssuer = _appId,
            ValidAudience = request.Uri.ToString(),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(_appId, result.Claims["sub"]);
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=PorBot test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    private string WriteTemp(string extension, byte[] content)
    {
        var path = Path.Combine(Path.GetTempPath(), "porbot-" + Guid.NewGuid().ToString("N") + extension);
        File.WriteAllBytes(path, content);
        _tempFiles.Add(path);
        return path;
    }
}
