using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PorBot.Testing;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a free port, for the fakes that stand in for Microsoft's cloud:
/// the code under test talks real HTTP to it.
/// </summary>
public static class LoopbackServer
{
    /// <param name="create">Builds the fake around the app and maps its endpoints, before the server starts.</param>
    /// <returns>The fake and the server's root URL, without a trailing slash.</returns>
    public static async Task<(T Server, string RootUrl)> StartAsync<T>(Func<WebApplication, T> create, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(create);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LoopbackServer).Assembly.GetName().Name,
            EnvironmentName = "Development",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = create(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return (server, address.TrimEnd('/'));
    }
}
