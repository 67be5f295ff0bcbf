using System.Net.Mime;
using System.Text.Json;
using System.Text.Json.Serialization;

// The ceiling of the throughput benchmark: a bare ASP.NET Core minimal endpoint that parses the activity
// and posts the same reply PorBot would (the attachments of a captured PorBot reply) to the activity's
// serviceUrl, then answers 200. Nothing else: no authentication, middleware, routing of intents, storage
// or card building. What PorBot does on top of this is what its throughput is compared against.
//
//   dotnet PorBot.Bench.Ceiling.dll --urls http://127.0.0.1:3979 --reply reply.json

var builder = WebApplication.CreateBuilder(args);
// PorBot's logging levels (src/PorBot/appsettings.json): a real app logs, and the ceiling should not win by not logging.
builder.Logging.SetMinimumLevel(LogLevel.Information)
    .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
    .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
var replyFile = builder.Configuration["reply"] ?? throw new InvalidOperationException("--reply FILE (a reply activity PorBot posted) is required");
var app = builder.Build();

var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
using var template = JsonDocument.Parse(File.ReadAllBytes(replyFile));
var attachments = template.RootElement.TryGetProperty("attachments", out var a) ? a.Clone() : (JsonElement?)null;
var text = template.RootElement.TryGetProperty("text", out var t) ? t.GetString() : null;
using var http = new HttpClient();

app.MapPost("/api/messages", async (HttpContext context) =>
{
    var activity = await JsonSerializer.DeserializeAsync<InboundActivity>(context.Request.Body, json, context.RequestAborted);
    if (activity?.ServiceUrl is null || activity.Conversation?.Id is null || activity.Id is null) return Results.BadRequest();

    var reply = new Reply("message", activity.Recipient, activity.From, new ConversationRef(activity.Conversation.Id), activity.Id, text, attachments);
    var uri = $"{activity.ServiceUrl.TrimEnd('/')}/v3/conversations/{Uri.EscapeDataString(activity.Conversation.Id)}/activities/{Uri.EscapeDataString(activity.Id)}";
    using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(reply, json));
    content.Headers.ContentType = new(MediaTypeNames.Application.Json);
    using var response = await http.PostAsync(uri, content, context.RequestAborted);
    return response.IsSuccessStatusCode ? Results.Ok() : Results.StatusCode(StatusCodes.Status502BadGateway);
});

app.Run();

internal sealed record Account(string? Id, string? Name);
internal sealed record ConversationRef(string? Id);
internal sealed record InboundActivity(string? Type, string? Id, string? Text, string? ServiceUrl, Account? From, Account? Recipient, ConversationRef? Conversation);
internal sealed record Reply(string Type, Account? From, Account? Recipient, ConversationRef Conversation, string ReplyToId, string? Text, JsonElement? Attachments);
