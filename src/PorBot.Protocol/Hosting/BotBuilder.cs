using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Hosting;

/// <summary>Registers handlers where they are routed: one line per route, at start-up.</summary>
public sealed class BotBuilder
{
    internal BotBuilder(IServiceCollection services, BotRoutes routes)
    {
        Services = services;
        Routes = routes;
    }

    public IServiceCollection Services { get; }

    public BotRoutes Routes { get; }

    /// <summary>Handles every activity of a type (installationUpdate, conversationUpdate, messageReaction, …).</summary>
    public BotBuilder OnActivity<THandler>(string activityType) where THandler : class, ITurnHandler
    {
        if (string.Equals(activityType, ActivityTypes.Message, StringComparison.OrdinalIgnoreCase) ||
            string.Equals(activityType, ActivityTypes.Invoke, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("Route messages with OnCommand/OnMessage and invokes with OnInvoke.", nameof(activityType));
        }

        Routes.AddActivity(activityType, typeof(THandler));
        Services.TryAddScoped<THandler>();
        return this;
    }

    /// <summary>A message whose first words are the command ("help", "alerts status"); the rest is its argument.</summary>
    public BotBuilder OnCommand<THandler>(string command, bool takesArgument = false) where THandler : class, ITurnHandler
    {
        Routes.AddCommand(command, takesArgument, typeof(THandler));
        Services.TryAddScoped<THandler>();
        return this;
    }

    /// <summary>Every message that no command claimed.</summary>
    public BotBuilder OnMessage<THandler>() where THandler : class, ITurnHandler
    {
        Routes.SetMessageFallback(typeof(THandler));
        Services.TryAddScoped<THandler>();
        return this;
    }

    public BotBuilder OnInvoke<THandler>(string name) where THandler : class, IInvokeHandler
    {
        Routes.AddInvoke(name, typeof(THandler));
        Services.TryAddScoped<THandler>();
        return this;
    }

    /// <summary>
    /// One <c>Action.Execute</c> verb of <c>adaptiveCard/action</c> invokes. The pipeline answers a malformed
    /// request, or a verb nobody registered, with HTTP 400 and the SDK's error body.
    /// </summary>
    public BotBuilder OnCardAction<THandler>(string verb) where THandler : class, ICardActionHandler
    {
        Routes.AddCardAction(verb, typeof(THandler));
        Services.TryAddScoped<THandler>();
        return this;
    }

    /// <summary>Middleware runs in the order added, around every turn.</summary>
    public BotBuilder Use<TMiddleware>() where TMiddleware : class, ITurnMiddleware
    {
        Services.AddScoped<ITurnMiddleware, TMiddleware>();
        return this;
    }
}
