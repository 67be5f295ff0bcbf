using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using PorBot.Protocol.Activities;

namespace PorBot.Testing;

/// <summary>Which Bot Connector v3 call a recorded request was.</summary>
public enum ConnectorOperation
{
    Unknown,
    SendToConversation,
    ReplyToActivity,
    UpdateActivity,
    DeleteActivity,
    CreateConversation,
    GetConversationMember,
}

/// <summary>One request the fake connector received, as it arrived on the wire, plus what it answered.</summary>
public sealed class ConnectorRequest
{
    public required string Method { get; init; }

    /// <summary>The request target exactly as sent (still escaped), e.g. <c>/v3/conversations/19%3Aabc.../activities</c>.</summary>
    public required string RawPath { get; init; }

    /// <summary>What came before <c>v3/</c> in the path, e.g. <c>amer</c> for a regional serviceUrl; empty otherwise.</summary>
    public required string PathPrefix { get; init; }

    public required ConnectorOperation Operation { get; init; }

    /// <summary>Unescaped path values.</summary>
    public string? ConversationId { get; init; }
    public string? ActivityId { get; init; }
    public string? UserId { get; init; }

    /// <summary>All request headers; names are case-insensitive.</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    public string? Authorization => Headers.GetValueOrDefault("Authorization");
    public string? ContentType => Headers.GetValueOrDefault("Content-Type");

    public required string BodyText { get; init; }

    /// <summary>The body as JSON, or null when empty or not JSON.</summary>
    public JsonElement? Body { get; init; }

    /// <summary>
    /// The activity sent: the body of send/reply/update, or the first message included in a
    /// create-conversation call.
    /// </summary>
    public Activity? Activity { get; init; }

    public ConversationParameters? ConversationParameters { get; init; }

    /// <summary>When the request reached the fake (before its body was read): what a server-side rate limit would count.</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The status the fake answered with.</summary>
    public int ResponseStatus { get; internal set; }

    /// <summary>The id the fake returned (new activity id or conversation id), if any.</summary>
    public string? ResponseId { get; internal set; }

    public bool Succeeded => ResponseStatus is >= 200 and < 300;

    /// <summary>
    /// The connector carried the call out (posted, updated, deleted), whatever answer reached the bot: normally the
    /// same as <see cref="Succeeded"/>, but see <see cref="FakeConnectorResponse.AppliedAnyway"/>.
    /// </summary>
    public bool Applied { get; internal set; }

    public override string ToString() => $"{Method} {RawPath} → {ResponseStatus}";
}

/// <summary>A message as the people in a conversation see it now: posted, possibly updated in place since, not deleted.</summary>
/// <param name="Content">The activity JSON as last posted or updated.</param>
public sealed record PostedMessage(string ConversationId, string ActivityId, JsonElement Content, DateTimeOffset CreatedAt, DateTimeOffset LastModifiedAt);

/// <summary>A scripted answer. The factory methods give the error shapes the real service uses.</summary>
public sealed record FakeConnectorResponse(HttpStatusCode StatusCode, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>How long the fake waits before answering (to exercise client timeouts).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>
    /// The call takes effect as usual (a posted message gets its id and is shown in <see cref="FakeConnectorServer.Messages"/>)
    /// although the bot gets this answer: what a 500 after the work was done, or an answer lost with a dying process, looks like.
    /// </summary>
    public bool AppliedAnyway { get; init; }

    /// <summary>The usual answer, but only after <paramref name="delay"/>; the call takes effect at once (as if the answer were slow to travel back).</summary>
    public static FakeConnectorResponse Late(TimeSpan delay) => new(HttpStatusCode.OK) { Delay = delay, UsualAnswer = true };

    internal bool UsualAnswer { get; init; }

    /// <summary>429 with <c>Retry-After</c> in seconds.</summary>
    public static FakeConnectorResponse Throttled(int retryAfterSeconds = 1) =>
        Error(HttpStatusCode.TooManyRequests, "Throttled", "Too many requests") with
        {
            Headers = new Dictionary<string, string> { ["Retry-After"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };

    /// <summary>The documented <c>{"error":{"code","message"}}</c> body, with an optional correlation id header.</summary>
    public static FakeConnectorResponse Error(HttpStatusCode status, string code, string message, string? correlationId = null) =>
        new(status,
            JsonSerializer.Serialize(new { error = new { code, message } }),
            correlationId is null ? null : new Dictionary<string, string> { ["X-Correlating-OperationId"] = correlationId });

    /// <summary>Teams' own shape, e.g. 403 <c>{"errorCode":209,"message":"{\"subCode\":\"MessageWritesBlocked\"...}"}</c>.</summary>
    public static FakeConnectorResponse TeamsError(HttpStatusCode status, int errorCode, string subCode, string? correlationId = null) =>
        new(status,
            JsonSerializer.Serialize(new { errorCode, message = JsonSerializer.Serialize(new { subCode, details = "Scripted by FakeConnectorServer" }) }),
            correlationId is null ? null : new Dictionary<string, string> { ["X-Correlating-OperationId"] = correlationId });

    /// <summary>What Teams answers when the app was uninstalled or the user blocked the bot.</summary>
    public static FakeConnectorResponse BotBlocked(string? correlationId = null) =>
        TeamsError(HttpStatusCode.Forbidden, 209, "MessageWritesBlocked", correlationId);
}

/// <summary>
/// A real Bot Connector stand-in on Kestrel (127.0.0.1, a free port) serving the v3 routes the bot
/// uses. It records every request, answers like the service (new ids for posted activities) and can
/// be scripted to fail. Point the bot at <see cref="ServiceUrl"/> (or <see cref="GetServiceUrl"/>
/// for a regional path like <c>/amer/</c>).
/// </summary>
public sealed class FakeConnectorServer : IAsyncDisposable
{
    public static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<ConnectorRequest> _requests = [];
    private readonly List<Rule> _rules = [];
    private readonly List<(Func<ConnectorRequest, bool> When, Task Release)> _holds = [];
    private readonly Dictionary<string, ChannelAccount> _members = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = NewSignal();
    private int _nextId;

    private FakeConnectorServer(WebApplication app) => _app = app;

    /// <summary>Base URL ending with <c>/</c>, like a real serviceUrl.</summary>
    public string ServiceUrl { get; private set; } = "";

    /// <summary>
    /// When set, requests without <c>Authorization: Bearer {RequiredAccessToken}</c> get 401, as the
    /// real connector does.
    /// </summary>
    public string? RequiredAccessToken { get; set; }

    public static async Task<FakeConnectorServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var (server, root) = await LoopbackServer.StartAsync(app =>
        {
            var created = new FakeConnectorServer(app);
            app.Run(created.HandleAsync);
            return created;
        }, cancellationToken).ConfigureAwait(false);
        server.ServiceUrl = root + "/";
        return server;
    }

    /// <summary>The serviceUrl with a path prefix, e.g. <c>GetServiceUrl("amer")</c> → <c>http://127.0.0.1:port/amer/</c>.</summary>
    public string GetServiceUrl(string pathPrefix) => ServiceUrl + pathPrefix.Trim('/') + "/";

    /// <summary>Everything received so far, in order.</summary>
    public IReadOnlyList<ConnectorRequest> Requests
    {
        get { lock (_gate) return [.. _requests]; }
    }

    /// <summary>Activities the bot got posted successfully (send, reply, or create-with-activity), in order.</summary>
    public IReadOnlyList<ConnectorRequest> Activities => Requests.Where(IsPostedActivity).ToList();

    /// <summary>
    /// What each conversation shows now (or only <paramref name="conversationId"/>'s), oldest first: every applied
    /// send or reply, with applied updates and deletes played over it. This is what a user would see, and what a
    /// fake Graph serves as the conversation's messages.
    /// </summary>
    public IReadOnlyList<PostedMessage> Messages(string? conversationId = null)
    {
        var messages = new List<PostedMessage>();
        foreach (var r in Requests.Where(r => r.Applied && (conversationId is null || r.ConversationId == conversationId)))
        {
            switch (r.Operation)
            {
                case ConnectorOperation.SendToConversation or ConnectorOperation.ReplyToActivity when r is { Body: { } body, ResponseId: { } id, ConversationId: { } conversation }:
                    messages.Add(new PostedMessage(conversation, id, body, r.ReceivedAt, r.ReceivedAt));
                    break;
                case ConnectorOperation.UpdateActivity when r.Body is { } body:
                    var index = messages.FindIndex(m => m.ConversationId == r.ConversationId && m.ActivityId == r.ActivityId);
                    if (index >= 0) messages[index] = messages[index] with { Content = body, LastModifiedAt = r.ReceivedAt };
                    break;
                case ConnectorOperation.DeleteActivity:
                    messages.RemoveAll(m => m.ConversationId == r.ConversationId && m.ActivityId == r.ActivityId);
                    break;
            }
        }

        return messages;
    }

    /// <summary>The next request (of any kind) gets this answer.</summary>
    public void EnqueueResponse(FakeConnectorResponse response) => AddRule(_ => true, response, times: 1);

    public void EnqueueResponse(HttpStatusCode status, string? body = null, IReadOnlyDictionary<string, string>? headers = null) =>
        EnqueueResponse(new FakeConnectorResponse(status, body, headers));

    /// <summary>The next <paramref name="count"/> requests get this answer, e.g. <c>FailNext(2, FakeConnectorResponse.Throttled(1))</c>.</summary>
    public void FailNext(int count, FakeConnectorResponse response) => AddRule(_ => true, response, count);

    /// <summary>Requests about this conversation get this answer (every time, or the next <paramref name="times"/>).</summary>
    public void FailConversation(string conversationId, FakeConnectorResponse response, int? times = null) =>
        AddRule(r => r.ConversationId == conversationId, response, times);

    /// <summary>
    /// Matching requests get this answer, every time or the next <paramref name="times"/> times. Rules are
    /// tried in the order they were added; the first match wins; unmatched requests get the default answer.
    /// </summary>
    public void AddRule(Func<ConnectorRequest, bool> when, FakeConnectorResponse response, int? times = null)
    {
        ArgumentNullException.ThrowIfNull(when);
        ArgumentNullException.ThrowIfNull(response);
        lock (_gate) _rules.Add(new Rule(when, response, times));
    }

    /// <summary>
    /// Matching requests are recorded at once but answered only when <paramref name="release"/> completes, so a
    /// test can see how many requests a client has in flight at the same time.
    /// </summary>
    public void HoldAnswers(Func<ConnectorRequest, bool> when, Task release)
    {
        ArgumentNullException.ThrowIfNull(when);
        ArgumentNullException.ThrowIfNull(release);
        lock (_gate) _holds.Add((when, release));
    }

    /// <summary>Makes <c>GET v3/conversations/{id}/members/{member.Id}</c> answer with this account (any conversation, or only <paramref name="conversationId"/>); unknown members get 404.</summary>
    public void AddMember(ChannelAccount member, string? conversationId = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentException.ThrowIfNullOrEmpty(member.Id);
        lock (_gate) _members[MemberKey(conversationId, member.Id)] = member;
    }

    /// <summary>Forgets requests, rules and members (for a fixture shared between tests).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _requests.Clear();
            _rules.Clear();
            _holds.Clear();
            _members.Clear();
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> requests (matching <paramref name="where"/>) arrived, and returns them all.</summary>
    /// <exception cref="TimeoutException">Fewer arrived in time; the message lists what did arrive.</exception>
    public async Task<IReadOnlyList<ConnectorRequest>> WaitForRequestsAsync(int count, TimeSpan? timeout = null, Func<ConnectorRequest, bool>? where = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? DefaultWaitTimeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var matching = where is null ? [.. _requests] : _requests.Where(where).ToList();
                if (matching.Count >= count) return matching;
                changed = _changed.Task;
            }

            var remaining = deadline - DateTimeOffset.UtcNow;
            if (remaining <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(remaining)).ConfigureAwait(false) != changed)
            {
                var received = Requests;
                throw new TimeoutException(
                    $"Expected {count} matching connector request(s) within {timeout ?? DefaultWaitTimeout}; received {received.Count} in all:"
                    + (received.Count == 0 ? " none" : Environment.NewLine + string.Join(Environment.NewLine, received.Select(r => "  " + r))));
            }
        }
    }

    /// <summary>Waits for <paramref name="count"/> successfully posted activities (see <see cref="Activities"/>); failed attempts do not count.</summary>
    public Task<IReadOnlyList<ConnectorRequest>> WaitForActivitiesAsync(int count = 1, TimeSpan? timeout = null) =>
        WaitForRequestsAsync(count, timeout, IsPostedActivity);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static bool IsPostedActivity(ConnectorRequest r) =>
        r.Succeeded && r.Activity is not null
        && r.Operation is ConnectorOperation.SendToConversation or ConnectorOperation.ReplyToActivity or ConnectorOperation.CreateConversation;

    private static string MemberKey(string? conversationId, string userId) => (conversationId ?? "*") + "\n" + userId;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task HandleAsync(HttpContext context)
    {
        var receivedAt = DateTimeOffset.UtcNow;
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var bodyText = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        var request = Parse(context.Request, rawTarget, bodyText, receivedAt);

        var (status, body, headers, delay) = Answer(request);

        Task? hold;
        lock (_gate)
        {
            hold = _holds.FirstOrDefault(h => h.When(request)).Release;
            _requests.Add(request);
            var changed = _changed;
            _changed = NewSignal();
            changed.TrySetResult();
        }

        try
        {
            if (hold is not null) await hold.WaitAsync(context.RequestAborted).ConfigureAwait(false);
            if (delay > TimeSpan.Zero) await Task.Delay(delay, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        context.Response.StatusCode = (int)status;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            context.Response.Headers[name] = value;
        if (body is not null)
        {
            context.Response.ContentType = body.TrimStart().StartsWith('{') || body.TrimStart().StartsWith('[')
                ? "application/json; charset=utf-8"
                : "text/plain; charset=utf-8";
            await context.Response.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private (HttpStatusCode Status, string? Body, IReadOnlyDictionary<string, string>? Headers, TimeSpan Delay) Answer(ConnectorRequest request)
    {
        FakeConnectorResponse? scripted = null;
        ChannelAccount? member = null;
        lock (_gate)
        {
            foreach (var rule in _rules)
            {
                if (!rule.When(request)) continue;
                scripted = rule.Response;
                if (rule.RemainingTimes is { } left)
                {
                    if (left <= 1) _rules.Remove(rule);
                    else rule.RemainingTimes = left - 1;
                }
                break;
            }
            if (request is { Operation: ConnectorOperation.GetConversationMember, UserId: { } userId })
            {
                member = _members.GetValueOrDefault(MemberKey(request.ConversationId, userId))
                    ?? _members.GetValueOrDefault(MemberKey(null, userId));
            }
        }

        if (scripted is { UsualAnswer: false })
        {
            request.ResponseStatus = (int)scripted.StatusCode;
            request.Applied = request.Succeeded;
            if (scripted.AppliedAnyway)
            {
                // The work is done as usual (a posted message gets its id); only the answer the bot gets differs.
                var (usualStatus, _, _) = DefaultAnswer(request, member);
                request.Applied = (int)usualStatus is >= 200 and < 300;
            }

            return (scripted.StatusCode, scripted.Body, scripted.Headers, scripted.Delay);
        }

        var (status, body, headers) = DefaultAnswer(request, member);
        request.ResponseStatus = (int)status;
        request.Applied = request.Succeeded;
        return (status, body, headers, scripted?.Delay ?? TimeSpan.Zero);
    }

    private (HttpStatusCode Status, string? Body, IReadOnlyDictionary<string, string>? Headers) DefaultAnswer(ConnectorRequest request, ChannelAccount? member)
    {
        if (RequiredAccessToken is { } required && request.Authorization != "Bearer " + required)
            return Fail(HttpStatusCode.Unauthorized, "Unauthorized", "Authorization has been denied for this request.");

        switch (request.Operation)
        {
            case ConnectorOperation.SendToConversation or ConnectorOperation.ReplyToActivity:
                if (request.Activity is null) return Fail(HttpStatusCode.BadRequest, "BadSyntax", "The body is not an activity.");
                return Created(new ResourceResponse { Id = NewId("activity") }, request);

            case ConnectorOperation.UpdateActivity:
                if (request.Activity is null) return Fail(HttpStatusCode.BadRequest, "BadSyntax", "The body is not an activity.");
                request.ResponseId = request.ActivityId;
                return (HttpStatusCode.OK, ProtocolJson.Serialize(new ResourceResponse { Id = request.ActivityId }), null);

            case ConnectorOperation.DeleteActivity:
                return (HttpStatusCode.OK, null, null);

            case ConnectorOperation.CreateConversation:
                if (request.ConversationParameters is null) return Fail(HttpStatusCode.BadRequest, "BadSyntax", "The body is not ConversationParameters.");
                var response = new ConversationResourceResponse
                {
                    Id = NewId("a:fake-conversation"),
                    ActivityId = request.ConversationParameters.Activity is null ? null : NewId("activity"),
                };
                return Created(response, request, response.Id);

            case ConnectorOperation.GetConversationMember:
                return member is null
                    ? Fail(HttpStatusCode.NotFound, "MemberNotFoundInConversation", "The member is not part of the conversation.")
                    : (HttpStatusCode.OK, ProtocolJson.Serialize(member), null);

            default:
                return Fail(HttpStatusCode.NotFound, "NotFound", $"FakeConnectorServer does not implement {request.Method} {request.RawPath}.");
        }
    }

    private static (HttpStatusCode, string?, IReadOnlyDictionary<string, string>?) Created<T>(T body, ConnectorRequest request, string? id = null)
        where T : class
    {
        request.ResponseId = id ?? (body as ResourceResponse)?.Id;
        return (HttpStatusCode.Created, ProtocolJson.Serialize(body), null);
    }

    private static (HttpStatusCode, string?, IReadOnlyDictionary<string, string>?) Fail(HttpStatusCode status, string code, string message)
    {
        var r = FakeConnectorResponse.Error(status, code, message);
        return (r.StatusCode, r.Body, r.Headers);
    }

    private string NewId(string prefix) => $"{prefix}-{Interlocked.Increment(ref _nextId)}";

    private static ConnectorRequest Parse(HttpRequest http, string rawTarget, string bodyText, DateTimeOffset receivedAt)
    {
        var rawPath = rawTarget.Split('?', 2)[0];
        var segments = rawPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var v3 = Array.IndexOf(segments, "v3");
        var prefix = v3 > 0 ? string.Join('/', segments[..v3].Select(Uri.UnescapeDataString)) : "";
        var rest = v3 >= 0 ? segments[(v3 + 1)..].Select(Uri.UnescapeDataString).ToArray() : [];

        var method = http.Method;
        var (operation, conversationId, activityId, userId) = rest switch
        {
            ["conversations"] when method == "POST" => (ConnectorOperation.CreateConversation, null, null, null),
            ["conversations", var c, "activities"] when method == "POST" => (ConnectorOperation.SendToConversation, c, null, null),
            ["conversations", var c, "activities", var a] when method == "POST" => (ConnectorOperation.ReplyToActivity, c, a, null),
            ["conversations", var c, "activities", var a] when method == "PUT" => (ConnectorOperation.UpdateActivity, c, a, null),
            ["conversations", var c, "activities", var a] when method == "DELETE" => (ConnectorOperation.DeleteActivity, c, a, null),
            ["conversations", var c, "members", var u] when method == "GET" => (ConnectorOperation.GetConversationMember, c, null, u),
            _ => (ConnectorOperation.Unknown, (string?)null, (string?)null, (string?)null),
        };

        JsonElement? body = null;
        Activity? activity = null;
        ConversationParameters? parameters = null;
        if (!string.IsNullOrWhiteSpace(bodyText))
        {
            try
            {
                using var document = JsonDocument.Parse(bodyText, ProtocolJson.DocumentOptions);
                body = document.RootElement.Clone();
                if (body.Value.ValueKind == JsonValueKind.Object)
                {
                    if (operation is ConnectorOperation.SendToConversation or ConnectorOperation.ReplyToActivity or ConnectorOperation.UpdateActivity)
                        activity = body.Value.Deserialize<Activity>(ProtocolJson.Options);
                    else if (operation is ConnectorOperation.CreateConversation)
                    {
                        parameters = body.Value.Deserialize<ConversationParameters>(ProtocolJson.Options);
                        activity = parameters?.Activity;
                    }
                }
            }
            catch (JsonException)
            {
                // Recorded as text only; the default answer is 400.
            }
        }

        return new ConnectorRequest
        {
            Method = method,
            ReceivedAt = receivedAt,
            RawPath = rawTarget,
            PathPrefix = prefix,
            Operation = operation,
            ConversationId = conversationId,
            ActivityId = activityId,
            UserId = userId,
            Headers = http.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            BodyText = bodyText,
            Body = body,
            Activity = activity,
            ConversationParameters = parameters,
        };
    }

    private sealed class Rule(Func<ConnectorRequest, bool> when, FakeConnectorResponse response, int? times)
    {
        public Func<ConnectorRequest, bool> When { get; } = when;
        public FakeConnectorResponse Response { get; } = response;
        public int? RemainingTimes { get; set; } = times;
    }
}
