using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PorBot.Tests;

/// <summary>
/// The real bot as a process of its own (<c>dotnet PorBot.dll</c> from this test's build output), configured only
/// through environment variables as a deployment is, so a test can kill it with SIGKILL and start it again. Its
/// console output goes to a log file; <see cref="LogTail"/> shows the end of it when a test fails.
/// </summary>
public sealed class BotProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();

    private BotProcess(Process process, StreamWriter log, string baseUrl)
    {
        _process = process;
        _log = log;
        BaseUrl = baseUrl;
        Client = new HttpClient { BaseAddress = new Uri(baseUrl) };
    }

    public string BaseUrl { get; }

    public HttpClient Client { get; }

    public int ProcessId => _process.Id;

    /// <param name="contentRoot">The working directory, hence the content root (appsettings.json).</param>
    /// <param name="environment">Configuration as environment variables (<c>Section__Key</c>).</param>
    /// <param name="logPath">Appended to, so several runs on one database share one log.</param>
    public static async Task<BotProcess> StartAsync(string contentRoot, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var baseUrl = $"http://127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = contentRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PorBot.dll"));
        // Nothing from the test runner's environment may configure the bot by accident.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        start.Environment["ASPNETCORE_URLS"] = baseUrl;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment) start.Environment[name] = value;

        var log = new StreamWriter(logPath, append: true, Encoding.UTF8) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        var bot = new BotProcess(process, log, baseUrl);
        process.OutputDataReceived += (_, e) => bot.Write(e.Data);
        process.ErrorDataReceived += (_, e) => bot.Write(e.Data);
        bot.Write($"==== {DateTimeOffset.UtcNow:O} starting dotnet PorBot.dll on {baseUrl}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await bot.WaitUntilHealthyAsync();
            return bot;
        }
        catch
        {
            await bot.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed; exactly what a crash or an OOM kill does.</summary>
    public async Task KillAsync()
    {
        Write($"==== {DateTimeOffset.UtcNow:O} SIGKILL");
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public string LogTail(int lines = 60)
    {
        lock (_logGate) _log.Flush();
        var path = ((FileStream)_log.BaseStream).Name;
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        var all = reader.ReadToEnd().Split('\n');
        return string.Join('\n', all.TakeLast(lines));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
        lock (_logGate) _log.Dispose();
    }

    private void Write(string? line)
    {
        if (line is null) return;
        lock (_logGate)
        {
            if (_log.BaseStream.CanWrite) _log.WriteLine(line);
        }
    }

    private async Task WaitUntilHealthyAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The bot exited with code {_process.ExitCode} before it was ready:\n{LogTail()}");
            try
            {
                using var response = await Client.GetAsync(new Uri("/healthz", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The bot did not become healthy within {StartTimeout}:\n{LogTail()}");
            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
