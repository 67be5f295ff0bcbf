using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PorBot.Protocol.Auth;
using PorBot.Protocol.Connector;

namespace PorBot.Protocol.Hosting;

public static class BotServiceCollectionExtensions
{
    /// <summary>
    /// The protocol layer: Bot Framework configuration (root keys MicrosoftAppId etc., validated at
    /// start-up), inbound channel auth, the connector client, and the turn pipeline. Handlers are
    /// added on the returned builder.
    /// </summary>
    public static BotBuilder AddBot(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BotAuthenticationOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BotAuthenticationOptions>, BotAuthenticationOptionsValidator>();
        services.AddOptions<BotHostingOptions>().Bind(configuration.GetSection(BotHostingOptions.SectionName))
            .ValidateDataAnnotations().ValidateOnStart();

        services.AddHttpClient();
        services.AddChannelTokenValidator();
        services.AddBotConnector();
        services.AddSingleton<TurnPipeline>();
        services.AddSingleton<BotEndpoint.BotEndpointHandler>();

        var routes = new BotRoutes();
        services.AddSingleton(routes);
        return new BotBuilder(services, routes);
    }
}
