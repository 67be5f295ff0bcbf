using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PorBot.Bench.Harness;

/// <summary>
/// A process the harness started: output to a log file, CPU time and memory read from /proc, and always
/// stopped (the registry kills whatever is left when a benchmark ends or the harness is interrupted).
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    // USER_HZ: the unit of utime/stime in /proc/<pid>/stat, 100 on every Linux the harness runs on.
    private const double ClockTicksPerSecond = 100;

    private static readonly ConcurrentDictionary<int, ChildProcess> Running = new();
    private readonly Process _process;
    private readonly StreamWriter _log;
    private int _disposed;

    private ChildProcess(Process process, string name, string logPath, StreamWriter log)
    {
        _process = process;
        Name = name;
        LogPath = logPath;
        _log = log;
    }

    public string Name { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string?> environment, string logPath)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
        {
            if (value is null) info.Environment.Remove(key);
            else info.Environment[key] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"$ {fileName} {string.Join(' ', info.ArgumentList)}   (in {workingDirectory})");
        var process = new Process { StartInfo = info };
        void Write(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (log) log.WriteLine(e.Data);
        }
        process.OutputDataReceived += Write;
        process.ErrorDataReceived += Write;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var child = new ChildProcess(process, name, logPath, log);
        Running[process.Id] = child;
        return child;
    }

    /// <summary>Runs to completion (killed at <paramref name="timeout"/>); returns the exit code.</summary>
    public static async Task<int> RunAsync(string name, string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string?> environment, string logPath, TimeSpan timeout)
    {
        using var child = Start(name, fileName, arguments, workingDirectory, environment, logPath);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await child._process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            child.Stop();
            throw new TimeoutException($"{name} did not finish within {timeout.TotalSeconds:N0} s (log: {logPath})");
        }

        child._process.WaitForExit(); // drains the output handlers
        return child.ExitCode;
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>User + system CPU seconds the process has used so far.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // The command name in brackets may contain spaces: count fields after its closing bracket (state is field 3).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
    }

    /// <summary>Resident set size now (VmRSS), in bytes.</summary>
    public long RssBytes() => StatusKilobytes("VmRSS:") * 1024;

    /// <summary>Peak resident set size since start (VmHWM), in bytes.</summary>
    public long PeakRssBytes() => StatusKilobytes("VmHWM:") * 1024;

    private long StatusKilobytes(string key)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        throw new InvalidOperationException($"{key} missing from /proc/{Pid}/status");
    }

    public string LogTail(int lines = 20)
    {
        lock (_log) _log.Flush();
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var all = reader.ReadToEnd().Split('\n');
        return string.Join('\n', all.TakeLast(lines));
    }

    /// <summary>Stops the process and its children (SIGKILL: nothing a benchmark process holds needs a clean shutdown).</summary>
    public void Stop()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        Stop();
        Running.TryRemove(Pid, out _);
        lock (_log) _log.Dispose();
        _process.Dispose();
    }

    /// <summary>Stops every process still running: at the end of a benchmark and on Ctrl+C.</summary>
    public static void StopAll()
    {
        foreach (var child in Running.Values) child.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
