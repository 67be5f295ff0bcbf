using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Auth;

/// <summary>
/// Validates the Bot Connector's bearer token on inbound activities (bot-protocol.md §2): issuer
/// checked before any signature work, keys from the trusted OpenID metadata, audience = app id,
/// RS256/384/512 only, 5 min skew, the signing key's endorsements and the <c>serviceurl</c> claim.
/// Register as a singleton: it caches the metadata of each URL.
/// </summary>
public sealed class ChannelTokenValidator(
    IOptions<BotAuthenticationOptions> options,
    IHttpClientFactory httpClientFactory,
    ILogger<ChannelTokenValidator> logger) : IChannelTokenValidator
{
    /// <summary>The named <see cref="HttpClient"/> used to fetch OpenID metadata and keys.</summary>
    public const string MetadataHttpClientName = "PorBot.OpenIdMetadata";

    public const string ServiceUrlClaim = "serviceurl";

    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private static readonly string[] AllowedAlgorithms =
        [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512];

    private const string EndorsementsProperty = "endorsements";

    private readonly JsonWebTokenHandler _handler = new();
    private readonly ConcurrentDictionary<string, Lazy<OpenIdMetadataCache>> _metadata = new(StringComparer.Ordinal);

    public async Task<ChannelAuthResult> AuthenticateAsync(string? authorizationHeader, Activity activity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var settings = options.Value;

        if (string.IsNullOrEmpty(authorizationHeader))
        {
            return settings.IsAuthenticationDisabled
                ? ChannelAuthResult.Anonymous
                : Fail("no Authorization header");
        }

        // As the SDK: one space, exactly two parts, scheme compared case-sensitively.
        var parts = authorizationHeader.Split(' ');
        if (parts.Length != 2 || parts[0] != "Bearer" || parts[1].Length == 0)
            return Fail("Authorization header is not 'Bearer <token>'");
        var token = parts[1];

        // With no app id no audience can match; failing here also keeps local mode off the network.
        if (settings.IsAuthenticationDisabled)
            return Fail("a token was sent but no MicrosoftAppId is configured, so no audience can match");

        JsonWebToken unvalidated;
        try
        {
            unvalidated = _handler.ReadJsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException)
        {
            return Fail("the bearer token is not a well-formed JWT");
        }

        var source = SelectKeySource(unvalidated.Issuer, settings);
        if (source is null)
            return Fail($"issuer '{Truncate(unvalidated.Issuer)}' is not trusted");

        var metadata = _metadata.GetOrAdd(source.MetadataUrl, url => new Lazy<OpenIdMetadataCache>(() => new OpenIdMetadataCache(
            url,
            new HttpClientFactoryDocumentRetriever(httpClientFactory, MetadataHttpClientName),
            logger,
            TimeProvider.System))).Value;

        OpenIdConnectConfiguration configuration;
        TokenValidationResult result;
        try
        {
            configuration = await metadata.GetAsync(cancellationToken).ConfigureAwait(false);
            result = await ValidateAsync(token, source.Issuer, settings.MicrosoftAppId!, configuration).ConfigureAwait(false);
            if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                // Keys rotate at any time; one awaited refresh (rate-limited) picks up a newly published key.
                var refreshed = await metadata.RefreshAsync(configuration, cancellationToken).ConfigureAwait(false);
                if (refreshed is not null)
                {
                    configuration = refreshed;
                    result = await ValidateAsync(token, source.Issuer, settings.MicrosoftAppId!, configuration).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Inbound token rejected: OpenID metadata from {MetadataUrl} is unavailable", metadata.Address);
            return ChannelAuthResult.Failed($"OpenID metadata from '{metadata.Address}' is unavailable");
        }

        if (!result.IsValid)
            return Fail($"token validation failed: {result.Exception?.GetType().Name} {result.Exception?.Message}");

        var validated = (JsonWebToken)result.SecurityToken;

        if (source.RequiresEndorsements)
        {
            var endorsementProblem = CheckEndorsements(configuration, validated, activity.ChannelId);
            if (endorsementProblem is not null) return Fail(endorsementProblem);
        }

        // A tenant-issued token can be minted by any app of the bot's tenant; only the Bot Service adds a
        // serviceurl claim, so such a token must carry one (and hence the activity a serviceUrl).
        if (!source.RequiresEndorsements && string.IsNullOrEmpty(activity.ServiceUrl))
            return Fail("a tenant-issued token is accepted only for an activity with a serviceUrl");

        if (!string.IsNullOrEmpty(activity.ServiceUrl))
        {
            // Exact, case-insensitive, no normalisation (a trailing '/' matters), as the SDK.
            if (!validated.TryGetPayloadValue<string>(ServiceUrlClaim, out var claimed) || string.IsNullOrEmpty(claimed))
                return Fail("the token has no serviceurl claim but the activity has a serviceUrl");
            if (!string.Equals(claimed, activity.ServiceUrl, StringComparison.OrdinalIgnoreCase))
                return Fail($"the token's serviceurl '{Truncate(claimed)}' does not match the activity's serviceUrl '{Truncate(activity.ServiceUrl)}'");
        }

        return ChannelAuthResult.Authenticated(result.ClaimsIdentity);
    }

    private sealed record KeySource(string Issuer, string MetadataUrl, bool RequiresEndorsements);

    /// <summary>
    /// Only the channel issuer, plus the app's own tenant when SingleTenant. Emulator and skill
    /// tokens fall through to null and are refused without fetching any keys.
    /// </summary>
    private static KeySource? SelectKeySource(string? issuer, BotAuthenticationOptions settings)
    {
        if (string.IsNullOrEmpty(issuer)) return null;

        if (string.Equals(issuer, settings.ToBotFromChannelTokenIssuer, StringComparison.Ordinal))
            return new KeySource(issuer, settings.ToBotFromChannelOpenIdMetadataUrl, RequiresEndorsements: true);

        if (settings.IsSingleTenant && !string.IsNullOrWhiteSpace(settings.MicrosoftAppTenantId))
        {
            var tenant = settings.MicrosoftAppTenantId.Trim();
            if (string.Equals(issuer, $"https://sts.windows.net/{tenant}/", StringComparison.OrdinalIgnoreCase)
                || string.Equals(issuer, $"https://login.microsoftonline.com/{tenant}/v2.0", StringComparison.OrdinalIgnoreCase))
            {
                var metadataUrl = settings.ToBotFromTenantOpenIdMetadataUrl.Replace("{tenant}", tenant, StringComparison.Ordinal);
                // Entra keys carry no endorsements; the serviceurl check still applies.
                return new KeySource(issuer, metadataUrl, RequiresEndorsements: false);
            }
        }

        return null;
    }

    private Task<TokenValidationResult> ValidateAsync(string token, string issuer, string appId, OpenIdConnectConfiguration configuration) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = appId,
            IssuerSigningKeys = configuration.SigningKeys,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = ClockSkew,
            ValidAlgorithms = AllowedAlgorithms,
        });

    /// <summary>The signing key must list the activity's channel (e.g. msteams) in its JWKS endorsements.</summary>
    private static string? CheckEndorsements(OpenIdConnectConfiguration configuration, JsonWebToken token, string? channelId)
    {
        var keyId = token.SigningKey?.KeyId is { Length: > 0 } signingKeyId ? signingKeyId : token.Kid;
        var jwk = configuration.JsonWebKeySet?.Keys.FirstOrDefault(k => string.Equals(k.Kid, keyId, StringComparison.Ordinal));
        if (jwk is null
            || !jwk.AdditionalData.TryGetValue(EndorsementsProperty, out var raw)
            || raw is not JsonElement { ValueKind: JsonValueKind.Array } endorsements)
        {
            return $"signing key '{keyId}' has no endorsements";
        }

        if (string.IsNullOrEmpty(channelId)) return null;
        var endorsed = endorsements.EnumerateArray()
            .Any(e => e.ValueKind == JsonValueKind.String && string.Equals(e.GetString(), channelId, StringComparison.Ordinal));
        return endorsed ? null : $"signing key '{keyId}' is not endorsed for channel '{Truncate(channelId)}'";
    }

    private ChannelAuthResult Fail(string reason)
    {
        // Routine for a public endpoint (scanners, misconfigured clients): Information, never the token.
        logger.LogInformation("Inbound token rejected: {Reason}", reason);
        return ChannelAuthResult.Failed(reason);
    }

    private static string Truncate(string? value) =>
        value is null ? "" : value.Length <= 120 ? value : value[..120] + "…";
}
