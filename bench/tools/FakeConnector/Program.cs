using System.Text;

// The Bot Connector stand-in of the benchmarks: answers what a bot posts to its serviceUrl as fast as
// Kestrel can and counts it, so that the connector is never what limits a bot under test.
//
//   dotnet PorBot.Bench.FakeConnector.dll --urls http://127.0.0.1:3980
//
// POST/PUT/DELETE /v3/conversations/{id}/activities[/{activityId}] and POST /v3/conversations answer 200.
// GET /stats: counts since start ({"messages","typing","apologies","updates","deletes","conversations","bytes"});
// GET /last: the last message body a bot posted (not typing), to check what the bot answered.

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var stats = new Counters();
byte[] last = [];

app.MapPost("/v3/conversations/{conversationId}/activities/{activityId?}", async (HttpRequest request) =>
{
    var body = await ReadAsync(request);
    Interlocked.Add(ref stats.Bytes, body.Length);
    if (body.AsSpan().IndexOf("\"typing\""u8) >= 0)
    {
        Interlocked.Increment(ref stats.Typing);
    }
    else
    {
        Interlocked.Increment(ref stats.Messages);
        // PorBot's apology for a failed turn: a benchmark with apologies has errors even when HTTP said 200.
        if (body.AsSpan().IndexOf("Sorry, something went wrong"u8) >= 0) Interlocked.Increment(ref stats.Apologies);
        Volatile.Write(ref last, body);
    }

    return Results.Text($"{{\"id\":\"{Interlocked.Increment(ref stats.NextId)}\"}}", "application/json");
});
app.MapPut("/v3/conversations/{conversationId}/activities/{activityId}", async (HttpRequest request, string activityId) =>
{
    Interlocked.Add(ref stats.Bytes, (await ReadAsync(request)).Length);
    Interlocked.Increment(ref stats.Updates);
    return Results.Text($"{{\"id\":\"{activityId}\"}}", "application/json");
});
app.MapDelete("/v3/conversations/{conversationId}/activities/{activityId}", () =>
{
    Interlocked.Increment(ref stats.Deletes);
    return Results.Text("{}", "application/json");
});
app.MapPost("/v3/conversations", async (HttpRequest request) =>
{
    await ReadAsync(request);
    Interlocked.Increment(ref stats.Conversations);
    return Results.Text($"{{\"id\":\"a:bench-{Interlocked.Increment(ref stats.NextId)}\"}}", "application/json");
});
app.MapGet("/stats", () => Results.Text(
    $"{{\"messages\":{Volatile.Read(ref stats.Messages)},\"typing\":{Volatile.Read(ref stats.Typing)},\"apologies\":{Volatile.Read(ref stats.Apologies)}," +
    $"\"updates\":{Volatile.Read(ref stats.Updates)},\"deletes\":{Volatile.Read(ref stats.Deletes)},\"conversations\":{Volatile.Read(ref stats.Conversations)}," +
    $"\"bytes\":{Volatile.Read(ref stats.Bytes)}}}", "application/json"));
app.MapGet("/last", () => Results.Text(Encoding.UTF8.GetString(Volatile.Read(ref last)), "application/json"));

app.Run();

static async Task<byte[]> ReadAsync(HttpRequest request)
{
    using var buffer = new MemoryStream(request.ContentLength is > 0 and < 1 << 20 ? (int)request.ContentLength.Value : 4096);
    await request.Body.CopyToAsync(buffer);
    return buffer.ToArray();
}

internal sealed class Counters
{
    public long Messages;
    public long Typing;
    public long Apologies;
    public long Updates;
    public long Deletes;
    public long Conversations;
    public long Bytes;
    public long NextId;
}
