using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Auth;
using PorBot.Protocol.Connector;

namespace PorBot.Protocol.Hosting;

public static class BotEndpoint
{
    /// <summary>
    /// Maps the Bot Framework messaging endpoint: size cap (413), JSON parse (400), channel
    /// authentication (401), then the turn; invokes are answered in the response body.
    /// </summary>
    public static IEndpointConventionBuilder MapBot(this IEndpointRouteBuilder endpoints, string pattern = "/api/messages") =>
        endpoints.MapPost(pattern, HandleAsync).DisableAntiforgery().WithName("BotMessages");

    private static Task HandleAsync(HttpContext http) => http.RequestServices.GetRequiredService<BotEndpointHandler>().HandleAsync(http);

    /// <summary>The endpoint's singletons, resolved once instead of on every request.</summary>
    internal sealed class BotEndpointHandler(
        ILoggerFactory loggerFactory,
        IOptions<BotHostingOptions> options,
        IChannelTokenValidator validator,
        ServiceUrlTrust serviceUrlTrust,
        TurnPipeline pipeline)
    {
        private readonly ILogger _logger = loggerFactory.CreateLogger("PorBot.Protocol.BotEndpoint");

        public async Task HandleAsync(HttpContext http)
        {
            var services = http.RequestServices;
            var cancellationToken = http.RequestAborted;

            var body = await ReadBodyAsync(http.Request, options.Value.MaxRequestBodyBytes, cancellationToken);
            if (body is null)
            {
                http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }

            var activity = TryParse(body.Value, out var problem);
            if (activity is null)
            {
                _logger.LogInformation("Rejected activity: {Problem}", problem);
                await WriteProblemAsync(http, StatusCodes.Status400BadRequest, problem!);
                return;
            }

            var auth = await validator.AuthenticateAsync(http.Request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null, activity, cancellationToken);
            if (!auth.Succeeded)
            {
                // The reason goes to the log only: telling a caller why its token failed helps attackers.
                _logger.LogWarning("Unauthorized request to the messaging endpoint: {Reason}", auth.FailureReason);
                http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            if (!auth.IsAnonymous && activity.ServiceUrl is { Length: > 0 } serviceUrl)
            {
                serviceUrlTrust.Trust(serviceUrl);
            }

            var correlationId = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
            var turn = new TurnContext(
                activity,
                auth.IsAnonymous ? ChannelAuthContext.Anonymous : new ChannelAuthContext(true, auth.Identity),
                services.GetRequiredService<IConnectorClient>(),
                services,
                correlationId);

            var invokeResponse = await pipeline.RunAsync(turn, cancellationToken);
            if (invokeResponse is null)
            {
                http.Response.StatusCode = StatusCodes.Status200OK;
                return;
            }

            http.Response.StatusCode = invokeResponse.Status;
            if (invokeResponse.Body is not null)
            {
                http.Response.ContentType = "application/json; charset=utf-8";
                await JsonSerializer.SerializeAsync(http.Response.Body, invokeResponse.Body, invokeResponse.Body.GetType(), ProtocolJson.Options, cancellationToken);
            }
        }
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; null when the body is larger.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        // Counting ourselves works on Kestrel and TestServer alike (TestServer ignores body size limits).
        if (request.ContentLength > limit) return null;

        // Sized by the stated length when there is one, plus a byte to see the end: the usual body is read
        // into one array, with no chunk to copy from and no second copy to hand out.
        var buffer = new byte[Math.Min(limit, (int)(request.ContentLength ?? 16 * 1024 - 1)) + 1];
        var filled = 0;
        while (true)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(limit + 1L, buffer.Length * 2L));
            var read = await request.Body.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0) return buffer.AsMemory(0, filled);
            filled += read;
            if (filled > limit) return null;
        }
    }

    private static Activity? TryParse(ReadOnlyMemory<byte> body, out string? problem)
    {
        problem = null;
        if (body.Length == 0)
        {
            problem = "The request body is empty; expected a JSON activity.";
            return null;
        }

        try
        {
            var activity = JsonSerializer.Deserialize<Activity>(body.Span, ProtocolJson.Options);
            if (activity is null) problem = "The request body is JSON null; expected an activity object.";
            else if (string.IsNullOrWhiteSpace(activity.Type)) problem = "The activity has no 'type'.";
            return problem is null ? activity : null;
        }
        catch (JsonException ex)
        {
            problem = $"The request body is not a valid activity: {ex.Message}";
            return null;
        }
    }

    private static Task WriteProblemAsync(HttpContext http, int status, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: "Bad activity").ExecuteAsync(http);
}
