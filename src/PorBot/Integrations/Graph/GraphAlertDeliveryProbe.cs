using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Protocol.Auth;

namespace PorBot.Integrations.Graph;

/// <summary>
/// <see cref="IAlertDeliveryProbe"/> through Microsoft Graph: reads the conversation's messages since the send and
/// looks for one from PorBot whose card carries the delivery key (Graph's message id is the connector's activity id).
/// Group chats: <c>/chats/{id}/messages</c>. Personal chats: the bot conversation id is not a Graph chat id, so the
/// chat is found through the user's installation of PorBot (<c>/users/{id}/teamwork/installedApps/{id}/chat</c>, kept
/// for the process). Channels: <c>/teams/{team group id}/channels/{id}/messages/delta</c>, the documented way to
/// list a channel's messages from a date on.
/// </summary>
public sealed partial class GraphAlertDeliveryProbe : IAlertDeliveryProbe, IDisposable
{
    // Graph's maximum page for chat and channel messages.
    private const int PageSize = 50;

    // Beyond this many messages since one send, a conversation is too busy to check cheaply: a person decides.
    private const int MaxPages = 20;

    private readonly GraphServiceClient _client;
    private readonly HttpClient _httpClient;
    private readonly GraphOptions _options;
    private readonly string _botAppId;
    private readonly ILogger<GraphAlertDeliveryProbe> _logger;
    private readonly ConcurrentDictionary<string, string> _personalChatIds = new(StringComparer.OrdinalIgnoreCase);

    public GraphAlertDeliveryProbe(IOptions<GraphOptions> options, IOptions<BotAuthenticationOptions> botOptions, GraphAccessTokenProvider tokenProvider,
        ILogger<GraphAlertDeliveryProbe> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(botOptions);
        _options = options.Value;
        _botAppId = botOptions.Value.MicrosoftAppId ?? "";
        _logger = logger;
        // Graph's own handler chain (retry on 429/503 with Retry-After, redirects, compression).
        _httpClient = GraphClientFactory.Create();
        _httpClient.Timeout = _options.Timeout;
        _client = new GraphServiceClient(_httpClient, new BaseBearerTokenAuthenticationProvider(tokenProvider), _options.BaseUrl);
    }

    public async Task<DeliveryEvidence> FindAsync(StoredConversationReference place, Guid deliveryKey, DateTimeOffset since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(place);
        var marker = AlertCardComposer.DeliveryMarker(deliveryKey);
        var where = $"{place.ConversationType ?? "unknown"} conversation {place.ConversationId}";
        try
        {
            switch (place.ConversationType)
            {
                case "personal":
                    if (place.UserAadObjectId.Length == 0) return CannotTell($"the personal {where} names no user, so its Graph chat cannot be found", transient: false);
                    if (await FindPersonalChatAsync(place.UserAadObjectId, cancellationToken) is not { } chatId)
                        return CannotTell($"Graph lists no installation of PorBot (bot {_botAppId}) for user {place.UserAadObjectId}", transient: false);
                    return await SearchChatAsync(chatId, marker, since, cancellationToken);
                case "groupChat":
                    return await SearchChatAsync(place.ConversationId, marker, since, cancellationToken);
                case "channel" when place.TeamAadGroupId is { Length: > 0 } team:
                    return await SearchChannelAsync(team, place.ConversationId.Split(';')[0], marker, since, cancellationToken);
                case "channel":
                    return CannotTell($"the {where} does not record its team's Entra group id (Teams sends it on installs and messages), so Graph cannot read it", transient: false);
                default:
                    return CannotTell($"Graph cannot read a {where}", transient: false);
            }
        }
        catch (ODataError ex)
        {
            var status = ex.ResponseStatusCode;
            LogGraphRefused(status, ex.Error?.Code, ex.Error?.Message, where);
            return CannotTell($"Microsoft Graph answered {status} {ex.Error?.Code} reading the {where}: {ex.Error?.Message}{PermissionHint(status)}".Trim(), IsTransient(status));
        }
        catch (ApiException ex)
        {
            return CannotTell($"Microsoft Graph answered {ex.ResponseStatusCode} reading the {where}: {ex.Message}{PermissionHint(ex.ResponseStatusCode)}", IsTransient(ex.ResponseStatusCode));
        }
        catch (HttpRequestException ex)
        {
            return CannotTell($"Microsoft Graph could not be reached: {ex.Message}", transient: true);
        }
        catch (TenantDirectoryException ex)
        {
            return CannotTell(ex.Message, transient: true);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return CannotTell($"Microsoft Graph did not answer within {_options.Timeout}", transient: true);
        }
    }

    public void Dispose() => _httpClient.Dispose();

    private async Task<string?> FindPersonalChatAsync(string userAadObjectId, CancellationToken cancellationToken)
    {
        if (_personalChatIds.TryGetValue(userAadObjectId, out var known)) return known;

        var installations = await _client.Users[userAadObjectId].Teamwork.InstalledApps.GetAsync(request =>
        {
            request.QueryParameters.Expand = ["teamsAppDefinition($expand=bot)"];
            request.QueryParameters.Filter = $"teamsAppDefinition/bot/id eq '{_botAppId}'";
        }, cancellationToken);
        var installation = installations?.Value?.FirstOrDefault(i => string.Equals(i.TeamsAppDefinition?.Bot?.Id, _botAppId, StringComparison.OrdinalIgnoreCase));
        if (installation?.Id is null) return null;

        var chat = await _client.Users[userAadObjectId].Teamwork.InstalledApps[installation.Id].Chat.GetAsync(cancellationToken: cancellationToken);
        if (chat?.Id is not { Length: > 0 } chatId) return null;
        _personalChatIds[userAadObjectId] = chatId;
        return chatId;
    }

    private async Task<DeliveryEvidence> SearchChatAsync(string chatId, string marker, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var messages = _client.Chats[chatId].Messages;
        // The filter only works together with an orderby on the same property; any message created since was modified since.
        var page = await messages.GetAsync(request =>
        {
            request.QueryParameters.Top = PageSize;
            request.QueryParameters.Orderby = ["lastModifiedDateTime desc"];
            request.QueryParameters.Filter = $"lastModifiedDateTime gt {ODataTime(since)}";
        }, cancellationToken);
        for (var pages = 1; page is not null; pages++)
        {
            if (FindIn(page.Value, marker) is { } found) return found;
            if (page.OdataNextLink is not { } next) return new DeliveryEvidence.NotFound();
            if (pages == MaxPages) return TooMany(chatId, since);
            page = await messages.WithUrl(next).GetAsync(cancellationToken: cancellationToken);
        }

        return new DeliveryEvidence.NotFound();
    }

    private async Task<DeliveryEvidence> SearchChannelAsync(string teamGroupId, string channelId, string marker, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var delta = _client.Teams[teamGroupId].Channels[channelId].Messages.Delta;
        var page = await delta.GetAsDeltaGetResponseAsync(request =>
        {
            request.QueryParameters.Top = PageSize;
            request.QueryParameters.Filter = $"lastModifiedDateTime gt {ODataTime(since)}";
        }, cancellationToken);
        for (var pages = 1; page is not null; pages++)
        {
            if (FindIn(page.Value, marker) is { } found) return found;
            if (page.OdataNextLink is not { } next) return new DeliveryEvidence.NotFound();
            if (pages == MaxPages) return TooMany(channelId, since);
            page = await delta.WithUrl(next).GetAsDeltaGetResponseAsync(cancellationToken: cancellationToken);
        }

        return new DeliveryEvidence.NotFound();
    }

    private DeliveryEvidence.Found? FindIn(List<ChatMessage>? messages, string marker)
    {
        var match = messages?.FirstOrDefault(m =>
            m.Id is not null
            && string.Equals(m.From?.Application?.Id, _botAppId, StringComparison.OrdinalIgnoreCase)
            && (m.Attachments?.Any(a => a.Content?.Contains(marker, StringComparison.Ordinal) == true) == true
                || m.Body?.Content?.Contains(marker, StringComparison.Ordinal) == true));
        return match is null ? null : new DeliveryEvidence.Found(match.Id!);
    }

    private static DeliveryEvidence.CannotTell TooMany(string where, DateTimeOffset since) =>
        CannotTell($"more than {PageSize * MaxPages} messages in {where} since {since:u}: too many to check", transient: false);

    private static DeliveryEvidence.CannotTell CannotTell(string reason, bool transient) => new(reason, transient);

    private static bool IsTransient(int status) => status is 0 or 408 or 429 or >= 500;

    private static string PermissionHint(int status) => status is (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden
        ? " (does the app have Chat.Read.WhereInstalled, TeamsAppInstallation.ReadForUser.All, and for channels ChannelMessage.Read.Group? See README, Alerts)"
        : "";

    private static string ODataTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Graph refused reading messages: {Status} {Code} {Message} ({Where})")]
    private partial void LogGraphRefused(int status, string? code, string? message, string where);
}
