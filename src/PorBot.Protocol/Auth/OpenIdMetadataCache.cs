using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace PorBot.Protocol.Auth;

/// <summary>
/// The OpenID configuration (with its JWKS) of one metadata URL, fetched on first use, refreshed
/// every <see cref="RefreshAfter"/>, and refreshed on demand when a token names an unknown key.
/// </summary>
/// <remarks>
/// Not <c>ConfigurationManager</c>: in IdentityModel 8.x its <c>RequestRefresh()</c> only starts a
/// background fetch, so "refresh on unknown kid and retry" would retry against the stale keys; the
/// only blocking mode is a process-wide AppContext switch. This cache awaits the forced fetch instead.
/// </remarks>
[SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim whose AvailableWaitHandle is never read holds nothing to dispose.")]
internal sealed class OpenIdMetadataCache(string address, IDocumentRetriever retriever, ILogger logger, TimeProvider time)
{
    /// <summary>The docs ask for at least every 24 h, because keys are added at any time.</summary>
    internal static readonly TimeSpan RefreshAfter = TimeSpan.FromHours(12);

    /// <summary>Forged kids must not turn into a stream of requests to the metadata endpoint.</summary>
    internal static readonly TimeSpan MinForcedRefreshInterval = TimeSpan.FromMinutes(5);

    /// <summary>When a scheduled refresh fails, the stale keys are kept and the fetch retried after this.</summary>
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _lock = new(1, 1);
    private OpenIdConnectConfiguration? _current;
    private DateTimeOffset _refreshDue = DateTimeOffset.MinValue;
    private DateTimeOffset? _lastForcedRefresh;

    public string Address => address;

    /// <summary>The cached configuration; throws when it was never fetched and cannot be fetched now.</summary>
    public async Task<OpenIdConnectConfiguration> GetAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current);
        if (current is not null && time.GetUtcNow() < _refreshDue) return current;

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            if (_current is not null && now < _refreshDue) return _current;
            try
            {
                return await FetchAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (_current is not null && !cancellationToken.IsCancellationRequested)
            {
                // Stale keys beat no keys: the channel keeps signing with known keys for days.
                logger.LogWarning(ex, "Refreshing OpenID metadata from {MetadataUrl} failed; keeping the cached keys", address);
                _refreshDue = now + RetryAfterFailure;
                return _current;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Fetches again because a token named a key that <paramref name="seen"/> lacks. Returns the
    /// newer configuration, or null when a forced refresh already ran within
    /// <see cref="MinForcedRefreshInterval"/>. Throws when the fetch fails.
    /// </summary>
    public async Task<OpenIdConnectConfiguration?> RefreshAsync(OpenIdConnectConfiguration seen, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another request refreshed while this one waited: use its result instead of fetching again.
            if (_current is not null && !ReferenceEquals(_current, seen)) return _current;

            var now = time.GetUtcNow();
            if (_lastForcedRefresh is { } last && now - last < MinForcedRefreshInterval) return null;
            _lastForcedRefresh = now;
            return await FetchAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<OpenIdConnectConfiguration> FetchAsync(CancellationToken cancellationToken)
    {
        var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(address, retriever, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _current, configuration);
        _refreshDue = time.GetUtcNow() + RefreshAfter;
        logger.LogDebug("Fetched OpenID metadata from {MetadataUrl}: {KeyCount} signing keys", address, configuration.SigningKeys.Count);
        return configuration;
    }
}

/// <summary>
/// Fetches metadata documents with a client from <see cref="IHttpClientFactory"/> (so handler
/// lifetime and DNS changes are respected). Plain http is allowed only for loopback hosts, which is
/// how tests point at a local fake authority; every other address must be https.
/// </summary>
internal sealed class HttpClientFactoryDocumentRetriever(IHttpClientFactory httpClientFactory, string clientName) : IDocumentRetriever
{
    /// <summary>A hung metadata endpoint must not hold inbound requests for the HttpClient default of 100 s.</summary>
    internal static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);

    public async Task<string> GetDocumentAsync(string address, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(FetchTimeout);
        var retriever = new HttpDocumentRetriever(httpClientFactory.CreateClient(clientName))
        {
            RequireHttps = !IsHttpLoopback(address),
        };
        return await retriever.GetDocumentAsync(address, timeout.Token).ConfigureAwait(false);
    }

    internal static bool IsHttpLoopback(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback;
}
