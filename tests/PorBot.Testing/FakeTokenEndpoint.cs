using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Identity.Client;

namespace PorBot.Testing;

/// <summary>A token request MSAL sent: the URL (with the tenant in its path) and the form fields.</summary>
public sealed record TokenRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Form)
{
    /// <summary>The first path segment: <c>botframework.com</c> or the tenant id.</summary>
    public string Tenant => Uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
}

/// <summary>
/// Entra ID's token endpoint for MSAL, in process. MSAL refuses http authorities, so there is no
/// local server here: register this as MSAL's <see cref="IMsalHttpClientFactory"/> (the bot's
/// <c>MsalBotTokenProvider</c> takes one) and the real https authority is answered by this handler,
/// with no network. Answers client-credential POSTs with fresh tokens and instance discovery with
/// <c>{}</c>; can be told to fail (e.g. <see cref="FailWithInvalidClient"/>).
/// </summary>
public sealed class FakeTokenEndpoint : IMsalHttpClientFactory, IDisposable
{
    private readonly Handler _handler;
    private readonly Lock _gate = new();
    private readonly List<TokenRequest> _tokenRequests = [];
    private readonly List<Uri> _otherRequests = [];
    private (HttpStatusCode Status, string Body)? _failure;
    private int _issued;

    public FakeTokenEndpoint() => _handler = new Handler(this);

    /// <summary>Lifetime of issued tokens. MSAL serves a token from its cache only while it is comfortably valid.</summary>
    public TimeSpan ExpiresIn { get; set; } = TimeSpan.FromHours(1);

    public string? LastIssuedToken { get; private set; }

    /// <summary>Token POSTs received (successful or not), in order.</summary>
    public IReadOnlyList<TokenRequest> TokenRequests
    {
        get { lock (_gate) return [.. _tokenRequests]; }
    }

    /// <summary>Anything else MSAL asked (instance discovery); empty when discovery is off.</summary>
    public IReadOnlyList<Uri> OtherRequests
    {
        get { lock (_gate) return [.. _otherRequests]; }
    }

    public HttpClient GetHttpClient() => new(_handler, disposeHandler: false);

    /// <summary>Every following token request fails with this OAuth error until <see cref="Succeed"/>.</summary>
    public void FailWith(HttpStatusCode status, string error, string description) =>
        _failure = (status, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["error"] = error,
            ["error_description"] = description,
            ["error_codes"] = new[] { 7000215 },
            ["timestamp"] = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
            ["trace_id"] = Guid.NewGuid().ToString(),
            ["correlation_id"] = Guid.NewGuid().ToString(),
        }));

    /// <summary>What Entra says for a wrong client secret.</summary>
    public void FailWithInvalidClient() => FailWith(HttpStatusCode.Unauthorized, "invalid_client",
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.");

    public void Succeed() => _failure = null;

    public void Dispose() => _handler.Dispose();

    private async Task<HttpResponseMessage> AnswerAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        if (request.Method != HttpMethod.Post || !uri.AbsolutePath.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal))
        {
            lock (_gate) _otherRequests.Add(uri);
            return Json(HttpStatusCode.OK, "{}");
        }

        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var form = QueryHelpers.ParseQuery(body).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        lock (_gate) _tokenRequests.Add(new TokenRequest(request.Method, uri, form));

        if (_failure is { } failure) return Json(failure.Status, failure.Body);

        var token = $"fake-bot-token-{Interlocked.Increment(ref _issued)}";
        LastIssuedToken = token;
        var seconds = (long)ExpiresIn.TotalSeconds;
        return Json(HttpStatusCode.OK, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = seconds,
            ["ext_expires_in"] = seconds,
            ["access_token"] = token,
        }));
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body) => new(status)
    {
        Content = new StringContent(body, Encoding.UTF8, "application/json"),
    };

    private sealed class Handler(FakeTokenEndpoint owner) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            owner.AnswerAsync(request, cancellationToken);
    }
}

/// <summary>
/// <see cref="FakeTokenEndpoint"/> over real https on 127.0.0.1, for a bot running as its own process (where no
/// <c>IMsalHttpClientFactory</c> can be slipped in). Point the bot's authorities at <see cref="Authority"/> and make
/// it trust <see cref="CertificatePemPath"/> (<c>SSL_CERT_FILE</c>); MSAL refuses http authorities.
/// </summary>
public sealed class FakeTokenServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;

    private FakeTokenServer(WebApplication app, X509Certificate2 certificate, FakeTokenEndpoint endpoint)
    {
        _app = app;
        _certificate = certificate;
        Endpoint = endpoint;
    }

    /// <summary>The tokens issued and the requests received.</summary>
    public FakeTokenEndpoint Endpoint { get; }

    /// <summary>https://127.0.0.1:port, without a trailing slash.</summary>
    public string Root { get; private set; } = "";

    public string CertificatePemPath { get; private set; } = "";

    /// <summary>An authority for <paramref name="tenant"/> on this server, e.g. for ToChannelFromBotLoginUrl.</summary>
    public string Authority(string tenant) => $"{Root}/{tenant}";

    /// <param name="directory">Where the certificate's PEM file is written.</param>
    public static async Task<FakeTokenServer> StartAsync(string directory, CancellationToken cancellationToken = default)
    {
        var certificate = LoopbackCertificate.Create();
        var endpoint = new FakeTokenEndpoint();
        var (server, root) = await LoopbackServer.StartAsync(app =>
        {
            var created = new FakeTokenServer(app, certificate, endpoint);
            app.Run(created.ForwardAsync);
            return created;
        }, certificate, cancellationToken).ConfigureAwait(false);
        server.Root = root;
        server.CertificatePemPath = LoopbackCertificate.WritePem(certificate, Path.Combine(directory, "fake-token-server.pem"));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Endpoint.Dispose();
        _certificate.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), Root + context.Request.Path + context.Request.QueryString)
        {
            Content = new ByteArrayContent(body.ToArray()),
        };
        if (context.Request.ContentType is { } contentType) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var client = Endpoint.GetHttpClient();
        using var answer = await client.SendAsync(request, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = (int)answer.StatusCode;
        context.Response.ContentType = answer.Content.Headers.ContentType?.ToString();
        await context.Response.Body.WriteAsync(await answer.Content.ReadAsByteArrayAsync(context.RequestAborted).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>A request to the managed identity endpoint: query (resource, client_id, api-version) and the secret header.</summary>
public sealed record ManagedIdentityRequest(IReadOnlyDictionary<string, string> Query, string? IdentityHeader);

/// <summary>
/// The App Service managed identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER) on local Kestrel.
/// MSAL reads those environment variables, which are process-wide: use
/// <see cref="UseEnvironment"/> in a non-parallel test collection and dispose it to restore them.
/// </summary>
public sealed class FakeManagedIdentityEndpoint : IAsyncDisposable
{
    private static readonly string[] ManagedIdentityVariables =
        ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET"];

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<ManagedIdentityRequest> _requests = [];
    private (HttpStatusCode Status, string Body)? _failure;
    private int _issued;

    private FakeManagedIdentityEndpoint(WebApplication app) => _app = app;

    /// <summary>The value for IDENTITY_ENDPOINT.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The value for IDENTITY_HEADER; MSAL sends it back as <c>X-IDENTITY-HEADER</c>.</summary>
    public string IdentityHeader { get; } = "fake-identity-header-" + Guid.NewGuid().ToString("N");

    public string? LastIssuedToken { get; private set; }

    public IReadOnlyList<ManagedIdentityRequest> Requests
    {
        get { lock (_gate) return [.. _requests]; }
    }

    public static async Task<FakeManagedIdentityEndpoint> StartAsync(CancellationToken cancellationToken = default)
    {
        var (endpoint, root) = await LoopbackServer.StartAsync(app =>
        {
            var created = new FakeManagedIdentityEndpoint(app);
            app.MapGet("/msi/token", created.Answer);
            return created;
        }, cancellationToken).ConfigureAwait(false);
        endpoint.Endpoint = root + "/msi/token";
        return endpoint;
    }

    /// <summary>Points MSAL at this endpoint (App Service source) until disposed; other managed identity variables are cleared meanwhile.</summary>
    public IDisposable UseEnvironment()
    {
        var saved = ManagedIdentityVariables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        foreach (var name in ManagedIdentityVariables) Environment.SetEnvironmentVariable(name, null);
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", Endpoint);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", IdentityHeader);
        return new Restore(saved);
    }

    public void FailWith(HttpStatusCode status, string body) => _failure = (status, body);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private IResult Answer(HttpContext context)
    {
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var header = context.Request.Headers.TryGetValue("X-IDENTITY-HEADER", out var h) ? h.ToString() : null;
        lock (_gate) _requests.Add(new ManagedIdentityRequest(query, header));

        if (_failure is { } failure) return Results.Content(failure.Body, "application/json", Encoding.UTF8, (int)failure.Status);
        if (header != IdentityHeader)
            return Results.Content("""{"statusCode":400,"message":"Missing or wrong X-IDENTITY-HEADER"}""", "application/json", Encoding.UTF8, 400);

        var token = $"fake-msi-token-{Interlocked.Increment(ref _issued)}";
        LastIssuedToken = token;
        return Results.Json(new Dictionary<string, string>
        {
            ["access_token"] = token,
            ["expires_on"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["resource"] = query.GetValueOrDefault("resource") ?? "",
            ["token_type"] = "Bearer",
            ["client_id"] = query.GetValueOrDefault("client_id") ?? "",
        });
    }

    private sealed class Restore(Dictionary<string, string?> saved) : IDisposable
    {
        public void Dispose()
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }
}
