using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PorBot.Bench.Harness;

/// <summary>What wrk sends: one text or a file of texts (a mix), from users of one tenant.</summary>
internal sealed record TurnLoad(string? Text = null, string? TextsFile = null, string Tenant = "t1", int Conversations = 64, int DelayMs = 0);

internal sealed record WrkErrors(
    [property: JsonPropertyName("connect")] long Connect,
    [property: JsonPropertyName("read")] long Read,
    [property: JsonPropertyName("write")] long Write,
    [property: JsonPropertyName("status")] long Status,
    [property: JsonPropertyName("timeout")] long Timeout)
{
    public long Total => Connect + Read + Write + Status + Timeout;

    public override string ToString() => Total == 0 ? "none" : BenchContext.Invariant(
        $"{Total} (connect {Connect}, read {Read}, write {Write}, non-2xx {Status}, timeout {Timeout})");
}

internal sealed record WrkResult(
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("duration_us")] long DurationUs,
    [property: JsonPropertyName("p50_us")] long P50Us,
    [property: JsonPropertyName("p90_us")] long P90Us,
    [property: JsonPropertyName("p99_us")] long P99Us,
    [property: JsonPropertyName("max_us")] long MaxUs,
    [property: JsonPropertyName("errors")] WrkErrors Errors)
{
    public double RequestsPerSecond => Requests / (DurationUs / 1e6);
}

/// <summary>The load generator: Debian's wrk with our Lua script (bench/tools/wrk/turns.lua).</summary>
internal static class Wrk
{
    public static void EnsureInstalled()
    {
        if (File.Exists("/usr/bin/wrk") || FindOnPath("wrk") is not null) return;
        throw new InvalidOperationException("wrk is not installed: `apt-get install -y wrk` (bench/run installs it).");
    }

    public static async Task<WrkResult> RunAsync(BenchContext context, string url, string serviceUrl, TurnLoad load, int seconds,
        int connections, string logName, int threads = 2)
    {
        var environment = new Dictionary<string, string?>
        {
            ["SERVICE_URL"] = serviceUrl,
            ["TEXT"] = load.Text,
            ["TEXTS_FILE"] = load.TextsFile,
            ["TENANT"] = load.Tenant,
            ["CONVERSATIONS"] = load.Conversations.ToString(CultureInfo.InvariantCulture),
            ["DELAY_MS"] = load.DelayMs.ToString(CultureInfo.InvariantCulture),
        };
        var log = context.Log(logName);
        var exit = await ChildProcess.RunAsync("wrk", FindOnPath("wrk") ?? "/usr/bin/wrk",
            ["-t" + threads.ToString(CultureInfo.InvariantCulture), "-c" + connections.ToString(CultureInfo.InvariantCulture),
             "-d" + seconds.ToString(CultureInfo.InvariantCulture) + "s", "--timeout", "10s", "-s", context.WrkScript, url],
            context.RunDirectory, environment, log, TimeSpan.FromSeconds(seconds + 60));
        var line = File.ReadLines(log).LastOrDefault(l => l.StartsWith("WRK_RESULT ", StringComparison.Ordinal));
        if (exit != 0 || line is null) throw new InvalidOperationException($"wrk failed (exit {exit}); see {log}");
        return JsonSerializer.Deserialize<WrkResult>(line["WRK_RESULT ".Length..])!;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}

internal sealed record ConnectorStats(long Messages, long Typing, long Apologies, long Updates, long Deletes, long Conversations, long Bytes)
{
    public static ConnectorStats operator -(ConnectorStats a, ConnectorStats b) => new(
        a.Messages - b.Messages, a.Typing - b.Typing, a.Apologies - b.Apologies, a.Updates - b.Updates,
        a.Deletes - b.Deletes, a.Conversations - b.Conversations, a.Bytes - b.Bytes);
}

/// <summary>A running server under test (or the fake connector): its process and where it listens.</summary>
internal sealed class Server(ChildProcess process, int port) : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public ChildProcess Process { get; } = process;
    public string BaseUrl { get; } = $"http://127.0.0.1:{port}";
    public string MessagesUrl => BaseUrl + "/api/messages";

    /// <summary>Polls until <paramref name="path"/> answers 200 (or, without a path, until the port accepts); returns how long since <paramref name="startedAt"/>.</summary>
    public async Task<TimeSpan> WaitReadyAsync(long startedAt, string? path, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (Process.HasExited) throw new InvalidOperationException($"{Process.Name} exited with {Process.ExitCode} before it was ready:\n{Process.LogTail()}");
            try
            {
                if (path is null)
                {
                    using var tcp = new System.Net.Sockets.TcpClient();
                    await tcp.ConnectAsync("127.0.0.1", new Uri(BaseUrl).Port);
                    return Stopwatch.GetElapsedTime(startedAt);
                }

                using var response = await Http.GetAsync(BaseUrl + path);
                if (response.IsSuccessStatusCode) return Stopwatch.GetElapsedTime(startedAt);
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Net.Sockets.SocketException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(5);
        }

        throw new TimeoutException($"{Process.Name} was not ready within {timeout.TotalSeconds:N0} s:\n{Process.LogTail()}");
    }

    public async Task<ConnectorStats> StatsAsync() => (await Http.GetFromJsonAsync<ConnectorStats>(BaseUrl + "/stats", JsonSerializerOptions.Web))!;

    public Task<string> LastMessageAsync() => Http.GetStringAsync(BaseUrl + "/last");

    /// <summary>Sends one message activity as wrk would; throws unless the bot answers 2xx.</summary>
    public async Task PostMessageAsync(string text, string tenant, string serviceUrl)
    {
        var activity = new
        {
            type = "message", id = "probe-" + Guid.NewGuid().ToString("N"), text, channelId = "msteams", serviceUrl,
            from = new { id = "29:probe", name = "Probe", aadObjectId = "00000000-0000-4000-8000-000000000000" },
            recipient = new { id = "28:porbot-bench", name = "Bot" },
            conversation = new { id = "a:probe", conversationType = "personal", tenantId = tenant },
            channelData = new { tenant = new { id = tenant } },
            locale = "en-US",
        };
        using var response = await Http.PostAsJsonAsync(MessagesUrl, activity);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{Process.Name} answered {(int)response.StatusCode} to \"{text}\"");
    }

    public void Dispose() => Process.Dispose();
}
