using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PorBot.Integrations.Registry;
using PorBot.Lookups;

namespace PorBot.Tests.Integrations;

public sealed class RegistryOptionsTests
{
    [Fact]
    public void AddRegistry_NoRegistrySection_RegistersTheEmbeddedSqliteRegistry()
    {
        var services = new ServiceCollection();

        services.AddRegistry(new ConfigurationBuilder().Build());

        Assert.Equal(typeof(SqlitePorRegistry), services.Single(d => d.ServiceType == typeof(IPorRegistry)).ImplementationType);
    }

    [Fact]
    public void Remote_WithoutBaseUrlOrApiKey_FailsAtStartUpNamingTheKeys()
    {
        var failures = RegistryTestServices.StartUpFailures(new Dictionary<string, string?>
        {
            ["Registry:Provider"] = "remote",
        });

        Assert.Contains(failures, f => f.StartsWith("Registry:BaseUrl must be an absolute https URL", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Registry:ApiKey is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Remote_PlainHttpToAnotherMachine_FailsAtStartUp()
    {
        var failures = RegistryTestServices.StartUpFailures(new Dictionary<string, string?>
        {
            ["Registry:Provider"] = "Remote",
            ["Registry:BaseUrl"] = "http://registry.contoso.com/api",
            ["Registry:ApiKey"] = "k",
        });

        Assert.Equal("Registry:BaseUrl must use https (http is allowed only for localhost); was 'http://registry.contoso.com/api'.", Assert.Single(failures));
    }

    [Fact]
    public void Remote_OutOfRangeSettings_FailAtStartUpEachWithItsKey()
    {
        var failures = RegistryTestServices.StartUpFailures(new Dictionary<string, string?>
        {
            ["Registry:Provider"] = "Remote",
            ["Registry:BaseUrl"] = "https://registry.contoso.com/api",
            ["Registry:ApiKey"] = "k",
            ["Registry:Timeout"] = "00:00:00",
            ["Registry:MaxRetries"] = "-1",
            ["Registry:CacheSizeLimit"] = "0",
            ["Registry:CacheTtl"] = "-00:01:00",
            ["Registry:CircuitMinimumThroughput"] = "1",
        });

        foreach (var key in new[] { "Timeout", "MaxRetries", "CacheSizeLimit", "CacheTtl", "CircuitMinimumThroughput" })
            Assert.Contains(failures, f => f.StartsWith($"Registry:{key} must", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownProvider_FailsAtStartUp()
    {
        var failures = RegistryTestServices.StartUpFailures(new Dictionary<string, string?>
        {
            ["Registry:Provider"] = "Postgres",
        });

        Assert.Equal("Registry:Provider must be 'Storage' (the registry in Storage:Provider's store; 'Sqlite' is its older name) or 'Remote' (was 'Postgres').", Assert.Single(failures));
    }

    [Fact]
    public async Task Remote_ValidSettings_StartsAndUsesTheRemoteRegistry()
    {
        await using var provider = RegistryTestServices.BuildFrom(new Dictionary<string, string?>
        {
            ["Registry:Provider"] = "Remote",
            ["Registry:BaseUrl"] = "https://registry.contoso.com/api/v1",
            ["Registry:ApiKey"] = "k",
        });

        Assert.IsType<CachingPorRegistry>(provider.GetRequiredService<IPorRegistry>());
        Assert.Equal(new Uri("https://registry.contoso.com/api/v1/"), provider.GetRequiredService<IOptions<RegistryOptions>>().Value.GetBaseUri());
    }
}
