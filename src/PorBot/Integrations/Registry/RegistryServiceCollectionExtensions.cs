using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using PorBot.Lookups;

namespace PorBot.Integrations.Registry;

public static class RegistryServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IPorRegistry"/> as chosen by <c>Registry:Provider</c>: the registry kept by
    /// the storage provider (default: whatever <c>AddPorBotStorage</c> registered, else the embedded
    /// <see cref="SqlitePorRegistry"/>) or <see cref="RemoteRegistryClient"/> behind <see cref="CachingPorRegistry"/>.
    /// Options are validated at start-up.
    /// </summary>
    public static IServiceCollection AddRegistry(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(RegistryOptions.SectionName);
        services.AddOptions<RegistryOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RegistryOptions>, RegistryOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // The provider cannot change while running, so it is read once here; a bad value still gets
        // the storage's registration and then fails start-up validation with a clear message.
        if (!string.Equals(section[nameof(RegistryOptions.Provider)], RegistryOptions.RemoteProvider, StringComparison.OrdinalIgnoreCase))
        {
            services.TryAddSingleton<IPorRegistry, SqlitePorRegistry>();
            return services;
        }

        services.AddHttpClient(RemoteRegistryClient.HttpClientName, (sp, client) =>
            {
                var o = sp.GetRequiredService<IOptions<RegistryOptions>>().Value;
                client.BaseAddress = o.GetBaseUri();
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", o.ApiKey);
                client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("PorBot", "1.0"));
                // The resilience pipeline owns the timeouts (per attempt and overall).
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddStandardResilienceHandler()
            .Configure((resilience, sp) => ConfigureResilience(resilience, sp.GetRequiredService<IOptions<RegistryOptions>>().Value));

        services.AddSingleton<RemoteRegistryClient>();
        services.RemoveAll<IPorRegistry>();
        services.AddSingleton<IPorRegistry>(sp =>
        {
            var remote = sp.GetRequiredService<RemoteRegistryClient>();
            return sp.GetRequiredService<IOptions<RegistryOptions>>().Value.CacheTtl > TimeSpan.Zero
                ? new CachingPorRegistry(remote, sp.GetRequiredService<IOptions<RegistryOptions>>(), sp.GetRequiredService<TimeProvider>())
                : remote;
        });
        return services;
    }

    private static void ConfigureResilience(HttpStandardResilienceOptions resilience, RegistryOptions o)
    {
        resilience.AttemptTimeout.Timeout = o.Timeout;

        // The standard options insist on at least one retry: "no retries" becomes one that never matches.
        resilience.Retry.MaxRetryAttempts = Math.Max(1, o.MaxRetries);
        if (o.MaxRetries == 0) resilience.Retry.ShouldHandle = _ => Polly.PredicateResult.False();
        resilience.Retry.Delay = o.RetryDelay;
        resilience.Retry.BackoffType = Polly.DelayBackoffType.Exponential;
        resilience.Retry.UseJitter = true;

        resilience.CircuitBreaker.MinimumThroughput = o.CircuitMinimumThroughput;
        resilience.CircuitBreaker.FailureRatio = 0.5;
        resilience.CircuitBreaker.BreakDuration = o.CircuitBreakDuration;
        // The standard options require the sampling window to be at least twice the attempt timeout.
        resilience.CircuitBreaker.SamplingDuration = Max(TimeSpan.FromSeconds(30), 2 * o.Timeout);

        // Every attempt may time out and every back-off may take up to twice its nominal delay (jitter).
        var backOff = TimeSpan.Zero;
        for (var attempt = 0; attempt < o.MaxRetries; attempt++) backOff += o.RetryDelay * Math.Pow(2, attempt) * 2;
        resilience.TotalRequestTimeout.Timeout = o.Timeout * (o.MaxRetries + 1) + backOff + TimeSpan.FromSeconds(1);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
