using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Client;
using PorBot.Conflicts;
using PorBot.Protocol.Activities;
using PorBot.Testing;

namespace PorBot.Tests;

/// <summary>
/// The real bot (Program.cs, real serialization, real SQLite file) in a TestServer, with Microsoft's
/// cloud replaced at the HTTP edge: a fake Bot Connector for replies, and — when auth is on — a fake
/// channel OpenID authority for inbound tokens and a fake token endpoint for outbound ones.
/// </summary>
public sealed class BotTestHost : IAsyncDisposable
{
    public const string AppId = "5e3f7a8b-1c2d-4e5f-9a0b-c1d2e3f4a5b6";
    public const string AppTenantId = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";

    private readonly Factory _factory;

    private BotTestHost(Factory factory, FakeConnectorServer connector, FakeChannelAuthority? authority, FakeTokenEndpoint? tokens, string databasePath)
    {
        _factory = factory;
        Connector = connector;
        Authority = authority;
        Tokens = tokens;
        DatabasePath = databasePath;
        Client = factory.CreateClient();
    }

    public FakeConnectorServer Connector { get; }

    public FakeChannelAuthority? Authority { get; }

    public FakeTokenEndpoint? Tokens { get; }

    public string DatabasePath { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _factory.Services;

    public static async Task<BotTestHost> StartAsync(
        bool authEnabled = false,
        string? databasePath = null,
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var connector = await FakeConnectorServer.StartAsync();
        var authority = authEnabled ? await FakeChannelAuthority.StartAsync() : null;
        var tokens = authEnabled ? new FakeTokenEndpoint() : null;
        databasePath ??= Path.Combine(Path.GetTempPath(), "porbot-tests", Guid.NewGuid().ToString("N"), "porbot.db");

        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:PorBot"] = $"Data Source={databasePath}",
            ["MicrosoftAppId"] = "",
            ["MicrosoftAppPassword"] = "",
            ["Bot:TypingIndicatorDelay"] = "00:00:05",
        };
        if (authority is not null)
        {
            all["MicrosoftAppType"] = "SingleTenant";
            all["MicrosoftAppId"] = AppId;
            all["MicrosoftAppPassword"] = "test-secret";
            all["MicrosoftAppTenantId"] = AppTenantId;
            all["ToBotFromChannelOpenIdMetadataUrl"] = authority.MetadataUrl;
            all["ToBotFromTenantOpenIdMetadataUrl"] = authority.TenantMetadataUrlTemplate;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;

        var factory = new Factory(all, s =>
        {
            if (tokens is not null) s.AddSingleton<IMsalHttpClientFactory>(tokens);
            services?.Invoke(s);
        });
        try
        {
            var host = new BotTestHost(factory, connector, authority, tokens, databasePath);
            using var ready = await host.Client.GetAsync(new Uri("/healthz", UriKind.Relative));
            ready.EnsureSuccessStatusCode();
            // Tests create outbox rows right away and some drive delivery passes themselves: the worker's start-up
            // round must be over first, or it may pick those rows up (and then wait for its next poll).
            await host.GetRequiredService<AlertDeliveryWorker>().StartupRound.WaitAsync(TimeSpan.FromSeconds(30));
            return host;
        }
        catch
        {
            // A host that fails to start (e.g. invalid options) must not leave its fakes listening.
            await factory.DisposeAsync();
            await connector.DisposeAsync();
            if (authority is not null) await authority.DisposeAsync();
            throw;
        }
    }

    /// <summary>Posts an activity as the channel would; with auth on, a valid channel token unless one is given.</summary>
    public Task<HttpResponseMessage> PostActivityAsync(Activity activity, string? token = null, bool withToken = true)
    {
        var json = ProtocolJson.Serialize(activity);
        if (withToken && token is null && Authority is not null) token = Authority.MintToken(AppId, activity.ServiceUrl);
        return PostRawAsync(json, withToken ? token : null);
    }

    public async Task<HttpResponseMessage> PostRawAsync(string body, string? token = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/messages", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Client.SendAsync(request);
    }

    public T GetRequiredService<T>() where T : notnull => _factory.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
        await Connector.DisposeAsync();
        if (Authority is not null) await Authority.DisposeAsync();
    }

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection> services) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // UseSetting lands in configuration before Program.cs reads it (ConfigureAppConfiguration would be too late).
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
            builder.ConfigureTestServices(services);
        }
    }
}
