using Microsoft.Extensions.Options;
using PorBot.Storage;

namespace PorBot.Lookups;

/// <summary>Who sent the message or invoke: the tenant and Entra object id from the activity.</summary>
public sealed record LookupAsker(string? TenantId, string? UserAadObjectId);

/// <summary>The answer to one lookup, already filtered by the access rules; cards are made from these.</summary>
public abstract record LookupOutcome;

/// <summary>The asker's tenant is not a known partner: no registry data at all, not even whether something exists.</summary>
public sealed record GuidanceOnly(string? TenantId) : LookupOutcome;

/// <summary>The registry did not answer within <see cref="LookupOptions.LookupTimeout"/>.</summary>
public sealed record RegistryTimedOut : LookupOutcome;

/// <summary>One customer and the subscriptions that matched (all of them for a tenant, domain or name; one for a subscription id).</summary>
public sealed record CustomerFound(
    LookupCaller Caller,
    LookupQuery Query,
    string CustomerName,
    Guid CustomerTenantId,
    string? CustomerDomain,
    IReadOnlyList<SubscriptionView> Subscriptions) : LookupOutcome;

/// <summary>Several customers match, best first; <see cref="HasMore"/> when the page was cut.</summary>
public sealed record CustomerChoices(LookupCaller Caller, LookupQuery Query, IReadOnlyList<CustomerMatch> Matches, bool HasMore) : LookupOutcome;

/// <summary>Nothing matches; <see cref="Closest"/> are near names (only ever given to callers who may see names).</summary>
public sealed record CustomerNotFound(LookupCaller Caller, LookupQuery Query, IReadOnlyList<CustomerMatch> Closest) : LookupOutcome;

/// <summary>
/// A partner id check. <see cref="RegistryChecked"/> is false when only the format was checked (bad format,
/// or a caller who may not query the registry): then <see cref="Partner"/> being null means "unknown", not "does not exist".
/// </summary>
public sealed record PartnerIdChecked(LookupCaller Caller, PartnerIdFormatCheck Format, bool RegistryChecked, PartnerRecord? Partner) : LookupOutcome;

public sealed record PartnerChoices(LookupCaller Caller, string Query, IReadOnlyList<PartnerRecord> Partners, bool HasMore) : LookupOutcome;

public sealed record PartnerNotFound(LookupCaller Caller, string Query, IReadOnlyList<PartnerRecord> Closest) : LookupOutcome;

/// <summary>
/// Runs lookups against the registry under the access rules, each within one time budget
/// (<see cref="LookupOptions.LookupTimeout"/>) that covers identifying the caller as well.
/// </summary>
public sealed class LookupService(
    IPorRegistry registry,
    LookupAccessPolicy policy,
    IReadSnapshots snapshots,
    IOptions<LookupOptions> options,
    TimeProvider time,
    ILogger<LookupService> logger)
{
    public const int MaxPageSize = 50;
    private const int ClosestCount = 3;

    /// <param name="expandSingleMatch">Show the customer itself when a name search finds exactly one (or one exactly named).</param>
    public Task<LookupOutcome> LookupCustomerAsync(LookupAsker asker, LookupQuery query, int skip, int take, bool expandSingleMatch, CancellationToken cancellationToken) =>
        WithinBudgetAsync(asker, async (caller, ct) =>
        {
            if (!caller.MaySeeRegistry) return new GuidanceOnly(caller.TenantId);
            return query.Kind switch
            {
                LookupQueryKind.Id => await ByIdAsync(caller, query, ct),
                LookupQueryKind.Domain => await ByDomainAsync(caller, query, ct),
                LookupQueryKind.CustomerName => await ByNameAsync(caller, query, skip, take, expandSingleMatch, ct),
                _ => throw new ArgumentException($"A customer lookup needs an id, domain or name, not {query.Kind}.", nameof(query)),
            };
        }, cancellationToken);

    /// <summary>Format first; the registry only for callers allowed to query it (unmapped tenants get the format check only).</summary>
    public Task<LookupOutcome> CheckPartnerIdAsync(LookupAsker asker, string input, CancellationToken cancellationToken) =>
        WithinBudgetAsync(asker, async (caller, ct) =>
        {
            var format = PartnerIdValidator.CheckFormat(input);
            if (!format.IsWellFormed || !caller.MaySeeRegistry) return new PartnerIdChecked(caller, format, false, null);
            var partner = await registry.GetPartnerAsync(format.PartnerId!, ct);
            return new PartnerIdChecked(caller, format, true, partner);
        }, cancellationToken);

    public Task<LookupOutcome> SearchPartnersAsync(LookupAsker asker, string name, int skip, int take, CancellationToken cancellationToken) =>
        WithinBudgetAsync(asker, async (caller, ct) =>
        {
            if (!caller.MaySeeRegistry) return new GuidanceOnly(caller.TenantId);
            var (fetch, page) = Page(skip, take);
            var partners = await registry.SearchPartnersAsync(name, fetch, ct);
            if (partners.Count == 0) return new PartnerNotFound(caller, name, await ClosestAsync(name, registry.SearchPartnersAsync, p => p.PartnerId, ct));
            return new PartnerChoices(caller, name, partners.Skip(skip).Take(page).ToList(), partners.Count > skip + page);
        }, cancellationToken);

    private async Task<LookupOutcome> ByIdAsync(LookupCaller caller, LookupQuery query, CancellationToken ct)
    {
        // One GUID could be either; subscription ids and tenant ids do not collide in practice.
        if (await registry.GetSubscriptionAsync(query.Id, ct) is { } subscription)
        {
            return await FoundAsync(caller, query, [subscription], ct);
        }

        var subscriptions = await registry.GetSubscriptionsByTenantAsync(query.Id, ct);
        return subscriptions.Count == 0 ? new CustomerNotFound(caller, query, []) : await FoundAsync(caller, query, subscriptions, ct);
    }

    private async Task<LookupOutcome> ByDomainAsync(LookupCaller caller, LookupQuery query, CancellationToken ct)
    {
        var subscriptions = await registry.GetSubscriptionsByDomainAsync(query.Text, ct);
        if (subscriptions.Count == 0) return new CustomerNotFound(caller, query, []);
        // Almost always one customer per domain: grouped only when there are several.
        if (subscriptions.All(s => s.CustomerTenantId == subscriptions[0].CustomerTenantId)) return await FoundAsync(caller, query, subscriptions, ct);
        return new CustomerChoices(caller, query, [.. subscriptions.GroupBy(s => s.CustomerTenantId)
            .Select(t => new CustomerMatch(t.First().CustomerName, t.Key, t.First().CustomerDomain, t.Count(), 1))], false);
    }

    private async Task<LookupOutcome> ByNameAsync(LookupCaller caller, LookupQuery query, int skip, int take, bool expandSingleMatch, CancellationToken ct)
    {
        var (fetch, page) = Page(skip, take);
        var matches = await registry.SearchCustomersAsync(query.Text, fetch, ct);
        if (matches.Count == 0)
        {
            return new CustomerNotFound(caller, query, await ClosestAsync(query.Text, registry.SearchCustomersAsync, m => m.CustomerTenantId.ToString(), ct));
        }

        if (expandSingleMatch && skip == 0)
        {
            var exact = matches.Where(m => string.Equals(m.CustomerName, query.Text, StringComparison.OrdinalIgnoreCase)).ToList();
            var single = matches.Count == 1 ? matches[0] : exact.Count == 1 ? exact[0] : null;
            if (single is not null)
            {
                var subscriptions = await registry.GetSubscriptionsByTenantAsync(single.CustomerTenantId, ct);
                if (subscriptions.Count > 0) return await FoundAsync(caller, query, subscriptions, ct);
            }
        }

        return new CustomerChoices(caller, query, matches.Skip(skip).Take(page).ToList(), matches.Count > skip + page);
    }

    private async Task<LookupOutcome> FoundAsync(LookupCaller caller, LookupQuery query, IReadOnlyList<SubscriptionRecord> subscriptions, CancellationToken ct)
    {
        var first = subscriptions[0];
        var views = await policy.ViewAsync(caller, subscriptions, ct);
        return new CustomerFound(caller, query, first.CustomerName, first.CustomerTenantId, first.CustomerDomain, views);
    }

    /// <summary>
    /// Near misses for "no match": searches for the query's longer words and for the start of its first
    /// word, so "Adventure Wrks" still offers "Adventure Works" whichever name search the adapter has.
    /// </summary>
    private static async Task<IReadOnlyList<T>> ClosestAsync<T>(string query, Func<string, int, CancellationToken, Task<IReadOnlyList<T>>> search,
        Func<T, string> key, CancellationToken ct)
    {
        var words = query.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length >= 3).ToList();
        var probes = words.OrderByDescending(w => w.Length).Take(3).ToList();
        if (words.Count > 0 && words[0].Length > 4) probes.Add(words[0][..4]);

        var found = new List<T>();
        foreach (var probe in probes.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            foreach (var item in await search(probe, ClosestCount, ct))
            {
                if (found.Count < ClosestCount && !found.Any(f => key(f) == key(item))) found.Add(item);
            }

            if (found.Count >= ClosestCount) break;
        }

        return found;
    }

    private static (int Fetch, int Page) Page(int skip, int take)
    {
        var page = Math.Clamp(take, 1, MaxPageSize);
        // One more than the page, to know whether there is a next page.
        return (Math.Max(0, skip) + page + 1, page);
    }

    private async Task<LookupOutcome> WithinBudgetAsync(LookupAsker asker, Func<LookupCaller, CancellationToken, Task<LookupOutcome>> lookup, CancellationToken cancellationToken)
    {
        var budget = options.Value.LookupTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            // One timer per lookup: WaitAsync ends the wait at the budget even for an adapter that ignores
            // cancellation, and the adapter's token is cancelled then, so one that listens stops working.
            return await RunAsync().WaitAsync(budget, time, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await timeout.CancelAsync();
            logger.LogWarning("POR registry lookup exceeded its {Budget} budget", budget);
            return new RegistryTimedOut();
        }

        async Task<LookupOutcome> RunAsync()
        {
            // Who the caller is, what the registry says and what the caller claims, as of one moment.
            using var snapshot = snapshots.BeginRead();
            var caller = await policy.IdentifyAsync(asker.TenantId, asker.UserAadObjectId, timeout.Token);
            return await lookup(caller, timeout.Token);
        }
    }
}
