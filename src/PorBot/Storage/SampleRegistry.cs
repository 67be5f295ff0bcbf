using System.Globalization;
using PorBot.Lookups;

namespace PorBot.Storage;

/// <summary>
/// A handful of fictional partners and customers (Microsoft's own example company names) so that a
/// first local run can answer lookups, whichever storage provider holds the registry.
/// </summary>
public static class SampleRegistry
{
    private static readonly (string Id, string Name, string Country, string[] Tenants)[] PartnerData =
    [
        ("4412345", "Contoso Cloud Partners", "AU", ["1f0c0d0e-7a5b-4c1d-9e2f-3a4b5c6d7e01"]),
        ("5523456", "Fabrikam Consulting", "NZ", ["2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c02"]),
        ("6634567", "Northwind Solutions", "US", ["3b2c3d4e-9f0a-4b1c-9d2e-3f4a5b6c7d03"]),
    ];

    private static readonly (string Id, string Customer, string Tenant, string Domain, string Program, string Product, string? Por, string? Since)[] SubscriptionData =
    [
        ("8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11", "Adventure Works", "c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21", "adventure-works.com", "EA", "Azure", "4412345", "2025-03-14"),
        ("9b0c1d2e-3f4a-4b6c-9d7e-8f9a0b1c2d12", "Adventure Works", "c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21", "adventure-works.com", "EA", "Office365", "5523456", "2024-11-02"),
        ("0c1d2e3f-4a5b-4c7d-8e8f-9a0b1c2d3e13", "Woodgrove Bank", "d1b2c3d4-e5f6-4a71-9b8c-0d1e2f3a4b22", "woodgrovebank.com", "MOSA", "Azure", "6634567", "2025-07-30"),
        ("1d2e3f4a-5b6c-4d8e-9f9a-0b1c2d3e4f14", "Tailspin Toys", "e2c3d4e5-f6a7-4b82-8c9d-1e2f3a4b5c23", "tailspintoys.com", "Open", "Office365", null, null),
        ("2e3f4a5b-6c7d-4e9f-8a0b-1c2d3e4f5a15", "Wide World Importers", "f3d4e5f6-a7b8-4c93-9d0e-2f3a4b5c6d24", "wideworldimporters.com", "MOSP", "Intune", "4412345", "2026-01-09"),
        ("3f4a5b6c-7d8e-4f0a-9b1c-2d3e4f5a6b16", "Litware Inc", "a4e5f6a7-b8c9-4da4-8e1f-3a4b5c6d7e25", "litware.com", "EAS", "AADP", "5523456", "2025-05-21"),
        ("4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c17", "Wingtip Toys", "b5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a26", "wingtiptoys.com", "CSP", "Azure", "6634567", "2025-12-01"),
    ];

    public static IReadOnlyList<PartnerRow> Partners(DateTimeOffset now) =>
        PartnerData.Select(p => new PartnerRow(p.Id, p.Name, p.Country, p.Tenants.Select(Guid.Parse).ToList(), now)).ToList();

    public static IReadOnlyList<SubscriptionRow> Subscriptions(DateTimeOffset now) =>
        SubscriptionData.Select(s => new SubscriptionRow(
            Guid.Parse(s.Id), s.Customer, Guid.Parse(s.Tenant), s.Domain,
            Enum.Parse<PurchaseProgram>(s.Program), Enum.Parse<Product>(s.Product), s.Por,
            s.Since is null ? null : DateOnly.Parse(s.Since, CultureInfo.InvariantCulture), now)).ToList();

    /// <summary>The subscriptions grouped by customer tenant (the name and domain of the last row win, as the SQLite triggers do).</summary>
    public static IReadOnlyList<CustomerRow> Customers(DateTimeOffset now) =>
        Subscriptions(now).GroupBy(s => s.CustomerTenantId)
            .Select(g => new CustomerRow(g.Key, g.Last().CustomerName, g.Last().CustomerDomain, g.ToList()))
            .ToList();
}
