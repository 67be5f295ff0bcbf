using PorBot.Testing;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace PorBot.Tests.Integrations;

/// <summary>A subscription as the fake registry stores it, in the contract's terms (docs/registry-api.md).</summary>
public sealed record FakeSubscription(
    Guid SubscriptionId,
    string CustomerName,
    Guid CustomerTenantId,
    string? CustomerDomain,
    string Program,
    string Product,
    string? PorPartnerId,
    DateOnly? PorSince,
    DateTimeOffset UpdatedAt);

public sealed record FakePartner(string PartnerId, string Name, string? Country, IReadOnlyList<Guid> TenantIds, DateTimeOffset UpdatedAt);

public sealed record FakeRegistryRequest(string Method, string PathAndQuery, string? Authorization, string Body, int Status);

/// <summary>
/// The registry service of docs/registry-api.md on real Kestrel (127.0.0.1, port 0), under
/// <c>/api/v1/</c>, with scriptable faults: slow answers, error statuses, broken bodies.
/// </summary>
public sealed class FakeRegistryServer : IAsyncDisposable
{
    public const string ApiKey = "test-registry-key";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<Guid, FakeSubscription> _subscriptions = new();
    private readonly ConcurrentDictionary<string, FakePartner> _partners = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Fault> _nextFaults = new();
    private readonly Lock _gate = new();
    private readonly List<FakeRegistryRequest> _requests = [];
    private Fault? _everyAnswer;

    private FakeRegistryServer(WebApplication app) => _app = app;

    /// <summary>Ends with <c>/api/v1</c> (no trailing slash, to prove the client keeps the path).</summary>
    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<FakeRegistryRequest> Requests
    {
        get { lock (_gate) return [.. _requests]; }
    }

    public static async Task<FakeRegistryServer> StartAsync()
    {
        var (server, root) = await LoopbackServer.StartAsync(app =>
        {
            var created = new FakeRegistryServer(app);
            app.Run(created.HandleAsync);
            return created;
        });
        server.BaseUrl = root + "/api/v1";
        return server;
    }

    public void Add(FakeSubscription subscription) => _subscriptions[subscription.SubscriptionId] = subscription;

    public void Add(FakePartner partner) => _partners[partner.PartnerId] = partner;

    public FakeSubscription Subscription(Guid id) => _subscriptions[id];

    /// <summary>The next <paramref name="times"/> requests get this status (with a problem body).</summary>
    public void FailNext(int times, HttpStatusCode status)
    {
        for (var i = 0; i < times; i++) _nextFaults.Enqueue(new Fault(status, TimeSpan.Zero, null));
    }

    /// <summary>The next <paramref name="times"/> requests wait this long before answering normally.</summary>
    public void DelayNext(int times, TimeSpan delay)
    {
        for (var i = 0; i < times; i++) _nextFaults.Enqueue(new Fault(null, delay, null));
    }

    /// <summary>The next request gets exactly this answer.</summary>
    public void AnswerNext(HttpStatusCode status, string body) => _nextFaults.Enqueue(new Fault(status, TimeSpan.Zero, body));

    /// <summary>Every request gets this status (after the delay) until <see cref="Heal"/>.</summary>
    public void FailAlways(HttpStatusCode? status, TimeSpan delay = default) => _everyAnswer = new Fault(status, delay, null);

    public void Heal() => _everyAnswer = null;

    public int CountRequests(string pathAndQueryStart) =>
        Requests.Count(r => r.PathAndQuery.StartsWith("/api/v1/" + pathAndQueryStart, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var body = await new StreamReader(request.Body, Encoding.UTF8).ReadToEndAsync();
        int status;
        try
        {
            status = await AnswerAsync(context, body);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            status = 499; // the client gave up while we were being slow
        }

        lock (_gate)
        {
            _requests.Add(new FakeRegistryRequest(request.Method, request.Path + request.QueryString, request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null, body, status));
        }
    }

    private async Task<int> AnswerAsync(HttpContext context, string body)
    {
        var fault = _everyAnswer ?? (_nextFaults.TryDequeue(out var next) ? next : null);
        if (fault is not null)
        {
            if (fault.Delay > TimeSpan.Zero) await Task.Delay(fault.Delay, context.RequestAborted);
            if (fault.Body is { } rawBody) return await WriteAsync(context, (int)fault.Status!.Value, rawBody);
            if (fault.Status is { } faultStatus) return await ProblemAsync(context, faultStatus, "Scripted failure");
        }

        if (context.Request.Headers.Authorization.ToString() != "Bearer " + ApiKey)
            return await ProblemAsync(context, HttpStatusCode.Unauthorized, "Missing or wrong API key");

        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith("/api/v1/", StringComparison.Ordinal)) return await ProblemAsync(context, HttpStatusCode.NotFound, "No such path");
        var segments = path["/api/v1/".Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var query = context.Request.Query;
        var method = context.Request.Method;

        switch (segments)
        {
            case ["subscriptions", var id] when method == "GET":
                return Guid.TryParse(id, out var sid) && _subscriptions.TryGetValue(sid, out var found)
                    ? await WriteJsonAsync(context, ToContract(found))
                    : await ProblemAsync(context, HttpStatusCode.NotFound, "No such subscription");
            case ["subscriptions"] when method == "GET" && query.ContainsKey("tenantId"):
                var tenant = Guid.Parse(query["tenantId"]!);
                return await WriteItemsAsync(context, _subscriptions.Values.Where(s => s.CustomerTenantId == tenant).OrderBy(s => s.Product, StringComparer.Ordinal).Select(ToContract));
            case ["subscriptions"] when method == "GET" && query.ContainsKey("domain"):
                var domain = query["domain"].ToString();
                return await WriteItemsAsync(context, _subscriptions.Values
                    .Where(s => string.Equals(s.CustomerDomain, domain, StringComparison.OrdinalIgnoreCase)).OrderBy(s => s.Product, StringComparer.Ordinal).Select(ToContract));
            case ["customers"] when method == "GET":
                var text = query["search"].ToString();
                var limit = int.Parse(query["limit"]!, System.Globalization.CultureInfo.InvariantCulture);
                return await WriteItemsAsync(context, _subscriptions.Values
                    .Where(s => s.CustomerName.Contains(text, StringComparison.OrdinalIgnoreCase))
                    .GroupBy(s => s.CustomerTenantId)
                    .Select(g => new
                    {
                        customerName = g.First().CustomerName,
                        customerTenantId = g.Key,
                        customerDomain = g.First().CustomerDomain,
                        subscriptionCount = g.Count(),
                        score = g.First().CustomerName.StartsWith(text, StringComparison.OrdinalIgnoreCase) ? 1.0 : 0.5,
                    })
                    .OrderByDescending(m => m.score).ThenBy(m => m.customerName, StringComparer.Ordinal).Take(limit));
            case ["partners", var partnerId] when method == "GET":
                return _partners.TryGetValue(partnerId, out var partner)
                    ? await WriteJsonAsync(context, partner)
                    : await ProblemAsync(context, HttpStatusCode.NotFound, "No such partner");
            case ["partners"] when method == "GET" && query.ContainsKey("tenantId"):
                var partnerTenant = Guid.Parse(query["tenantId"]!);
                return await WriteItemsAsync(context, _partners.Values.Where(p => p.TenantIds.Contains(partnerTenant)));
            case ["partners"] when method == "GET":
                var name = query["search"].ToString();
                var max = int.Parse(query["limit"]!, System.Globalization.CultureInfo.InvariantCulture);
                return await WriteItemsAsync(context, _partners.Values
                    .Where(p => p.Name.Contains(name, StringComparison.OrdinalIgnoreCase)).OrderBy(p => p.Name, StringComparer.Ordinal).Take(max));
            case ["subscriptions", var id, "por"] when method == "PUT":
                if (!Guid.TryParse(id, out var changeId) || !_subscriptions.TryGetValue(changeId, out var current))
                    return await ProblemAsync(context, HttpStatusCode.NotFound, "No such subscription");
                using (var change = JsonDocument.Parse(body))
                {
                    var newPartner = change.RootElement.GetProperty("partnerId").GetString();
                    if (newPartner is not null && !_partners.ContainsKey(newPartner))
                        return await ProblemAsync(context, HttpStatusCode.UnprocessableEntity, $"Partner {newPartner} is not in the registry");
                    var since = DateOnly.Parse(change.RootElement.GetProperty("effectiveFrom").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                    _subscriptions[changeId] = current with
                    {
                        PorPartnerId = newPartner,
                        PorSince = newPartner is null ? null : since,
                        UpdatedAt = DateTimeOffset.UtcNow,
                    };
                }

                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return StatusCodes.Status204NoContent;
            default:
                return await ProblemAsync(context, HttpStatusCode.NotFound, "No such path");
        }
    }

    private object ToContract(FakeSubscription s) => new
    {
        subscriptionId = s.SubscriptionId,
        customerName = s.CustomerName,
        customerTenantId = s.CustomerTenantId,
        customerDomain = s.CustomerDomain,
        program = s.Program,
        product = s.Product,
        porPartnerId = s.PorPartnerId,
        porPartnerName = s.PorPartnerId is { } id && _partners.TryGetValue(id, out var p) ? p.Name : null,
        porSince = s.PorSince,
        updatedAt = s.UpdatedAt,
    };

    private static Task<int> WriteItemsAsync<T>(HttpContext context, IEnumerable<T> items) => WriteJsonAsync(context, new { items = items.ToList() });

    private static Task<int> WriteJsonAsync(HttpContext context, object value) =>
        WriteAsync(context, 200, JsonSerializer.Serialize(value, Json));

    private static Task<int> ProblemAsync(HttpContext context, HttpStatusCode status, string detail) =>
        WriteAsync(context, (int)status, JsonSerializer.Serialize(new { title = status.ToString(), status = (int)status, detail }, Json), "application/problem+json");

    private static async Task<int> WriteAsync(HttpContext context, int status, string body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body);
        return status;
    }

    private sealed record Fault(HttpStatusCode? Status, TimeSpan Delay, string? Body);
}
