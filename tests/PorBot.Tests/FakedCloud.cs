using PorBot.Testing;
using PorBot.Tests.Integrations;

namespace PorBot.Tests;

/// <summary>
/// Microsoft's cloud as a deployed bot process meets it, faked on loopback: the Bot Connector, Microsoft Graph (which
/// reads the conversations the fake connector holds), the bot's token endpoint and the channel's OpenID authority.
/// </summary>
public sealed class FakedCloud : IAsyncDisposable
{
    private readonly string _directory;

    private FakedCloud(string directory, FakeConnectorServer connector, FakeGraphServer graph, FakeTokenServer tokens, FakeChannelAuthority channel)
    {
        _directory = directory;
        Connector = connector;
        Graph = graph;
        Tokens = tokens;
        Channel = channel;
    }

    public FakeConnectorServer Connector { get; }

    public FakeGraphServer Graph { get; }

    public FakeTokenServer Tokens { get; }

    public FakeChannelAuthority Channel { get; }

    /// <param name="directory">
    /// The test's scratch folder, created here and deleted on dispose: the token server writes the certificate the bot is
    /// told to trust into it, and the test keeps its bot processes' files there.
    /// </param>
    public static async Task<FakedCloud> StartAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var connector = await FakeConnectorServer.StartAsync();
        var graph = await FakeGraphServer.StartAsync();
        graph.Connector = connector;
        graph.BotAppId = BotTestHost.AppId;
        return new FakedCloud(directory, connector, graph, await FakeTokenServer.StartAsync(directory), await FakeChannelAuthority.StartAsync());
    }

    /// <summary>
    /// A deployed bot's settings against these fakes: authentication on (the channel's tokens minted by
    /// <see cref="Channel"/>, the bot's own from <see cref="Tokens"/>), <see cref="Graph"/> for the delivery check, the
    /// sample operator, a claims API key, and the alert worker polling and retrying fast with a short lease, so that a
    /// restarted or surviving process takes a dead one's rows back within seconds.
    /// </summary>
    public Dictionary<string, string> Environment(string databasePath) => new()
    {
        ["ConnectionStrings__PorBot"] = $"Data Source={databasePath}",
        ["MicrosoftAppType"] = "SingleTenant",
        ["MicrosoftAppId"] = BotTestHost.AppId,
        ["MicrosoftAppPassword"] = "bot-process-secret",
        ["MicrosoftAppTenantId"] = BotTestHost.AppTenantId,
        ["ToChannelFromBotLoginUrl"] = Tokens.Authority(BotTestHost.AppTenantId),
        ["ToBotFromChannelOpenIdMetadataUrl"] = Channel.MetadataUrl,
        ["ToBotFromTenantOpenIdMetadataUrl"] = Channel.TenantMetadataUrlTemplate,
        ["Graph__Enabled"] = "true",
        ["Graph__BaseUrl"] = Graph.BaseUrl,
        ["Graph__LoginAuthority"] = Tokens.Authority(BotTestHost.AppTenantId),
        // The bot's MSAL trusts the fake token server's certificate, and nothing else.
        ["SSL_CERT_FILE"] = Tokens.CertificatePemPath,
        ["PorBot__Operators__0"] = Lookups.Sample.OperatorAadObjectId,
        ["Claims__ApiKeys__0__Name"] = "crm",
        ["Claims__ApiKeys__0__Key"] = Conflicts.Claims.ApiKey,
        ["Alerts__PollInterval"] = "00:00:00.050",
        // Short, so another process takes a dead one's rows back quickly; still long enough that a test kills a
        // process before it gives up on a held post itself (at half the lease) and settles it on its own.
        ["Alerts__LeaseDuration"] = "00:00:06",
        ["Alerts__ReconcileAfter"] = "00:00:01",
        ["Alerts__RetryBaseDelay"] = "00:00:00.100",
        ["Alerts__RetryMaxDelay"] = "00:00:01",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        ["Logging__LogLevel__Azure"] = "Warning",
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
    };

    public async ValueTask DisposeAsync()
    {
        await Connector.DisposeAsync();
        await Graph.DisposeAsync();
        await Tokens.DisposeAsync();
        await Channel.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
