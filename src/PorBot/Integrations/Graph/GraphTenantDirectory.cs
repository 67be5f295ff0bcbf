using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using PorBot.Lookups;

namespace PorBot.Integrations.Graph;

/// <summary><see cref="ITenantDirectory"/> through the Microsoft Graph SDK (tenantRelationships).</summary>
public sealed partial class GraphTenantDirectory : ITenantDirectory, IDisposable
{
    private static readonly string[] CustomerFields = ["id", "tenantId", "displayName"];

    private readonly GraphServiceClient _client;
    private readonly HttpClient _httpClient;
    private readonly GraphOptions _options;
    private readonly ILogger<GraphTenantDirectory> _logger;

    public GraphTenantDirectory(IOptions<GraphOptions> options, GraphAccessTokenProvider tokenProvider, ILogger<GraphTenantDirectory> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        // Graph's own handler chain (retry on 429/503 with Retry-After, redirects, compression).
        _httpClient = GraphClientFactory.Create();
        _httpClient.Timeout = _options.Timeout;
        _client = new GraphServiceClient(_httpClient, new BaseBearerTokenAuthenticationProvider(tokenProvider), _options.BaseUrl);
    }

    public Task<CustomerTenant?> ResolveTenantByIdAsync(Guid tenantId, CancellationToken cancellationToken) =>
        FindTenantAsync($"tenant {tenantId:D}",
            () => _client.TenantRelationships.FindTenantInformationByTenantIdWithTenantId(tenantId.ToString("D")).GetAsync(cancellationToken: cancellationToken),
            cancellationToken);

    public Task<CustomerTenant?> ResolveTenantByDomainAsync(string domain, CancellationToken cancellationToken)
    {
        var name = domain?.Trim() ?? "";
        // Not a domain name: no tenant owns it, and it would only make a malformed OData call.
        if (!DomainName().IsMatch(name)) return Task.FromResult<CustomerTenant?>(null);
        return FindTenantAsync($"domain {name}",
            () => _client.TenantRelationships.FindTenantInformationByDomainNameWithDomainName(name).GetAsync(cancellationToken: cancellationToken),
            cancellationToken);
    }

    public async Task<IReadOnlyList<GdapCustomer>> ListGdapCustomersAsync(CancellationToken cancellationToken)
    {
        var customers = new List<GdapCustomer>();
        await CallAsync<object?>("the GDAP customer list", async () =>
        {
            var first = await _client.TenantRelationships.DelegatedAdminCustomers.GetAsync(request =>
            {
                request.QueryParameters.Select = CustomerFields;
                request.QueryParameters.Top = _options.PageSize;
            }, cancellationToken);
            if (first is null) return null;

            var pages = PageIterator<DelegatedAdminCustomer, DelegatedAdminCustomerCollectionResponse>.CreatePageIterator(_client, first, customer =>
            {
                if (Guid.TryParse(customer.TenantId ?? customer.Id, out var tenantId))
                    customers.Add(new GdapCustomer(tenantId, customer.DisplayName ?? tenantId.ToString("D")));
                else
                    _logger.LogWarning("Graph listed a GDAP customer without a usable tenant id ('{TenantId}'); skipped.", customer.TenantId);
                return true;
            });
            await pages.IterateAsync(cancellationToken);
            return null;
        }, cancellationToken);
        return customers;
    }

    public async Task<IReadOnlyList<GdapCustomerLink>> FindGdapCustomersInRegistryAsync(IPorRegistry registry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var links = new List<GdapCustomerLink>();
        foreach (var customer in await ListGdapCustomersAsync(cancellationToken))
        {
            var subscriptions = await registry.GetSubscriptionsByTenantAsync(customer.TenantId, cancellationToken);
            if (subscriptions.Count > 0) links.Add(new GdapCustomerLink(customer, subscriptions));
        }

        return links;
    }

    public void Dispose() => _httpClient.Dispose();

    private async Task<CustomerTenant?> FindTenantAsync(string what, Func<Task<TenantInformation?>> call, CancellationToken cancellationToken)
    {
        TenantInformation? info;
        try
        {
            info = await CallAsync(what, call, cancellationToken);
        }
        catch (TenantDirectoryException ex) when (ex.InnerException is ODataError { ResponseStatusCode: (int)HttpStatusCode.NotFound })
        {
            return null;
        }

        return info is not null && Guid.TryParse(info.TenantId, out var tenantId)
            ? new CustomerTenant(tenantId, info.DisplayName, info.DefaultDomainName, info.FederationBrandName)
            : null;
    }

    private async Task<T> CallAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (ODataError ex)
        {
            var level = ex.ResponseStatusCode == (int)HttpStatusCode.NotFound ? LogLevel.Debug : LogLevel.Warning;
            _logger.Log(level, "Graph refused {What}: {Status} {Code} {Message}", what, ex.ResponseStatusCode, ex.Error?.Code, ex.Error?.Message);
            throw new TenantDirectoryException(
                $"Microsoft Graph answered {ex.ResponseStatusCode} for {what}: {ex.Error?.Code} {ex.Error?.Message}".TrimEnd(), ex);
        }
        catch (ApiException ex)
        {
            throw new TenantDirectoryException($"Microsoft Graph answered {ex.ResponseStatusCode} for {what}: {ex.Message}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new TenantDirectoryException($"Microsoft Graph could not be reached for {what}: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TenantDirectoryException($"Microsoft Graph did not answer within {_options.Timeout} for {what}.", ex);
        }
    }

    [GeneratedRegex(@"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")]
    private static partial Regex DomainName();
}
