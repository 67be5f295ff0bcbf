using PorBot.Testing;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace PorBot.Tests.Integrations;

public sealed record FakeTenant(Guid TenantId, string DisplayName, string DefaultDomainName, string[] Domains);

public sealed record FakeGraphRequest(string PathAndQuery, string? Authorization, int Status);

/// <summary>
/// The slice of Microsoft Graph v1.0 PorBot uses (tenantRelationships; chat and channel messages, and the chat
/// of a user's installation of the bot), on real Kestrel at 127.0.0.1 port 0, so the real Graph SDK runs against
/// it. Pages with absolute <c>@odata.nextLink</c>s back to itself; answers Graph-shaped errors. Messages are
/// not scripted: they are what <see cref="Connector"/> shows in the conversation, as in Teams, where Graph reads
/// the very messages the Bot Connector posted.
/// </summary>
public sealed partial class FakeGraphServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly List<FakeTenant> _tenants = [];
    private readonly List<FakeTenant> _gdapCustomers = [];
    private readonly Lock _gate = new();
    private readonly List<FakeGraphRequest> _requests = [];
    private readonly Dictionary<string, (string ChatId, string ConversationId)> _personalChats = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _chatConversations = new(StringComparer.Ordinal);
    private readonly HashSet<(string TeamGroupId, string ChannelId)> _channels = [];

    private FakeGraphServer(WebApplication app) => _app = app;

    /// <summary>The server root; Graph's v1.0 is under <c>/v1.0</c>.</summary>
    public string Root { get; private set; } = "";

    public string BaseUrl => Root + "/v1.0";

    /// <summary>A bearer token the server insists on; null accepts any request.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>When set, every request gets this status with a Graph error body.</summary>
    public HttpStatusCode? FailWith { get; set; }

    public IReadOnlyList<FakeGraphRequest> Requests
    {
        get { lock (_gate) return [.. _requests]; }
    }

    /// <summary>Where chat and channel messages come from: the conversations of this fake connector.</summary>
    public FakeConnectorServer? Connector { get; set; }

    /// <summary>The bot's app id: messages the connector posted are from this application, and its installations have this bot.</summary>
    public string BotAppId { get; set; } = "";

    /// <summary>
    /// The user has the bot installed; their 1:1 chat with it has Graph id <paramref name="chatId"/> and is the bot
    /// conversation <paramref name="conversationId"/> (Teams uses different ids for the two).
    /// </summary>
    public void AddPersonalChat(string userAadObjectId, string chatId, string conversationId)
    {
        lock (_gate)
        {
            _personalChats[userAadObjectId] = (chatId, conversationId);
            _chatConversations[chatId] = conversationId;
        }
    }

    /// <summary>A channel of a team (by Entra group id) whose messages are its bot conversation's, the conversation id being the channel id.</summary>
    public void AddChannel(string teamGroupId, string channelId)
    {
        lock (_gate) _channels.Add((teamGroupId, channelId));
    }

    public static async Task<FakeGraphServer> StartAsync()
    {
        var (server, root) = await LoopbackServer.StartAsync(app =>
        {
            var created = new FakeGraphServer(app);
            app.Run(created.HandleAsync);
            return created;
        });
        server.Root = root;
        return server;
    }

    public void AddTenant(FakeTenant tenant) => _tenants.Add(tenant);

    public void AddGdapCustomer(FakeTenant tenant) => _gdapCustomers.Add(tenant);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var status = await AnswerAsync(context);
        var authorization = context.Request.Headers.Authorization.ToString();
        lock (_gate) _requests.Add(new FakeGraphRequest(context.Request.Path + context.Request.QueryString, authorization.Length > 0 ? authorization : null, status));
    }

    private async Task<int> AnswerAsync(HttpContext context)
    {
        if (RequiredToken is { } token && context.Request.Headers.Authorization.ToString() != "Bearer " + token)
            return await ErrorAsync(context, HttpStatusCode.Unauthorized, "InvalidAuthenticationToken", "Access token is empty.");
        if (FailWith is { } failure)
            return await ErrorAsync(context, failure, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");

        var path = context.Request.Path.Value ?? "";
        if (ByTenantId().Match(path) is { Success: true } byId)
        {
            var tenant = Guid.TryParse(byId.Groups[1].Value, out var id) ? _tenants.FirstOrDefault(t => t.TenantId == id) : null;
            return tenant is null
                ? await ErrorAsync(context, HttpStatusCode.NotFound, "Request_ResourceNotFound", $"Resource '{byId.Groups[1].Value}' does not exist.")
                : await WriteAsync(context, TenantInformation(tenant));
        }

        if (ByDomainName().Match(path) is { Success: true } byDomain)
        {
            var domain = byDomain.Groups[1].Value;
            var tenant = _tenants.FirstOrDefault(t => t.Domains.Contains(domain, StringComparer.OrdinalIgnoreCase));
            return tenant is null
                ? await ErrorAsync(context, HttpStatusCode.NotFound, "Request_ResourceNotFound", $"Domain '{domain}' does not exist.")
                : await WriteAsync(context, TenantInformation(tenant));
        }

        if (path == "/v1.0/tenantRelationships/delegatedAdminCustomers")
        {
            var top = int.TryParse(context.Request.Query["$top"], CultureInfo.InvariantCulture, out var t) ? t : 100;
            var skip = int.TryParse(context.Request.Query["$skiptoken"], CultureInfo.InvariantCulture, out var s) ? s : 0;
            var page = _gdapCustomers.Skip(skip).Take(top).Select(c => new Dictionary<string, object>
            {
                ["id"] = c.TenantId.ToString("D"),
                ["tenantId"] = c.TenantId.ToString("D"),
                ["displayName"] = c.DisplayName,
            }).ToList();
            var body = new Dictionary<string, object>
            {
                ["@odata.context"] = BaseUrl + "/$metadata#tenantRelationships/delegatedAdminCustomers",
                ["value"] = page,
            };
            if (skip + top < _gdapCustomers.Count)
                body["@odata.nextLink"] = $"{BaseUrl}/tenantRelationships/delegatedAdminCustomers?$top={top}&$skiptoken={skip + top}";
            return await WriteAsync(context, body);
        }

        if (InstalledApps().Match(path) is { Success: true } installed)
        {
            var botFilter = BotIdFilter().Match(context.Request.Query["$filter"].ToString());
            var user = installed.Groups[1].Value;
            bool known;
            lock (_gate) known = _personalChats.ContainsKey(user);
            var apps = known && (!botFilter.Success || string.Equals(botFilter.Groups[1].Value, BotAppId, StringComparison.OrdinalIgnoreCase))
                ? new[] { Installation(user) }
                : [];
            return await WriteAsync(context, new Dictionary<string, object> { ["value"] = apps });
        }

        if (InstalledAppChat().Match(path) is { Success: true } installedChat)
        {
            (string ChatId, string ConversationId) chat;
            bool known;
            lock (_gate) known = _personalChats.TryGetValue(installedChat.Groups[1].Value, out chat);
            return known && installedChat.Groups[2].Value == InstallationId(installedChat.Groups[1].Value)
                ? await WriteAsync(context, new Dictionary<string, object> { ["id"] = chat.ChatId, ["chatType"] = "oneOnOne" })
                : await ErrorAsync(context, HttpStatusCode.NotFound, "NotFound", "No such installation.");
        }

        if (ChatMessages().Match(path) is { Success: true } chatMessages)
        {
            string conversationId;
            lock (_gate) conversationId = _chatConversations.GetValueOrDefault(chatMessages.Groups[1].Value, chatMessages.Groups[1].Value);
            return await WriteMessagesAsync(context, conversationId, delta: false);
        }

        if (ChannelDelta().Match(path) is { Success: true } channelDelta)
        {
            bool known;
            lock (_gate) known = _channels.Contains((channelDelta.Groups[1].Value, channelDelta.Groups[2].Value));
            return known
                ? await WriteMessagesAsync(context, channelDelta.Groups[2].Value, delta: true)
                : await ErrorAsync(context, HttpStatusCode.NotFound, "NotFound", "No such team or channel.");
        }

        return await ErrorAsync(context, HttpStatusCode.BadRequest, "BadRequest", $"Resource not found for the segment '{path}'.");
    }

    private static string InstallationId(string user) => "installation-" + user;

    private Dictionary<string, object> Installation(string user) => new()
    {
        ["id"] = InstallationId(user),
        ["teamsAppDefinition"] = new Dictionary<string, object>
        {
            ["id"] = "definition-1",
            ["teamsAppId"] = "porbot-app",
            ["displayName"] = "PorBot",
            ["bot"] = new Dictionary<string, object> { ["id"] = BotAppId },
        },
    };

    /// <summary>Newest change first, as Graph orders them with <c>$orderby=lastModifiedDateTime desc</c>; filtered by <c>lastModifiedDateTime gt</c>.</summary>
    private async Task<int> WriteMessagesAsync(HttpContext context, string conversationId, bool delta)
    {
        var query = context.Request.Query;
        var filter = ModifiedAfter().Match(query["$filter"].ToString());
        var after = filter.Success ? DateTimeOffset.Parse(filter.Groups[1].Value, CultureInfo.InvariantCulture) : DateTimeOffset.MinValue;
        var top = int.TryParse(query["$top"], CultureInfo.InvariantCulture, out var t) ? t : 20;
        var skip = int.TryParse(query["$skiptoken"], CultureInfo.InvariantCulture, out var s) ? s : 0;
        var all = (Connector?.Messages(conversationId) ?? []).Where(m => m.LastModifiedAt > after).OrderByDescending(m => m.LastModifiedAt).ToList();

        var body = new Dictionary<string, object>
        {
            ["@odata.context"] = BaseUrl + "/$metadata#chatMessages",
            ["value"] = all.Skip(skip).Take(top).Select(ChatMessage).ToList(),
        };
        if (skip + top < all.Count)
        {
            var next = new StringBuilder($"{Root}{context.Request.Path}?$top={top}&$skiptoken={skip + top}");
            if (filter.Success) next.Append("&$filter=").Append(Uri.EscapeDataString(query["$filter"].ToString()));
            body["@odata.nextLink"] = next.ToString();
        }
        else if (delta)
        {
            body["@odata.deltaLink"] = $"{Root}{context.Request.Path}?$deltatoken=fake";
        }

        return await WriteAsync(context, body);
    }

    private Dictionary<string, object?> ChatMessage(PostedMessage message)
    {
        var attachments = message.Content.TryGetProperty("attachments", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select((a, i) => new Dictionary<string, object?>
            {
                ["id"] = $"{message.ActivityId}-{i}",
                ["contentType"] = a.TryGetProperty("contentType", out var type) ? type.GetString() : null,
                // Graph gives a card as its JSON text.
                ["content"] = a.TryGetProperty("content", out var content) ? content.GetRawText() : null,
            }).ToList()
            : [];
        var text = message.Content.TryGetProperty("text", out var t) ? t.GetString() : null;
        return new Dictionary<string, object?>
        {
            ["id"] = message.ActivityId,
            ["messageType"] = "message",
            ["createdDateTime"] = message.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["lastModifiedDateTime"] = message.LastModifiedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["from"] = new Dictionary<string, object?>
            {
                ["application"] = new Dictionary<string, object?> { ["id"] = BotAppId, ["displayName"] = "PorBot", ["applicationIdentityType"] = "bot" },
            },
            ["body"] = new Dictionary<string, object?>
            {
                ["contentType"] = "html",
                ["content"] = text ?? string.Concat(attachments.Select(a => $"<attachment id=\"{a["id"]}\"></attachment>")),
            },
            ["attachments"] = attachments,
        };
    }

    private Dictionary<string, object> TenantInformation(FakeTenant tenant) => new()
    {
        ["@odata.context"] = BaseUrl + "/$metadata#microsoft.graph.tenantInformation",
        ["tenantId"] = tenant.TenantId.ToString("D"),
        ["federationBrandName"] = null!,
        ["displayName"] = tenant.DisplayName,
        ["defaultDomainName"] = tenant.DefaultDomainName,
    };

    private static async Task<int> WriteAsync(HttpContext context, object body)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
        return 200;
    }

    private static async Task<int> ErrorAsync(HttpContext context, HttpStatusCode status, string code, string message)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            error = new { code, message, innerError = new { date = DateTimeOffset.UtcNow, requestId = Guid.NewGuid() } },
        }, Json));
        return (int)status;
    }

    [GeneratedRegex(@"^/v1\.0/tenantRelationships/findTenantInformationByTenantId\(tenantId='([^']*)'\)$")]
    private static partial Regex ByTenantId();

    [GeneratedRegex(@"^/v1\.0/tenantRelationships/findTenantInformationByDomainName\(domainName='([^']*)'\)$")]
    private static partial Regex ByDomainName();

    [GeneratedRegex(@"^/v1\.0/users/([^/]+)/teamwork/installedApps$")]
    private static partial Regex InstalledApps();

    [GeneratedRegex(@"^/v1\.0/users/([^/]+)/teamwork/installedApps/([^/]+)/chat$")]
    private static partial Regex InstalledAppChat();

    [GeneratedRegex(@"^/v1\.0/chats/([^/]+)/messages$")]
    private static partial Regex ChatMessages();

    [GeneratedRegex(@"^/v1\.0/teams/([^/]+)/channels/([^/]+)/messages/delta(?:\(\))?$")]
    private static partial Regex ChannelDelta();

    [GeneratedRegex(@"bot/id eq '([^']*)'")]
    private static partial Regex BotIdFilter();

    [GeneratedRegex(@"lastModifiedDateTime gt (\S+)")]
    private static partial Regex ModifiedAfter();
}
