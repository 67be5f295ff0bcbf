using PorBot.Testing;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace PorBot.Tests.Integrations;

public sealed record FakeTenant(Guid TenantId, string DisplayName, string DefaultDomainName, string[] Domains);

public sealed record FakeGraphRequest(string PathAndQuery, string? Authorization, int Status);

/// <summary>
/// The slice of Microsoft Graph v1.0 PorBot uses (tenantRelationships), on real Kestrel at
/// 127.0.0.1 port 0, so the real Graph SDK runs against it. Pages GDAP customers with absolute
/// <c>@odata.nextLink</c>s back to itself; answers Graph-shaped errors.
/// </summary>
public sealed partial class FakeGraphServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly List<FakeTenant> _tenants = [];
    private readonly List<FakeTenant> _gdapCustomers = [];
    private readonly Lock _gate = new();
    private readonly List<FakeGraphRequest> _requests = [];

    private FakeGraphServer(WebApplication app) => _app = app;

    /// <summary>The server root; Graph's v1.0 is under <c>/v1.0</c>.</summary>
    public string Root { get; private set; } = "";

    public string BaseUrl => Root + "/v1.0";

    /// <summary>A bearer token the server insists on; null accepts any request.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>When set, every request gets this status with a Graph error body.</summary>
    public HttpStatusCode? FailWith { get; set; }

    public IReadOnlyList<FakeGraphRequest> Requests
    {
        get { lock (_gate) return [.. _requests]; }
    }

    public static async Task<FakeGraphServer> StartAsync()
    {
        var (server, root) = await LoopbackServer.StartAsync(app =>
        {
            var created = new FakeGraphServer(app);
            app.Run(created.HandleAsync);
            return created;
        });
        server.Root = root;
        return server;
    }

    public void AddTenant(FakeTenant tenant) => _tenants.Add(tenant);

    public void AddGdapCustomer(FakeTenant tenant) => _gdapCustomers.Add(tenant);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var status = await AnswerAsync(context);
        var authorization = context.Request.Headers.Authorization.ToString();
        lock (_gate) _requests.Add(new FakeGraphRequest(context.Request.Path + context.Request.QueryString, authorization.Length > 0 ? authorization : null, status));
    }

    private async Task<int> AnswerAsync(HttpContext context)
    {
        if (RequiredToken is { } token && context.Request.Headers.Authorization.ToString() != "Bearer " + token)
            return await ErrorAsync(context, HttpStatusCode.Unauthorized, "InvalidAuthenticationToken", "Access token is empty.");
        if (FailWith is { } failure)
            return await ErrorAsync(context, failure, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");

        var path = context.Request.Path.Value ?? "";
        if (ByTenantId().Match(path) is { Success: true } byId)
        {
            var tenant = Guid.TryParse(byId.Groups[1].Value, out var id) ? _tenants.FirstOrDefault(t => t.TenantId == id) : null;
            return tenant is null
                ? await ErrorAsync(context, HttpStatusCode.NotFound, "Request_ResourceNotFound", $"Resource '{byId.Groups[1].Value}' does not exist.")
                : await WriteAsync(context, TenantInformation(tenant));
        }

        if (ByDomainName().Match(path) is { Success: true } byDomain)
        {
            var domain = byDomain.Groups[1].Value;
            var tenant = _tenants.FirstOrDefault(t => t.Domains.Contains(domain, StringComparer.OrdinalIgnoreCase));
            return tenant is null
                ? await ErrorAsync(context, HttpStatusCode.NotFound, "Request_ResourceNotFound", $"Domain '{domain}' does not exist.")
                : await WriteAsync(context, TenantInformation(tenant));
        }

        if (path == "/v1.0/tenantRelationships/delegatedAdminCustomers")
        {
            var top = int.TryParse(context.Request.Query["$top"], CultureInfo.InvariantCulture, out var t) ? t : 100;
            var skip = int.TryParse(context.Request.Query["$skiptoken"], CultureInfo.InvariantCulture, out var s) ? s : 0;
            var page = _gdapCustomers.Skip(skip).Take(top).Select(c => new Dictionary<string, object>
            {
                ["id"] = c.TenantId.ToString("D"),
                ["tenantId"] = c.TenantId.ToString("D"),
                ["displayName"] = c.DisplayName,
            }).ToList();
            var body = new Dictionary<string, object>
            {
                ["@odata.context"] = BaseUrl + "/$metadata#tenantRelationships/delegatedAdminCustomers",
                ["value"] = page,
            };
            if (skip + top < _gdapCustomers.Count)
                body["@odata.nextLink"] = $"{BaseUrl}/tenantRelationships/delegatedAdminCustomers?$top={top}&$skiptoken={skip + top}";
            return await WriteAsync(context, body);
        }

        return await ErrorAsync(context, HttpStatusCode.BadRequest, "BadRequest", $"Resource not found for the segment '{path}'.");
    }

    private Dictionary<string, object> TenantInformation(FakeTenant tenant) => new()
    {
        ["@odata.context"] = BaseUrl + "/$metadata#microsoft.graph.tenantInformation",
        ["tenantId"] = tenant.TenantId.ToString("D"),
        ["federationBrandName"] = null!,
        ["displayName"] = tenant.DisplayName,
        ["defaultDomainName"] = tenant.DefaultDomainName,
    };

    private static async Task<int> WriteAsync(HttpContext context, object body)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
        return 200;
    }

    private static async Task<int> ErrorAsync(HttpContext context, HttpStatusCode status, string code, string message)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            error = new { code, message, innerError = new { date = DateTimeOffset.UtcNow, requestId = Guid.NewGuid() } },
        }, Json));
        return (int)status;
    }

    [GeneratedRegex(@"^/v1\.0/tenantRelationships/findTenantInformationByTenantId\(tenantId='([^']*)'\)$")]
    private static partial Regex ByTenantId();

    [GeneratedRegex(@"^/v1\.0/tenantRelationships/findTenantInformationByDomainName\(domainName='([^']*)'\)$")]
    private static partial Regex ByDomainName();
}
