using System.Net;
using Microsoft.Extensions.Options;

namespace PorBot.Integrations.Registry;

/// <summary>
/// Section <c>Registry</c>: which POR registry the bot reads (<c>Storage</c>, the default: the registry kept
/// by the storage provider, SQLite or Azure Tables; <c>Sqlite</c> is its older name; or <c>Remote</c>, an
/// external registry service, see docs/registry-api.md) and how the remote one is called and cached.
/// </summary>
public sealed class RegistryOptions
{
    public const string SectionName = "Registry";
    public const string StorageProvider = "Storage";
    public const string SqliteProvider = "Sqlite";
    public const string RemoteProvider = "Remote";

    public string Provider { get; set; } = StorageProvider;

    /// <summary>The registry service's root, e.g. <c>https://registry.contoso.com/api/v1/</c>.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer &lt;ApiKey&gt;</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Per attempt. A lookup answers a person in chat or in Teams' 5 s message-extension window, so keep it short.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Retries after the first attempt, for timeouts, connection failures, 408, 429 and 5xx.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Base of the exponential back-off between retries (with jitter).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Attempts seen within the sampling window before the circuit may open (at least 2); it opens when half of them failed.</summary>
    public int CircuitMinimumThroughput { get; set; } = 10;

    /// <summary>How long calls fail fast, without reaching the service, once the circuit is open.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a remote answer is reused. Zero turns the cache off.</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most records the cache holds (a list of n records counts n, a miss counts 1).</summary>
    public int CacheSizeLimit { get; set; } = 10_000;

    public bool IsRemote => string.Equals(Provider, RemoteProvider, StringComparison.OrdinalIgnoreCase);

    /// <summary>The base URL with a trailing slash, so relative paths keep any path it has (<c>/api/v1/</c>).</summary>
    public Uri GetBaseUri()
    {
        var text = BaseUrl ?? throw new InvalidOperationException("Registry:BaseUrl is not set.");
        return new Uri(text.EndsWith('/') ? text : text + "/", UriKind.Absolute);
    }
}

/// <summary>Start-up validation, with messages that name the key to fix.</summary>
public sealed class RegistryOptionsValidator : IValidateOptions<RegistryOptions>
{
    public ValidateOptionsResult Validate(string? name, RegistryOptions o)
    {
        var problems = new List<string>();
        var isStorage = string.Equals(o.Provider, RegistryOptions.StorageProvider, StringComparison.OrdinalIgnoreCase) ||
            string.Equals(o.Provider, RegistryOptions.SqliteProvider, StringComparison.OrdinalIgnoreCase);
        if (!isStorage && !o.IsRemote)
            problems.Add($"Registry:Provider must be 'Storage' (the registry in Storage:Provider's store; 'Sqlite' is its older name) or 'Remote' (was '{o.Provider}').");

        if (o.IsRemote)
        {
            if (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                problems.Add($"Registry:BaseUrl must be an absolute https URL of the registry service (was '{o.BaseUrl}').");
            }
            else if (uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri))
            {
                // The API key travels in a header: plain http only where it never leaves the machine.
                problems.Add($"Registry:BaseUrl must use https (http is allowed only for localhost); was '{o.BaseUrl}'.");
            }

            if (string.IsNullOrWhiteSpace(o.ApiKey))
                problems.Add("Registry:ApiKey is required with Registry:Provider=Remote (sent as 'Authorization: Bearer <ApiKey>').");
            if (o.Timeout < TimeSpan.FromMilliseconds(10) || o.Timeout > TimeSpan.FromMinutes(1))
                problems.Add($"Registry:Timeout must be between 00:00:00.010 and 00:01:00 (was {o.Timeout}).");
            if (o.MaxRetries is < 0 or > 10)
                problems.Add($"Registry:MaxRetries must be between 0 and 10 (was {o.MaxRetries}).");
            if (o.RetryDelay < TimeSpan.Zero || o.RetryDelay > TimeSpan.FromSeconds(30))
                problems.Add($"Registry:RetryDelay must be between 00:00:00 and 00:00:30 (was {o.RetryDelay}).");
            if (o.CircuitMinimumThroughput < 2)
                problems.Add($"Registry:CircuitMinimumThroughput must be at least 2 (was {o.CircuitMinimumThroughput}).");
            if (o.CircuitBreakDuration < TimeSpan.FromMilliseconds(500) || o.CircuitBreakDuration > TimeSpan.FromDays(1))
                problems.Add($"Registry:CircuitBreakDuration must be between 00:00:00.5 and 1.00:00:00 (was {o.CircuitBreakDuration}).");
            if (o.CacheTtl < TimeSpan.Zero)
                problems.Add($"Registry:CacheTtl must not be negative (was {o.CacheTtl}); 00:00:00 turns the cache off.");
            if (o.CacheSizeLimit < 1)
                problems.Add($"Registry:CacheSizeLimit must be at least 1 (was {o.CacheSizeLimit}).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address));
}
