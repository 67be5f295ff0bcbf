using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace PorBot.Testing;

/// <summary>
/// Azurite (the Azure Storage emulator, npm <c>azurite</c> pinned in tests/tools/package.json) for the Azure
/// Storage tests: started here on free loopback ports with in-memory persistence, in a temp folder, and
/// stopped on dispose. If <c>PORBOT_TEST_AZURITE</c> holds a connection string, that Azurite is used instead
/// and nothing is started. If Azurite cannot start, this throws with the reason: the Azure tests then fail,
/// they are never skipped.
/// </summary>
public sealed partial class AzuriteServer : IAsyncDisposable
{
    public const string EnvironmentVariable = "PORBOT_TEST_AZURITE";

    // Azurite's fixed development account (public, the same in every Azurite).
    private const string DevAccount = "devstoreaccount1";
    private const string DevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process? _process;
    private readonly string? _directory;

    private AzuriteServer(string connectionString, Process? process, string? directory)
    {
        ConnectionString = connectionString;
        _process = process;
        _directory = directory;
    }

    /// <summary>Table and queue endpoints of the development account.</summary>
    public string ConnectionString { get; }

    public bool IsExternal => _process is null;

    public static async Task<AzuriteServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } external)
        {
            return new AzuriteServer(external, null, null);
        }

        await NodeTools.EnsureInstalledAsync();
        var script = Path.Combine(NodeTools.ToolsDirectory, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"Azurite is not installed ({script} is missing): run 'npm ci' in {NodeTools.ToolsDirectory}.");
        }

        var directory = Path.Combine(Path.GetTempPath(), "porbot-azurite", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var node = Environment.GetEnvironmentVariable("PORBOT_NODE") is { Length: > 0 } custom ? custom : "node";
        var psi = new ProcessStartInfo(node)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        // Port 0: the OS picks free ports, Azurite prints them. No telemetry (no network here), any API version (the SDK may be newer).
        foreach (var arg in new[]
                 {
                     script, "--inMemoryPersistence", "--extentMemoryLimit", "256", "--disableTelemetry", "--skipApiVersionCheck", "--silent",
                     "--blobHost", "127.0.0.1", "--blobPort", "0", "--queueHost", "127.0.0.1", "--queuePort", "0", "--tableHost", "127.0.0.1", "--tablePort", "0",
                 })
        {
            psi.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new InvalidOperationException($"Could not start Azurite with '{node}' (Node.js 20+ is needed; set PORBOT_NODE to its path): {ex.Message}", ex);
        }

        var ports = new Dictionary<string, int>();
        var log = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } match)
            {
                lock (ports)
                {
                    ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (ports.ContainsKey("Table") && ports.ContainsKey("Queue")) ready.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (log) log.AppendLine(e.Data);
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("Azurite exited before it was ready."));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await ready.Task.WaitAsync(StartTimeout);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            Stop(process);
            string output;
            lock (log) output = log.ToString();
            throw new InvalidOperationException($"Azurite did not start within {StartTimeout.TotalSeconds:N0} s ({ex.Message}). Its output:\n{output}", ex);
        }

        var connectionString =
            $"DefaultEndpointsProtocol=http;AccountName={DevAccount};AccountKey={DevKey};" +
            $"TableEndpoint=http://127.0.0.1:{ports["Table"]}/{DevAccount};QueueEndpoint=http://127.0.0.1:{ports["Queue"]}/{DevAccount};";
        var server = new AzuriteServer(connectionString, process, directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(process);
        return server;
    }

    /// <summary>A table prefix no other test uses, so tests can share one Azurite without seeing each other's rows.</summary>
    public static string NewTablePrefix() => "t" + Guid.NewGuid().ToString("N")[..15];

    public ValueTask DisposeAsync()
    {
        if (_process is not null) Stop(_process);
        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return ValueTask.CompletedTask;
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at https?://[^:]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
