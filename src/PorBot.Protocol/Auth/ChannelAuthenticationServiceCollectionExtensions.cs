using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PorBot.Protocol.Auth;

public static class ChannelAuthenticationServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ChannelTokenValidator"/> as the singleton <see cref="IChannelTokenValidator"/>
    /// and its named metadata <see cref="HttpClient"/>. <see cref="BotAuthenticationOptions"/> must be
    /// configured separately.
    /// </summary>
    public static IServiceCollection AddChannelTokenValidator(this IServiceCollection services)
    {
        services.AddHttpClient(ChannelTokenValidator.MetadataHttpClientName);
        services.TryAddSingleton<IChannelTokenValidator, ChannelTokenValidator>();
        return services;
    }
}
