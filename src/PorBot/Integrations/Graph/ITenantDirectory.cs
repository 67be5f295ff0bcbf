using PorBot.Lookups;

namespace PorBot.Integrations.Graph;

/// <summary>
/// Facts about customer tenants from Microsoft Graph. Registered only when <c>Graph:Enabled</c> is
/// true; take it as an optional dependency. Failures throw <see cref="TenantDirectoryException"/>.
/// </summary>
public interface ITenantDirectory
{
    /// <summary>The tenant's organisation name and default domain; null when Graph knows no such tenant.</summary>
    Task<CustomerTenant?> ResolveTenantByIdAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>The tenant that owns a domain; null when no tenant does (or the text is not a domain name).</summary>
    Task<CustomerTenant?> ResolveTenantByDomainAsync(string domain, CancellationToken cancellationToken);

    /// <summary>Every customer the partner has a GDAP relationship with (all pages).</summary>
    Task<IReadOnlyList<GdapCustomer>> ListGdapCustomersAsync(CancellationToken cancellationToken);

    /// <summary>The GDAP customers that have subscriptions in <paramref name="registry"/>, with those subscriptions.</summary>
    Task<IReadOnlyList<GdapCustomerLink>> FindGdapCustomersInRegistryAsync(IPorRegistry registry, CancellationToken cancellationToken);
}

public sealed record CustomerTenant(Guid TenantId, string? DisplayName, string? DefaultDomainName, string? FederationBrandName);

public sealed record GdapCustomer(Guid TenantId, string DisplayName);

public sealed record GdapCustomerLink(GdapCustomer Customer, IReadOnlyList<SubscriptionRecord> Subscriptions);

/// <summary>Graph could not answer: no token, unreachable, throttled, refused, or too slow.</summary>
public sealed class TenantDirectoryException : Exception
{
    public TenantDirectoryException() { }

    public TenantDirectoryException(string message) : base(message) { }

    public TenantDirectoryException(string message, Exception? inner) : base(message, inner) { }
}
