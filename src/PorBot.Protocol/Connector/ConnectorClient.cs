using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Auth;

namespace PorBot.Protocol.Connector;

/// <summary>
/// The Bot Connector REST API v3 over HttpClient: escaped paths under the serviceUrl, the bot's
/// token only for trusted serviceUrls, retries with jittered backoff on throttling and gateway
/// errors, and every HTTP failure turned into a <see cref="ConnectorException"/>.
/// </summary>
public sealed class ConnectorClient(
    HttpClient httpClient,
    IBotTokenProvider tokenProvider,
    ServiceUrlTrust serviceUrlTrust,
    ILogger<ConnectorClient> logger) : IConnectorClient
{
    internal const string CorrelationIdHeader = "X-Correlating-OperationId";
    private const int MaxErrorTextLength = 1000;

    internal ConnectorRetryPolicy RetryPolicy { get; init; } = ConnectorRetryPolicy.Default;

    public IConnectorClient WithoutRetries() =>
        new ConnectorClient(httpClient, tokenProvider, serviceUrlTrust, logger) { RetryPolicy = RetryPolicy.WithoutRetries() };

    public async Task<ResourceResponse> SendToConversationAsync(string serviceUrl, string conversationId, Activity activity, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        ArgumentNullException.ThrowIfNull(activity);
        return await CallAsync<ResourceResponse>("SendToConversation", HttpMethod.Post, serviceUrl,
            $"v3/conversations/{Escape(conversationId)}/activities", ActivityJsonWriter.ToUtf8Bytes(activity), emptyBodyAllowed: true, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ResourceResponse> ReplyToActivityAsync(string serviceUrl, string conversationId, string activityId, Activity activity, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        ArgumentException.ThrowIfNullOrEmpty(activityId);
        ArgumentNullException.ThrowIfNull(activity);
        return await CallAsync<ResourceResponse>("ReplyToActivity", HttpMethod.Post, serviceUrl,
            $"v3/conversations/{Escape(conversationId)}/activities/{Escape(activityId)}", ActivityJsonWriter.ToUtf8Bytes(activity), emptyBodyAllowed: true, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ResourceResponse> UpdateActivityAsync(string serviceUrl, string conversationId, string activityId, Activity activity, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        ArgumentException.ThrowIfNullOrEmpty(activityId);
        ArgumentNullException.ThrowIfNull(activity);

        // The connector wants the full activity with its id and type; fill them in without mutating the caller's object.
        var body = JsonSerializer.SerializeToNode(activity, ProtocolJson.Options)!.AsObject();
        body["id"] = activityId;
        if (body["type"] is null) body["type"] = ActivityTypes.Message;

        return await CallAsync<ResourceResponse>("UpdateActivity", HttpMethod.Put, serviceUrl,
            $"v3/conversations/{Escape(conversationId)}/activities/{Escape(activityId)}", Serialize(body), emptyBodyAllowed: true, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteActivityAsync(string serviceUrl, string conversationId, string activityId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        ArgumentException.ThrowIfNullOrEmpty(activityId);
        await CallAsync<ResourceResponse>("DeleteActivity", HttpMethod.Delete, serviceUrl,
            $"v3/conversations/{Escape(conversationId)}/activities/{Escape(activityId)}", body: null, emptyBodyAllowed: true, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ConversationResourceResponse> CreateConversationAsync(string serviceUrl, ConversationParameters parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return await CallAsync<ConversationResourceResponse>("CreateConversation", HttpMethod.Post, serviceUrl,
            "v3/conversations", Serialize(parameters), emptyBodyAllowed: false, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ChannelAccount> GetConversationMemberAsync(string serviceUrl, string conversationId, string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return await CallAsync<ChannelAccount>("GetConversationMember", HttpMethod.Get, serviceUrl,
            $"v3/conversations/{Escape(conversationId)}/members/{Escape(userId)}", body: null, emptyBodyAllowed: false, cancellationToken).ConfigureAwait(false);
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, ProtocolJson.Options);

    private async Task<T> CallAsync<T>(
        string operation, HttpMethod method, string serviceUrl, string relativePath, byte[]? body, bool emptyBodyAllowed, CancellationToken cancellationToken)
        where T : class, new()
    {
        var uri = BuildUri(operation, serviceUrl, relativePath);
        var policy = RetryPolicy;

        for (var retry = 0; ; retry++)
        {
            // Asked per attempt: after a long backoff the cached token may have been refreshed.
            var token = await GetTokenAsync(operation, cancellationToken).ConfigureAwait(false);
            if (token is not null && !serviceUrlTrust.IsTrusted(serviceUrl))
            {
                logger.LogWarning("{Operation} refused: serviceUrl {ServiceUrl} did not arrive on an authenticated activity, so the bot token is not sent there.",
                    operation, serviceUrl);
                throw new ConnectorException(
                    $"{operation} refused: serviceUrl '{serviceUrl}' is not trusted (it never arrived on an authenticated activity).",
                    statusCode: null, errorCode: "UntrustedServiceUrl", correlationId: null);
            }

            using var request = new HttpRequestMessage(method, uri);
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            }

            HttpResponseMessage response;
            try
            {
                response = await httpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var what = ex is HttpRequestException ? "network error" : "timeout";
                if (retry < policy.MaxRetries)
                {
                    var wait = policy.GetDelay(retry + 1, retryAfter: null);
                    logger.LogWarning("{Operation} to {Host}: {What} ({Message}); retry {Retry}/{MaxRetries} in {Delay} ms.",
                        operation, uri.Host, what, ex.Message, retry + 1, policy.MaxRetries, (long)wait.TotalMilliseconds);
                    await policy.Delay(wait, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                logger.LogWarning(ex, "{Operation} to {Host} failed after {Attempts} attempts: {What}.", operation, uri.Host, retry + 1, what);
                throw new ConnectorException(
                    $"{operation} to {uri.Host} failed after {retry + 1} attempts: {what} ({ex.Message}).",
                    statusCode: null, errorCode: ex is HttpRequestException ? "NetworkError" : "Timeout", correlationId: null, ex);
            }

            using (response)
            {
                if (response.IsSuccessStatusCode)
                    return await ReadSuccessAsync<T>(operation, response, emptyBodyAllowed, cancellationToken).ConfigureAwait(false);

                var status = response.StatusCode;
                var correlationId = GetCorrelationId(response);
                var text = await ReadTextAsync(response, cancellationToken).ConfigureAwait(false);
                var (errorCode, errorMessage) = ParseError(text);

                if (ConnectorRetryPolicy.IsRetryable(status) && retry < policy.MaxRetries)
                {
                    var wait = policy.GetDelay(retry + 1, response.Headers.RetryAfter);
                    logger.LogWarning("{Operation} to {Host}: {Status} {ErrorCode}; retry {Retry}/{MaxRetries} in {Delay} ms (correlation id {CorrelationId}).",
                        operation, uri.Host, (int)status, errorCode, retry + 1, policy.MaxRetries, (long)wait.TotalMilliseconds, correlationId);
                    await policy.Delay(wait, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var attempts = retry > 0 ? $" after {retry + 1} attempts" : "";
                var message = $"{operation} failed{attempts}: {(int)status} {status}"
                    + (errorCode is null ? "" : $" [{errorCode}]")
                    + (errorMessage is null ? "" : $": {errorMessage}")
                    + (correlationId is null ? "" : $" (correlation id {correlationId})");
                logger.LogWarning("{Operation} to {Host} failed{Attempts}: {Status} {ErrorCode} {ErrorMessage} (correlation id {CorrelationId}).",
                    operation, uri.Host, attempts, (int)status, errorCode, errorMessage, correlationId);
                throw new ConnectorException(message, status, errorCode, correlationId)
                {
                    RetryAfter = policy.RequestedDelay(response.Headers.RetryAfter),
                };
            }
        }
    }

    private static Uri BuildUri(string operation, string serviceUrl, string relativePath)
    {
        // Plain concatenation, not new Uri(base, relative): escaped ':' in the first segment must stay a path.
        return new Uri(BaseUri(operation, serviceUrl) + relativePath, UriKind.Absolute);
    }

    // A bot talks to a handful of serviceUrls (one per region), each checked once rather than on every call.
    private static readonly ConcurrentDictionary<string, string> CheckedBaseUris = new(StringComparer.Ordinal);
    private const int MaxCheckedBaseUris = 64;

    private static string BaseUri(string operation, string serviceUrl)
    {
        if (serviceUrl is not null && CheckedBaseUris.TryGetValue(serviceUrl, out var known)) return known;
        if (string.IsNullOrWhiteSpace(serviceUrl)
            || !Uri.TryCreate(serviceUrl.TrimEnd('/') + "/", UriKind.Absolute, out var baseUri)
            || (baseUri.Scheme != Uri.UriSchemeHttps && baseUri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ConnectorException($"{operation} refused: serviceUrl '{serviceUrl}' is not an absolute http(s) URL.",
                statusCode: null, errorCode: "InvalidServiceUrl", correlationId: null);
        }

        if (CheckedBaseUris.Count >= MaxCheckedBaseUris) CheckedBaseUris.Clear();
        return CheckedBaseUris[serviceUrl] = baseUri.AbsoluteUri;
    }

    private async Task<string?> GetTokenAsync(string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await tokenProvider.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The token provider already logged the details.
            throw new ConnectorException($"{operation} not sent: no Bot Connector token. {ex.Message}",
                statusCode: null, errorCode: "TokenUnavailable", correlationId: null, ex);
        }
    }

    private async Task<T> ReadSuccessAsync<T>(string operation, HttpResponseMessage response, bool emptyBodyAllowed, CancellationToken cancellationToken)
        where T : class, new()
    {
        var text = await ReadTextAsync(response, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(text))
        {
            try
            {
                if (JsonSerializer.Deserialize<T>(text, ProtocolJson.Options) is { } parsed) return parsed;
            }
            catch (JsonException ex) when (emptyBodyAllowed)
            {
                // The call succeeded (the message was posted); throwing would invite a duplicate resend.
                logger.LogWarning(ex, "{Operation} succeeded with {Status} but its body is not the expected JSON; continuing without it.",
                    operation, (int)response.StatusCode);
                return new T();
            }
            catch (JsonException ex)
            {
                throw new ConnectorException($"{operation} returned {(int)response.StatusCode} with a body that is not the expected JSON.",
                    response.StatusCode, "InvalidResponse", GetCorrelationId(response), ex);
            }
        }

        if (emptyBodyAllowed) return new T();
        throw new ConnectorException($"{operation} returned {(int)response.StatusCode} without a body.",
            response.StatusCode, "InvalidResponse", GetCorrelationId(response));
    }

    private static async Task<string> ReadTextAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException)
        {
            return "";
        }
    }

    private static string? GetCorrelationId(HttpResponseMessage response) =>
        response.Headers.TryGetValues(CorrelationIdHeader, out var values) ? values.FirstOrDefault() : null;

    /// <summary>
    /// The error code and message from whatever the service sent: the documented
    /// <c>{"error":{"code","message"}}</c>, Teams' <c>{"errorCode":209,"message":"{\"subCode\":...}"}</c>,
    /// OAuth-style <c>{"error":"x","error_description":"y"}</c>, or plain text.
    /// </summary>
    internal static (string? Code, string? Message) ParseError(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (null, null);
        try
        {
            using var document = JsonDocument.Parse(text, ProtocolJson.DocumentOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, Truncate(text));

            string? code = null, message = null;
            if (Property(root, "error") is { } error)
            {
                if (error.ValueKind == JsonValueKind.Object)
                {
                    code = AsText(Property(error, "code"));
                    message = AsText(Property(error, "message"));
                }
                else
                {
                    code = AsText(error);
                    message = AsText(Property(root, "error_description"));
                }
            }
            code ??= AsText(Property(root, "errorCode")) ?? AsText(Property(root, "code"));
            message ??= AsText(Property(root, "message"));

            // Teams nests the useful part as JSON text inside "message", e.g. {"subCode":"MessageWritesBlocked",...}.
            if (message is not null && message.TrimStart().StartsWith('{'))
            {
                try
                {
                    using var inner = JsonDocument.Parse(message, ProtocolJson.DocumentOptions);
                    if (inner.RootElement.ValueKind == JsonValueKind.Object
                        && AsText(Property(inner.RootElement, "subCode")) is { } subCode)
                    {
                        code = subCode;
                    }
                }
                catch (JsonException)
                {
                    // Not JSON after all: keep the text as it is.
                }
            }
            return (code, message is null ? (code is null ? Truncate(text) : null) : Truncate(message));
        }
        catch (JsonException)
        {
            return (null, Truncate(text));
        }
    }

    private static JsonElement? Property(JsonElement obj, string name)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        }
        return null;
    }

    private static string? AsText(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString() is { Length: > 0 } str ? str : null,
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        _ => null,
    };

    private static string Truncate(string text)
    {
        text = text.Trim();
        return text.Length <= MaxErrorTextLength ? text : text[..MaxErrorTextLength] + "…";
    }
}
