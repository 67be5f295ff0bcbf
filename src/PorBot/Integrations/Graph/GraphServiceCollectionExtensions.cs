using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PorBot.Conflicts;

namespace PorBot.Integrations.Graph;

public static class GraphServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates section <c>Graph</c> (at start-up); when <c>Graph:Enabled</c> is true,
    /// registers <see cref="ITenantDirectory"/> and the Graph <see cref="IAlertDeliveryProbe"/> (replacing the
    /// one that cannot tell). Credentials come from BotAuthenticationOptions,
    /// which <c>AddBot</c> binds. Register an <c>IMsalHttpClientFactory</c> to fake the token endpoint (tests).
    /// </summary>
    public static IServiceCollection AddGraphEnrichment(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(GraphOptions.SectionName);
        services.AddOptions<GraphOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GraphOptions>, GraphOptionsValidator>());
        if (!section.GetValue<bool>(nameof(GraphOptions.Enabled))) return services;

        services.TryAddSingleton<GraphAccessTokenProvider>();
        services.TryAddSingleton<ITenantDirectory, GraphTenantDirectory>();
        services.Replace(ServiceDescriptor.Singleton<IAlertDeliveryProbe, GraphAlertDeliveryProbe>());
        return services;
    }
}
