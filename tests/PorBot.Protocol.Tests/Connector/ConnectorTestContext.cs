using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PorBot.Protocol.Auth;
using PorBot.Protocol.Connector;
using PorBot.Testing;

namespace PorBot.Protocol.Tests.Connector;

/// <summary>
/// A real ConnectorClient and MsalBotTokenProvider wired to the fake connector and the fake token
/// endpoint, with the retry waits recorded instead of slept.
/// </summary>
public sealed class ConnectorTestContext : IAsyncLifetime
{
    public FakeConnectorServer Server { get; private set; } = null!;

    public FakeTokenEndpoint Tokens { get; } = new();

    public ServiceUrlTrust Trust { get; } = new();

    /// <summary>The waits the client asked for between attempts.</summary>
    public List<TimeSpan> Delays { get; } = [];

    // Unique per test: MSAL's shared cache spans the process, keyed by client id and authority.
    public string AppId { get; } = Guid.NewGuid().ToString();

    public string ServiceUrl => Server.ServiceUrl;

    public async Task InitializeAsync() => Server = await FakeConnectorServer.StartAsync();

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Tokens.Dispose();
    }

    /// <summary>A client in local mode (no app id) or with a MultiTenant app whose secret the fake endpoint accepts.</summary>
    public ConnectorClient CreateClient(bool authEnabled = false, TimeSpan? httpTimeout = null)
    {
        var options = new BotAuthenticationOptions();
        if (authEnabled)
        {
            options.MicrosoftAppId = AppId;
            options.MicrosoftAppPassword = "test-secret-value";
        }
        var provider = new MsalBotTokenProvider(Options.Create(options), NullLogger<MsalBotTokenProvider>.Instance, Tokens);
        var http = new HttpClient { Timeout = httpTimeout ?? TimeSpan.FromSeconds(10) };
        return new ConnectorClient(http, provider, Trust, NullLogger<ConnectorClient>.Instance)
        {
            RetryPolicy = new ConnectorRetryPolicy
            {
                Delay = (wait, _) =>
                {
                    lock (Delays) Delays.Add(wait);
                    return Task.CompletedTask;
                },
            },
        };
    }
}
