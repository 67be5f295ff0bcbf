using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PorBot.Integrations.Registry;
using PorBot.Lookups;

namespace PorBot.Tests.Integrations;

/// <summary>The app's registry registration (AddRegistry) pointed at a fake registry, with fast timings.</summary>
internal static class RegistryTestServices
{
    public const string ShortTimeout = "00:00:00.500";

    public static ServiceProvider Build(FakeRegistryServer server, IDictionary<string, string?>? overrides = null, TimeProvider? time = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Registry:Provider"] = "Remote",
            ["Registry:BaseUrl"] = server.BaseUrl,
            ["Registry:ApiKey"] = FakeRegistryServer.ApiKey,
            // Generous, so a loaded machine does not turn a normal answer into a timeout; the timeout
            // tests set their own short one (ShortTimeout).
            ["Registry:Timeout"] = "00:00:05",
            ["Registry:MaxRetries"] = "2",
            ["Registry:RetryDelay"] = "00:00:00.010",
            // High enough that only the circuit-breaker tests trip it.
            ["Registry:CircuitMinimumThroughput"] = "1000",
            ["Registry:CircuitBreakDuration"] = "00:00:00.500",
            ["Registry:CacheTtl"] = "00:05:00",
            ["Registry:CacheSizeLimit"] = "1000",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
        return BuildFrom(settings, time);
    }

    public static ServiceProvider BuildFrom(IDictionary<string, string?> settings, TimeProvider? time = null, bool validateOnBuild = true)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        if (time is not null) services.AddSingleton(time);
        services.AddRegistry(configuration);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = validateOnBuild, ValidateScopes = true });
        // What the host does before it starts: ValidateOnStart options fail here.
        provider.GetRequiredService<IStartupValidator>().Validate();
        return provider;
    }

    /// <summary>
    /// What start-up validation said, without duplicates: the resilience options read the registry
    /// options too, so the same failure may arrive more than once inside an AggregateException.
    /// </summary>
    public static IReadOnlyList<string> StartUpFailures(IDictionary<string, string?> settings)
    {
        try
        {
            RegistryTestServices.BuildFrom(settings, validateOnBuild: false).Dispose();
        }
        catch (Exception ex)
        {
            var all = ex is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [ex];
            return [.. all.OfType<OptionsValidationException>().SelectMany(e => e.Failures).Distinct()];
        }

        throw new Xunit.Sdk.XunitException("Start-up validation passed.");
    }

    public static IPorRegistry Registry(this ServiceProvider provider) => provider.GetRequiredService<IPorRegistry>();

    public static FakeSubscription Subscription(string customer, Guid tenant, string? domain, string product = "Office365", string? por = null) =>
        new(Guid.NewGuid(), customer, tenant, domain, "CSP", product, por, por is null ? null : new DateOnly(2024, 3, 1),
            DateTimeOffset.Parse("2025-11-02T08:15:00Z", CultureInfo.InvariantCulture));
}

/// <summary>A clock the test moves by hand (only the wall clock: timers and delays stay real).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
