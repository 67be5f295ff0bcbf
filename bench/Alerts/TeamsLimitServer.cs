using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PorBot.Bench.Alerts;

/// <summary>"At most <paramref name="Sends"/> in any <paramref name="Window"/>".</summary>
public sealed record Limit(int Sends, TimeSpan Window);

/// <summary>
/// A Bot Connector stand-in on loopback Kestrel that enforces Teams' send limits itself, the way the service
/// documents them: per conversation and per tenant (read from the posted activity's conversation.tenantId), as
/// sliding windows over the arrival times of the sends it accepted. Over a limit it answers 429 with Retry-After
/// in whole seconds. Deliberately shares no code with the bot's limiter: it is the referee.
/// </summary>
public sealed class TeamsLimitServer : IAsyncDisposable
{
    public static readonly Limit[] ConversationLimits =
    [
        new(7, TimeSpan.FromSeconds(1)), new(8, TimeSpan.FromSeconds(2)), new(60, TimeSpan.FromSeconds(30)), new(1800, TimeSpan.FromHours(1)),
    ];

    public static readonly Limit[] TenantLimits = [new(50, TimeSpan.FromSeconds(1))];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<long>> _conversations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<long>> _tenants = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<long> _accepted = [];
    private WebApplication? _app;
    private int _nextId;
    private int _throttled;

    public string ServiceUrl { get; private set; } = "";

    /// <summary>429s answered so far.</summary>
    public int Throttled => Volatile.Read(ref _throttled);

    /// <summary>Stopwatch timestamps of the accepted sends, in arrival order.</summary>
    public IReadOnlyList<long> Accepted
    {
        get { lock (_gate) return [.. _accepted]; }
    }

    public static async Task<TeamsLimitServer> StartAsync()
    {
        var server = new TeamsLimitServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server._app = app;
        server.ServiceUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/') + "/";
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var segments = context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (context.Request.Method != "POST" || segments is not ["v3", "conversations", _, "activities"])
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var conversation = Uri.UnescapeDataString(segments[2]);
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var tenant = body.RootElement.TryGetProperty("conversation", out var c) && c.TryGetProperty("tenantId", out var t) ? t.GetString() ?? "" : "";

        TimeSpan? retryAfter;
        lock (_gate)
        {
            // Counted while the request is being answered, in one order: any moment between the request's
            // arrival and its answer is one the real service could count.
            var arrived = Stopwatch.GetTimestamp();
            var conversationLog = Log(_conversations, conversation);
            var tenantLog = Log(_tenants, tenant);
            retryAfter = Max(Check(conversationLog, ConversationLimits, arrived), Check(tenantLog, TenantLimits, arrived));
            if (retryAfter is null)
            {
                conversationLog.Add(arrived);
                tenantLog.Add(arrived);
                _accepted.Add(arrived);
            }
        }

        if (retryAfter is { } wait)
        {
            Interlocked.Increment(ref _throttled);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"error":{"code":"Throttled","message":"Too many requests"}}""");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($$"""{"id":"activity-{{Interlocked.Increment(ref _nextId)}}"}""");
    }

    private static List<long> Log(Dictionary<string, List<long>> logs, string key)
    {
        if (!logs.TryGetValue(key, out var log)) logs[key] = log = [];
        return log;
    }

    /// <summary>Null when one more send now keeps every limit, else how long until it would.</summary>
    private static TimeSpan? Check(List<long> log, Limit[] limits, long now)
    {
        TimeSpan? wait = null;
        foreach (var limit in limits)
        {
            var windowTicks = (long)(limit.Window.TotalSeconds * Stopwatch.Frequency);
            // Accepted arrivals inside (now - window, now]; the log is in arrival order.
            var first = FirstAfter(log, now - windowTicks);
            var inWindow = log.Count - first;
            if (inWindow < limit.Sends) continue;
            var leaves = log[log.Count - limit.Sends] + windowTicks;
            wait = Max(wait, TimeSpan.FromSeconds((leaves - now) / (double)Stopwatch.Frequency));
        }

        return wait;
    }

    private static int FirstAfter(List<long> log, long time)
    {
        int lo = 0, hi = log.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (log[mid] > time) hi = mid;
            else lo = mid + 1;
        }

        return lo;
    }

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
