using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PorBot.Testing;

/// <summary>
/// A stand-in for login.botframework.com (and an Entra tenant) on a real Kestrel server at
/// 127.0.0.1: serves the OpenID metadata and JWKS (with Bot Framework <c>endorsements</c>) and mints
/// tokens signed by its keys. Point the bot at it with
/// <c>ToBotFromChannelOpenIdMetadataUrl = authority.MetadataUrl</c> (and, for SingleTenant,
/// <c>ToBotFromTenantOpenIdMetadataUrl = authority.TenantMetadataUrlTemplate</c>).
/// </summary>
public sealed class FakeChannelAuthority : IAsyncDisposable
{
    /// <summary>The real channel issuer, so production issuer settings work unchanged against the fake.</summary>
    public const string ChannelIssuer = "https://api.botframework.com";

    public static readonly IReadOnlyList<string> DefaultEndorsements = ["msteams", "emulator"];

    /// <summary>
    /// RSA key generation dominates test time on a small machine, so the five standing keys are
    /// generated once per process and shared by every authority (never disposed: IdentityModel
    /// caches signature providers by key thumbprint, process-wide, so a disposed RSA would resurface).
    /// </summary>
    private static readonly Lazy<RSA>[] SharedRsa = [.. Enumerable.Range(0, 5).Select(_ => new Lazy<RSA>(() => RSA.Create(2048)))];

    private readonly WebApplication _app;
    private ImmutableList<FakeSigningKey> _publishedKeys;
    private int _keyCounter;
    private int _metadataRequests;
    private int _keysRequests;

    private FakeChannelAuthority(WebApplication app)
    {
        _app = app;
        PrimaryKey = CreateKey(DefaultEndorsements, SharedRsa[0].Value);
        SecondaryKey = CreateKey(DefaultEndorsements, SharedRsa[1].Value);
        KeyWithoutEndorsements = CreateKey(endorsements: null, SharedRsa[2].Value);
        UnpublishedKey = CreateKey(DefaultEndorsements, SharedRsa[3].Value);
        TenantKey = CreateKey(endorsements: null, SharedRsa[4].Value);
        _publishedKeys = [PrimaryKey, SecondaryKey, KeyWithoutEndorsements];
    }

    /// <summary>Published, endorsed for msteams and emulator; the default signer.</summary>
    public FakeSigningKey PrimaryKey { get; }

    /// <summary>Published, endorsed for msteams and emulator.</summary>
    public FakeSigningKey SecondaryKey { get; }

    /// <summary>Published in the JWKS but without an <c>endorsements</c> property.</summary>
    public FakeSigningKey KeyWithoutEndorsements { get; }

    /// <summary>Never in any JWKS (a forger's key), unless passed to <see cref="PublishKey"/>.</summary>
    public FakeSigningKey UnpublishedKey { get; }

    /// <summary>The only key of the tenant JWKS (Entra keys carry no endorsements).</summary>
    public FakeSigningKey TenantKey { get; }

    /// <summary>e.g. <c>http://127.0.0.1:41234</c>, no trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The Bot Framework channel metadata document (note: no hyphen in openidconfiguration).</summary>
    public string MetadataUrl => BaseUrl + "/v1/.well-known/openidconfiguration";

    public string KeysUrl => BaseUrl + "/v1/.well-known/keys";

    /// <summary>For <c>ToBotFromTenantOpenIdMetadataUrl</c>: contains the literal <c>{tenant}</c> placeholder.</summary>
    public string TenantMetadataUrlTemplate => BaseUrl + "/{tenant}/v2.0/.well-known/openid-configuration";

    /// <summary>
    /// The configuration keys that point the bot at this authority, e.g. for
    /// <c>WebApplicationFactory</c>: <c>foreach (var (k, v) in authority.Settings) builder.UseSetting(k, v);</c>
    /// </summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ToBotFromChannelOpenIdMetadataUrl"] = MetadataUrl,
        ["ToBotFromChannelTokenIssuer"] = ChannelIssuer,
        ["ToBotFromTenantOpenIdMetadataUrl"] = TenantMetadataUrlTemplate,
    };

    /// <summary>False makes every document answer 503, as an outage of the metadata endpoint.</summary>
    public bool IsAvailable { get; set; } = true;

    /// <summary>How many times the channel metadata document was served.</summary>
    public int MetadataRequestCount => Volatile.Read(ref _metadataRequests);

    /// <summary>How many times the channel JWKS was served.</summary>
    public int KeysRequestCount => Volatile.Read(ref _keysRequests);

    public IReadOnlyList<FakeSigningKey> PublishedKeys => _publishedKeys;

    public static string TenantIssuerV1(string tenantId) => $"https://sts.windows.net/{tenantId}/";

    public static string TenantIssuerV2(string tenantId) => $"https://login.microsoftonline.com/{tenantId}/v2.0";

    public static async Task<FakeChannelAuthority> StartAsync()
    {
        var (authority, root) = await LoopbackServer.StartAsync(app =>
        {
            var created = new FakeChannelAuthority(app);
            created.MapEndpoints();
            return created;
        }).ConfigureAwait(false);
        authority.BaseUrl = root;
        return authority;
    }

    /// <summary>Key rotation: a new key appears in the channel JWKS from the next fetch on.</summary>
    public FakeSigningKey PublishNewKey(params string[] endorsements) =>
        PublishKey(CreateKey(endorsements.Length == 0 ? DefaultEndorsements : endorsements));

    public FakeSigningKey PublishKey(FakeSigningKey key)
    {
        ImmutableInterlocked.Update(ref _publishedKeys, keys => keys.Contains(key) ? keys : keys.Add(key));
        return key;
    }

    public void UnpublishKey(FakeSigningKey key) => ImmutableInterlocked.Update(ref _publishedKeys, keys => keys.Remove(key));

    /// <summary>
    /// A channel token as the Bot Connector sends it: <c>aud</c> = <paramref name="appId"/>,
    /// <c>iss</c> = <see cref="ChannelIssuer"/>, <c>serviceurl</c> (left out when null), valid from a
    /// minute ago for an hour unless <paramref name="notBefore"/>/<paramref name="expires"/> say otherwise.
    /// </summary>
    public string MintToken(
        string appId,
        string? serviceUrl,
        string? issuer = null,
        DateTimeOffset? expires = null,
        DateTimeOffset? notBefore = null,
        string algorithm = SecurityAlgorithms.RsaSha256,
        FakeSigningKey? signingKey = null,
        IReadOnlyDictionary<string, object>? extraClaims = null)
    {
        var descriptor = Describe(appId, serviceUrl, issuer ?? ChannelIssuer, expires, notBefore, extraClaims);
        descriptor.SigningCredentials = new SigningCredentials((signingKey ?? PrimaryKey).SecurityKey, algorithm);
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    /// <summary>An Entra token of the given tenant, signed by <see cref="TenantKey"/>.</summary>
    public string MintTenantToken(string appId, string tenantId, string? serviceUrl, bool v1Issuer = false, IReadOnlyDictionary<string, object>? extraClaims = null) =>
        MintToken(appId, serviceUrl, v1Issuer ? TenantIssuerV1(tenantId) : TenantIssuerV2(tenantId), signingKey: TenantKey, extraClaims: extraClaims);

    /// <summary>Attack: <c>alg: none</c> with an empty signature, otherwise a perfect channel token.</summary>
    public string MintUnsignedToken(string appId, string? serviceUrl) =>
        new JsonWebTokenHandler().CreateToken(Describe(appId, serviceUrl, ChannelIssuer, null, null, null));

    /// <summary>Attack: HS256 with the primary key's public key (SPKI DER) as the HMAC secret, and its kid.</summary>
    public string MintHmacTokenWithPublicKey(string appId, string? serviceUrl)
    {
        var descriptor = Describe(appId, serviceUrl, ChannelIssuer, null, null, null);
        var secret = new SymmetricSecurityKey(PrimaryKey.Rsa.ExportSubjectPublicKeyInfo()) { KeyId = PrimaryKey.KeyId };
        descriptor.SigningCredentials = new SigningCredentials(secret, SecurityAlgorithms.HmacSha256);
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        // Only the keys of PublishNewKey are this authority's own; the standing ones are shared.
        var standing = SharedRsa.Select(r => r.Value).ToHashSet();
        foreach (var key in _publishedKeys.Where(k => !standing.Contains(k.Rsa)))
            key.Rsa.Dispose();
    }

    private static SecurityTokenDescriptor Describe(
        string appId, string? serviceUrl, string issuer, DateTimeOffset? expires, DateTimeOffset? notBefore, IReadOnlyDictionary<string, object>? extraClaims)
    {
        var now = DateTimeOffset.UtcNow;
        var nbf = notBefore ?? (expires is { } e && e <= now ? e.AddHours(-1) : now.AddMinutes(-1));
        var exp = expires ?? (nbf > now ? nbf.AddHours(1) : now.AddHours(1));
        var claims = new Dictionary<string, object>(StringComparer.Ordinal);
        if (serviceUrl is not null) claims["serviceurl"] = serviceUrl;
        if (extraClaims is not null)
        {
            foreach (var (type, value) in extraClaims) claims[type] = value;
        }

        return new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = appId,
            IssuedAt = nbf.UtcDateTime,
            NotBefore = nbf.UtcDateTime,
            Expires = exp.UtcDateTime,
            Claims = claims,
        };
    }

    private FakeSigningKey CreateKey(IReadOnlyList<string>? endorsements, RSA? sharedRsa = null) =>
        new($"fake-key-{Interlocked.Increment(ref _keyCounter)}", endorsements, sharedRsa ?? RSA.Create(2048));

    private void MapEndpoints()
    {
        _app.Use(async (context, next) =>
        {
            if (!IsAvailable)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }
            await next(context).ConfigureAwait(false);
        });

        _app.MapGet("/v1/.well-known/openidconfiguration", () =>
        {
            Interlocked.Increment(ref _metadataRequests);
            return Results.Json(new JsonObject
            {
                ["issuer"] = ChannelIssuer,
                ["authorization_endpoint"] = "https://invalid.botframework.com",
                ["jwks_uri"] = KeysUrl,
                ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
                ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
            });
        });

        _app.MapGet("/v1/.well-known/keys", () =>
        {
            Interlocked.Increment(ref _keysRequests);
            return Results.Json(Jwks(_publishedKeys));
        });

        _app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (string tenant) => Results.Json(new JsonObject
        {
            ["issuer"] = TenantIssuerV2(tenant),
            ["jwks_uri"] = $"{BaseUrl}/{tenant}/discovery/v2.0/keys",
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
        }));

        _app.MapGet("/{tenant}/discovery/v2.0/keys", (string tenant) => Results.Json(Jwks([TenantKey])));
    }

    private static JsonObject Jwks(IEnumerable<FakeSigningKey> keys) =>
        new() { ["keys"] = new JsonArray(keys.Select(k => (JsonNode)k.ToJwk()).ToArray()) };
}

/// <summary>An RSA key of <see cref="FakeChannelAuthority"/>; pass it to <c>MintToken(signingKey: ...)</c>.</summary>
public sealed class FakeSigningKey
{
    internal FakeSigningKey(string keyId, IReadOnlyList<string>? endorsements, RSA rsa)
    {
        KeyId = keyId;
        Endorsements = endorsements;
        Rsa = rsa;
        SecurityKey = new RsaSecurityKey(Rsa) { KeyId = keyId };
    }

    public string KeyId { get; }

    /// <summary>Null: the JWKS entry has no <c>endorsements</c> property at all.</summary>
    public IReadOnlyList<string>? Endorsements { get; }

    /// <summary>Holds the private key: for signing tokens.</summary>
    public RsaSecurityKey SecurityKey { get; }

    internal RSA Rsa { get; }

    internal JsonObject ToJwk()
    {
        var parameters = Rsa.ExportParameters(includePrivateParameters: false);
        var jwk = new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = KeyId,
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
        };
        if (Endorsements is not null) jwk["endorsements"] = new JsonArray(Endorsements.Select(e => (JsonNode?)e).ToArray());
        return jwk;
    }

    public override string ToString() => KeyId;
}
