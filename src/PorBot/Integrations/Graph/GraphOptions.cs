using System.Net;
using Microsoft.Extensions.Options;
using PorBot.Protocol.Auth;

namespace PorBot.Integrations.Graph;

/// <summary>
/// Section <c>Graph</c>: Microsoft Graph enrichment (tenant names and domains, the partner's GDAP
/// customers) and the check whether an interrupted alert reached its conversation. Off unless
/// <see cref="Enabled"/>. Signs in as the bot's own app registration (MicrosoftAppId,
/// MicrosoftAppPassword, MicrosoftAppTenantId), which needs the Graph application permissions listed
/// in the README (CrossTenantInformation.ReadBasic.All, DelegatedAdminRelationship.Read.All, and for
/// alert reconciliation Chat.Read.WhereInstalled, TeamsAppInstallation.ReadForUser.All, ChannelMessage.Read.Group).
/// </summary>
public sealed class GraphOptions
{
    public const string SectionName = "Graph";
    public const string DefaultBaseUrl = "https://graph.microsoft.com/v1.0";
    public const string DefaultScope = "https://graph.microsoft.com/.default";

    public bool Enabled { get; set; }

    public string BaseUrl { get; set; } = DefaultBaseUrl;

    public string Scope { get; set; } = DefaultScope;

    /// <summary>
    /// Where Graph tokens come from; null means <c>https://login.microsoftonline.com/{MicrosoftAppTenantId}</c>.
    /// Set it for a sovereign cloud (or a test's local token endpoint; MSAL only accepts https).
    /// </summary>
    public string? LoginAuthority { get; set; }

    /// <summary>Per Graph request.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Customers asked for per page of delegatedAdminCustomers.</summary>
    public int PageSize { get; set; } = 100;
}

/// <summary>Checks the Graph section and, when it is on, that the bot's app credentials can sign in to Graph.</summary>
public sealed class GraphOptionsValidator(IOptions<BotAuthenticationOptions> botOptions) : IValidateOptions<GraphOptions>
{
    public ValidateOptionsResult Validate(string? name, GraphOptions o)
    {
        if (!o.Enabled) return ValidateOptionsResult.Success;

        var problems = new List<string>();
        if (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            problems.Add($"Graph:BaseUrl must be an absolute https URL such as {GraphOptions.DefaultBaseUrl} (was '{o.BaseUrl}').");
        else if (uri.Scheme == Uri.UriSchemeHttp && !(uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip))))
            problems.Add($"Graph:BaseUrl must use https (http is allowed only for localhost); was '{o.BaseUrl}'.");
        if (string.IsNullOrWhiteSpace(o.Scope))
            problems.Add($"Graph:Scope must not be empty (default {GraphOptions.DefaultScope}).");
        if (o.Timeout <= TimeSpan.Zero || o.Timeout > TimeSpan.FromMinutes(2))
            problems.Add($"Graph:Timeout must be between 00:00:00.001 and 00:02:00 (was {o.Timeout}).");
        if (o.LoginAuthority is not null && (!Uri.TryCreate(o.LoginAuthority, UriKind.Absolute, out var authority) || authority.Scheme != Uri.UriSchemeHttps))
            problems.Add($"Graph:LoginAuthority must be an absolute https URL such as https://login.microsoftonline.com/<tenant id> (was '{o.LoginAuthority}').");
        if (o.PageSize is < 1 or > 300)
            problems.Add($"Graph:PageSize must be between 1 and 300 (was {o.PageSize}).");

        var bot = botOptions.Value;
        if (!Guid.TryParse(bot.MicrosoftAppId, out _))
            problems.Add("Graph:Enabled=true signs in as the bot's app: set MicrosoftAppId (a GUID).");
        if (bot.IsUserAssignedMsi || string.IsNullOrWhiteSpace(bot.MicrosoftAppPassword))
            problems.Add("Graph:Enabled=true needs the bot's client secret (MicrosoftAppPassword); managed identity and certificates are not supported for Graph yet.");
        if (!Guid.TryParse(bot.MicrosoftAppTenantId, out _))
            problems.Add("Graph:Enabled=true needs MicrosoftAppTenantId (the partner's own tenant, a GUID): Graph tokens and GDAP relationships belong to that tenant.");

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
