using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using PorBot.Lookups;

namespace PorBot.Integrations.Registry;

/// <summary>
/// An in-memory cache in front of a registry adapter (the remote one): answers, misses included, are
/// reused for <see cref="RegistryOptions.CacheTtl"/>; the cache holds at most
/// <see cref="RegistryOptions.CacheSizeLimit"/> records. A POR change recorded through it evicts
/// everything that shows that subscription (the record, its tenant's and its domain's lists), so
/// the person who made the change sees it at once. Changes made elsewhere show after the TTL.
/// </summary>
/// <remarks>
/// Owns its <see cref="MemoryCache"/> rather than sharing the app's, so its size limit neither
/// constrains nor is consumed by other caches.
/// </remarks>
public sealed class CachingPorRegistry : IPorRegistry, IDisposable
{
    private readonly IPorRegistry _inner;
    private readonly MemoryCache _cache;
    private readonly TimeSpan _ttl;

    public CachingPorRegistry(IPorRegistry inner, IOptions<RegistryOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _inner = inner;
        _ttl = options.Value.CacheTtl;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.CacheSizeLimit, TrackStatistics = true, Clock = new TimeProviderClock(time) });
    }

    /// <summary>Records now held, as counted against <see cref="RegistryOptions.CacheSizeLimit"/>; for diagnostics and tests.</summary>
    public long CachedRecords => _cache.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    public Task<SubscriptionRecord?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken cancellationToken) =>
        GetOrLoadAsync(new Key("subscription", subscriptionId.ToString("D")), ct => _inner.GetSubscriptionAsync(subscriptionId, ct),
            record => record is null ? [] : [record], cancellationToken);

    public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByTenantAsync(Guid customerTenantId, CancellationToken cancellationToken) =>
        GetOrLoadAsync(TenantKey(customerTenantId), ct => _inner.GetSubscriptionsByTenantAsync(customerTenantId, ct), list => list, cancellationToken);

    public Task<IReadOnlyList<SubscriptionRecord>> GetSubscriptionsByDomainAsync(string domain, CancellationToken cancellationToken) =>
        GetOrLoadAsync(DomainKey(domain), ct => _inner.GetSubscriptionsByDomainAsync(domain, ct), list => list, cancellationToken);

    public Task<IReadOnlyList<CustomerMatch>> SearchCustomersAsync(string query, int limit, CancellationToken cancellationToken) =>
        GetOrLoadAsync(SearchKey("customers", query, limit), ct => _inner.SearchCustomersAsync(query, limit, ct), cancellationToken);

    public Task<PartnerRecord?> GetPartnerAsync(string partnerId, CancellationToken cancellationToken) =>
        GetOrLoadAsync(new Key("partner", partnerId.Trim()), ct => _inner.GetPartnerAsync(partnerId, ct), cancellationToken);

    public Task<PartnerRecord?> GetPartnerByTenantAsync(Guid tenantId, CancellationToken cancellationToken) =>
        GetOrLoadAsync(new Key("partner-tenant", tenantId.ToString("D")), ct => _inner.GetPartnerByTenantAsync(tenantId, ct), cancellationToken);

    public Task<IReadOnlyList<PartnerRecord>> SearchPartnersAsync(string query, int limit, CancellationToken cancellationToken) =>
        GetOrLoadAsync(SearchKey("partners", query, limit), ct => _inner.SearchPartnersAsync(query, limit, ct), cancellationToken);

    public async Task RecordPorChangeAsync(PorChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        try
        {
            await _inner.RecordPorChangeAsync(change, cancellationToken);
        }
        finally
        {
            // Also when the call failed: a timeout may still have applied the change on the other side.
            Invalidate(change.SubscriptionId);
        }
    }

    public void Dispose() => _cache.Dispose();

    private void Invalidate(Guid subscriptionId)
    {
        var subscriptionKey = new Key("subscription", subscriptionId.ToString("D"));
        var whereKey = new Key("where", subscriptionId.ToString("D"));
        var where = _cache.Get<Location>(whereKey)
            ?? (_cache.Get(subscriptionKey) is Boxed<SubscriptionRecord?> { Value: { } cached } ? Location.Of(cached) : null);
        _cache.Remove(subscriptionKey);
        if (where is null) return;
        _cache.Remove(TenantKey(where.TenantId));
        if (where.Domain is { } domain) _cache.Remove(DomainKey(domain));
    }

    private Task<T> GetOrLoadAsync<T>(Key key, Func<CancellationToken, Task<T>> load, CancellationToken cancellationToken) =>
        GetOrLoadAsync(key, load, _ => [], cancellationToken);

    private async Task<T> GetOrLoadAsync<T>(Key key, Func<CancellationToken, Task<T>> load,
        Func<T, IReadOnlyCollection<SubscriptionRecord>> subscriptionsIn, CancellationToken cancellationToken)
    {
        if (_ttl <= TimeSpan.Zero) return await load(cancellationToken);
        if (_cache.TryGetValue(key, out var hit) && hit is Boxed<T> boxed) return boxed.Value;

        var value = await load(cancellationToken);
        var size = value is System.Collections.ICollection { Count: > 1 } many ? many.Count : 1;
        _cache.Set(key, new Boxed<T>(value), new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _ttl, Size = size });

        // Remember where each subscription shows up, so a change can find the lists that hold it even
        // when its own record is not cached. Size 0 and never compacted: it only outlives the lists by the TTL.
        foreach (var record in subscriptionsIn(value))
        {
            _cache.Set(new Key("where", record.SubscriptionId.ToString("D")), Location.Of(record),
                new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _ttl, Size = 0, Priority = CacheItemPriority.NeverRemove });
        }

        return value;
    }

    private static Key TenantKey(Guid tenantId) => new("tenant", tenantId.ToString("D"));

    private static Key DomainKey(string domain) => new("domain", domain.Trim().ToLowerInvariant());

    private static Key SearchKey(string kind, string query, int limit) =>
        new(kind, string.Join(' ', query.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant() + "\n" + limit);

    private sealed record Key(string Kind, string Value);

    // Wraps the value so a cached miss (null) is told apart from "not in the cache".
    private sealed record Boxed<T>(T Value);

    private sealed record Location(Guid TenantId, string? Domain)
    {
        public static Location Of(SubscriptionRecord record) => new(record.CustomerTenantId, record.CustomerDomain);
    }

    private sealed class TimeProviderClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
