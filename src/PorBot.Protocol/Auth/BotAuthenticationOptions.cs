using Microsoft.Extensions.Options;

namespace PorBot.Protocol.Auth;

/// <summary>
/// The Bot Framework configuration keys that Azure Bot resources already use, bound from the root of
/// configuration (so <c>MicrosoftAppId</c> works as an environment variable, exactly as with the SDK).
/// No app id means local mode: inbound auth off, outbound calls without a token.
/// </summary>
public sealed class BotAuthenticationOptions
{
    public const string MultiTenant = "MultiTenant";
    public const string SingleTenant = "SingleTenant";
    public const string UserAssignedMsi = "UserAssignedMSI";

    public const string PublicChannelOpenIdMetadataUrl = "https://login.botframework.com/v1/.well-known/openidconfiguration";
    public const string PublicChannelTokenIssuer = "https://api.botframework.com";
    public const string PublicLoginBaseUrl = "https://login.microsoftonline.com";
    public const string PublicChannelOAuthScope = "https://api.botframework.com";
    public const string MultiTenantAuthorityTenant = "botframework.com";

    public string MicrosoftAppType { get; set; } = MultiTenant;
    public string? MicrosoftAppId { get; set; }
    public string? MicrosoftAppPassword { get; set; }
    public string? MicrosoftAppTenantId { get; set; }

    /// <summary>A PFX or PEM file with the app's certificate, used instead of a secret.</summary>
    public string? MicrosoftAppCertificatePath { get; set; }
    public string? MicrosoftAppCertificatePassword { get; set; }

    public string ToBotFromChannelOpenIdMetadataUrl { get; set; } = PublicChannelOpenIdMetadataUrl;
    public string ToBotFromChannelTokenIssuer { get; set; } = PublicChannelTokenIssuer;

    /// <summary>
    /// OpenID metadata for Entra-issued tokens of the bot's own tenant (SingleTenant only);
    /// <c>{tenant}</c> is replaced by <see cref="MicrosoftAppTenantId"/>.
    /// </summary>
    public string ToBotFromTenantOpenIdMetadataUrl { get; set; } =
        PublicLoginBaseUrl + "/{tenant}/v2.0/.well-known/openid-configuration";

    /// <summary>The full authority for outbound tokens; default depends on the app type (see <see cref="GetLoginAuthority"/>).</summary>
    public string? ToChannelFromBotLoginUrl { get; set; }
    public string ToChannelFromBotOAuthScope { get; set; } = PublicChannelOAuthScope;

    public bool IsAuthenticationDisabled => string.IsNullOrWhiteSpace(MicrosoftAppId);

    public bool IsSingleTenant => string.Equals(MicrosoftAppType, SingleTenant, StringComparison.OrdinalIgnoreCase);

    public bool IsUserAssignedMsi => string.Equals(MicrosoftAppType, UserAssignedMsi, StringComparison.OrdinalIgnoreCase);

    /// <summary>MultiTenant tokens come from the botframework.com tenant; single-tenant ones from the app's own.</summary>
    public string GetLoginAuthority() =>
        !string.IsNullOrWhiteSpace(ToChannelFromBotLoginUrl)
            ? ToChannelFromBotLoginUrl.TrimEnd('/')
            : $"{PublicLoginBaseUrl}/{(IsSingleTenant ? MicrosoftAppTenantId : MultiTenantAuthorityTenant)}";

    /// <summary>The scope requested for connector tokens: the resource plus <c>/.default</c>.</summary>
    public string GetOAuthScope() =>
        ToChannelFromBotOAuthScope.EndsWith("/.default", StringComparison.Ordinal)
            ? ToChannelFromBotOAuthScope
            : ToChannelFromBotOAuthScope.TrimEnd('/') + "/.default";
}

/// <summary>Start-up validation with messages that say which key to fix.</summary>
public sealed class BotAuthenticationOptionsValidator : IValidateOptions<BotAuthenticationOptions>
{
    public ValidateOptionsResult Validate(string? name, BotAuthenticationOptions o)
    {
        var problems = new List<string>();
        var type = o.MicrosoftAppType;
        if (!new[] { BotAuthenticationOptions.MultiTenant, BotAuthenticationOptions.SingleTenant, BotAuthenticationOptions.UserAssignedMsi }
                .Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            problems.Add($"MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI (was '{type}').");
        }

        if (!o.IsAuthenticationDisabled)
        {
            if (!Guid.TryParse(o.MicrosoftAppId, out _))
                problems.Add("MicrosoftAppId must be the Entra application (client) id, a GUID.");
            var hasSecret = !string.IsNullOrWhiteSpace(o.MicrosoftAppPassword);
            var hasCertificate = !string.IsNullOrWhiteSpace(o.MicrosoftAppCertificatePath);
            if (o.IsUserAssignedMsi)
            {
                if (hasSecret || hasCertificate)
                    problems.Add("MicrosoftAppType=UserAssignedMSI uses the managed identity: remove MicrosoftAppPassword and MicrosoftAppCertificatePath.");
                if (string.IsNullOrWhiteSpace(o.MicrosoftAppTenantId))
                    problems.Add("MicrosoftAppType=UserAssignedMSI needs MicrosoftAppTenantId.");
            }
            else if (!hasSecret && !hasCertificate)
            {
                problems.Add($"MicrosoftAppType={type} needs MicrosoftAppPassword or MicrosoftAppCertificatePath.");
            }

            if (o.IsSingleTenant && !Guid.TryParse(o.MicrosoftAppTenantId, out _))
                problems.Add("MicrosoftAppType=SingleTenant needs MicrosoftAppTenantId (a GUID).");
        }

        foreach (var (key, value) in new[]
                 {
                     (nameof(o.ToBotFromChannelOpenIdMetadataUrl), o.ToBotFromChannelOpenIdMetadataUrl),
                     (nameof(o.ToBotFromTenantOpenIdMetadataUrl), o.ToBotFromTenantOpenIdMetadataUrl.Replace("{tenant}", "t", StringComparison.Ordinal)),
                     (nameof(o.ToChannelFromBotLoginUrl), o.ToChannelFromBotLoginUrl ?? "https://unset"),
                 })
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
                problems.Add($"{key} must be an absolute http(s) URL (was '{value}').");
        }

        if (string.IsNullOrWhiteSpace(o.ToBotFromChannelTokenIssuer))
            problems.Add("ToBotFromChannelTokenIssuer must not be empty.");

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
