using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;
using Microsoft.Identity.Client.AppConfig;

namespace PorBot.Protocol.Auth;

/// <summary>
/// Connector tokens from Entra ID through MSAL: client credentials (secret or certificate) for
/// MultiTenant/SingleTenant apps, the user-assigned managed identity for UserAssignedMSI. Null in
/// local mode. One MSAL application per provider, and the provider is a singleton, so MSAL's
/// in-memory token cache does the caching.
/// </summary>
/// <remarks>
/// <paramref name="msalHttpClientFactory"/> exists for tests (a fake token endpoint); production
/// leaves it null so MSAL uses its own HttpClient.
/// </remarks>
public sealed class MsalBotTokenProvider(
    IOptions<BotAuthenticationOptions> options,
    ILogger<MsalBotTokenProvider> logger,
    IMsalHttpClientFactory? msalHttpClientFactory = null) : IBotTokenProvider
{
    private readonly Lock _gate = new();
    private TokenAcquirer? _source;

    public async Task<string?> GetAccessTokenAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.IsAuthenticationDisabled) return null;

        var source = GetOrCreateSource(o);
        try
        {
            var result = await source.AcquireAsync(cancellationToken).ConfigureAwait(false);
            if (result.AuthenticationResultMetadata.TokenSource != TokenSource.Cache)
            {
                logger.LogInformation("Acquired a Bot Connector token for app {AppId} from {Source}, valid until {ExpiresOn:u}.",
                    o.MicrosoftAppId, source.Description, result.ExpiresOn);
            }
            return result.AccessToken;
        }
        catch (MsalException ex)
        {
            // MSAL's message carries the AADSTS text (e.g. AADSTS7000215 invalid secret) and never the secret itself.
            logger.LogError(ex, "Could not get a Bot Connector token for app {AppId} from {Source}: {ErrorCode}.",
                o.MicrosoftAppId, source.Description, ex.ErrorCode);
            throw new BotTokenException(
                $"Could not get a Bot Connector token for app {o.MicrosoftAppId} ({o.MicrosoftAppType}) from {source.Description}: {ex.Message}",
                ex.ErrorCode, ex);
        }
    }

    private TokenAcquirer GetOrCreateSource(BotAuthenticationOptions o)
    {
        if (_source is { } existing) return existing;
        lock (_gate)
        {
            // Not Lazy<T>: a failure (missing certificate file) must not be cached for the process lifetime.
            return _source ??= o.IsUserAssignedMsi ? CreateManagedIdentitySource(o) : CreateConfidentialClientSource(o);
        }
    }

    private TokenAcquirer CreateConfidentialClientSource(BotAuthenticationOptions o)
    {
        var authority = o.GetLoginAuthority();
        var scopes = new[] { o.GetOAuthScope() };
        var isPublicLogin = Uri.TryCreate(authority, UriKind.Absolute, out var authorityUri)
            && string.Equals(authorityUri.Host, new Uri(BotAuthenticationOptions.PublicLoginBaseUrl).Host, StringComparison.OrdinalIgnoreCase);

        // Instance discovery asks login.microsoftonline.com about the authority. For the public cloud in
        // production that is MSAL's normal, supported path (aliases, cloud metadata), so it stays on.
        // It is turned off when the HTTP edge is faked (the discovery GET would otherwise be answered,
        // or not, depending on test order, since MSAL caches it per process) and for any other host
        // (sovereign or private clouds), where asking the public cloud is wrong.
        var disableDiscovery = msalHttpClientFactory is not null || !isPublicLogin;

        var builder = ConfidentialClientApplicationBuilder.Create(o.MicrosoftAppId)
            .WithAuthority(authority, validateAuthority: isPublicLogin)
            .WithCacheOptions(CacheOptions.EnableSharedCacheOptions);
        if (disableDiscovery) builder = builder.WithInstanceDiscovery(false);
        if (msalHttpClientFactory is not null) builder = builder.WithHttpClientFactory(msalHttpClientFactory);

        string credentialKind;
        if (!string.IsNullOrWhiteSpace(o.MicrosoftAppCertificatePath))
        {
            builder = builder.WithCertificate(LoadCertificate(o.MicrosoftAppCertificatePath, o.MicrosoftAppCertificatePassword));
            credentialKind = "certificate";
        }
        else if (!string.IsNullOrWhiteSpace(o.MicrosoftAppPassword))
        {
            builder = builder.WithClientSecret(o.MicrosoftAppPassword);
            credentialKind = "secret";
        }
        else
        {
            throw new BotTokenException(
                $"MicrosoftAppType={o.MicrosoftAppType} needs MicrosoftAppPassword or MicrosoftAppCertificatePath to get Bot Connector tokens.",
                "missing_credential");
        }

        var app = builder.Build();
        logger.LogInformation("Bot Connector tokens for app {AppId} come from {Authority} with a client {CredentialKind}, scope {Scope}.",
            o.MicrosoftAppId, authority, credentialKind, scopes[0]);
        return new TokenAcquirer(authority, ct => app.AcquireTokenForClient(scopes).ExecuteAsync(ct));
    }

    private TokenAcquirer CreateManagedIdentitySource(BotAuthenticationOptions o)
    {
        var scope = o.GetOAuthScope();
        // The managed identity endpoints take a resource, not a scope.
        var resource = scope.EndsWith("/.default", StringComparison.Ordinal) ? scope[..^"/.default".Length] : scope;

        var builder = ManagedIdentityApplicationBuilder.Create(ManagedIdentityId.WithUserAssignedClientId(o.MicrosoftAppId));
        if (msalHttpClientFactory is not null) builder = builder.WithHttpClientFactory(msalHttpClientFactory);
        var app = builder.Build();

        logger.LogInformation("Bot Connector tokens for app {AppId} come from the user-assigned managed identity, resource {Resource}.",
            o.MicrosoftAppId, resource);
        return new TokenAcquirer("the managed identity endpoint", ct => app.AcquireTokenForManagedIdentity(resource).ExecuteAsync(ct));
    }

    private static X509Certificate2 LoadCertificate(string path, string? password)
    {
        if (!File.Exists(path))
            throw new BotTokenException($"MicrosoftAppCertificatePath '{path}' does not exist.", "certificate_not_found");
        try
        {
            // Sniff the content rather than trust the extension: .crt/.cer/.pem files are all PEM in practice.
            using (var reader = new StreamReader(path))
            {
                var start = new char[64];
                var read = reader.ReadBlock(start, 0, start.Length);
                if (new string(start, 0, read).TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal))
                {
                    return string.IsNullOrEmpty(password)
                        ? X509Certificate2.CreateFromPemFile(path)
                        : X509Certificate2.CreateFromEncryptedPemFile(path, password);
                }
            }
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new BotTokenException(
                $"Could not load the certificate from MicrosoftAppCertificatePath '{path}' (PFX, or PEM with the private key; check MicrosoftAppCertificatePassword): {ex.Message}",
                "certificate_invalid", ex);
        }
    }

    private sealed record TokenAcquirer(string Description, Func<CancellationToken, Task<AuthenticationResult>> AcquireAsync);
}

/// <summary>No token for the connector: bad credentials, unreachable token endpoint, unreadable certificate.</summary>
public sealed class BotTokenException : Exception
{
    public BotTokenException(string message, string? errorCode, Exception? inner = null) : base(message, inner) => ErrorCode = errorCode;

    public BotTokenException() : base("Could not get a Bot Connector token.") { }

    public BotTokenException(string message) : base(message) { }

    public BotTokenException(string message, Exception inner) : base(message, inner) { }

    /// <summary>MSAL's error code (e.g. <c>invalid_client</c>) or one of ours for configuration problems.</summary>
    public string? ErrorCode { get; }
}
