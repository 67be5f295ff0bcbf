using System.Diagnostics;
using System.Text;

namespace PorBot.Testing;

/// <summary>
/// Runs the node scripts in <c>tests/tools</c>, installing their pinned packages with <c>npm ci</c> first when
/// <c>node_modules</c> is missing (once per process; a lock file keeps parallel test processes from racing).
/// </summary>
public static class NodeTools
{
    public static string ToolsDirectory { get; } = RepoPaths.Combine("tests", "tools");

    private static readonly Lazy<Task> Install = new(InstallIfMissingAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

    public static Task EnsureInstalledAsync() => Install.Value;

    /// <summary>Runs <c>node tests/tools/{script} args…</c> from the tools directory.</summary>
    public static async Task<ProcessResult> RunScriptAsync(string script, IEnumerable<string> args, TimeSpan timeout)
    {
        await EnsureInstalledAsync();
        var node = Environment.GetEnvironmentVariable("PORBOT_NODE") is { Length: > 0 } custom ? custom : "node";
        return await RunAsync(node, [Path.Combine(ToolsDirectory, script), .. args], ToolsDirectory, timeout);
    }

    private static bool IsInstalled() =>
        // npm writes this file last, so a half-finished install does not count.
        File.Exists(Path.Combine(ToolsDirectory, "node_modules", ".package-lock.json"));

    private static async Task InstallIfMissingAsync()
    {
        if (IsInstalled()) return;
        using var processLock = await AcquireFileLockAsync(Path.Combine(ToolsDirectory, ".install.lock"), TimeSpan.FromMinutes(10));
        if (IsInstalled()) return; // another test process installed it while we waited
        var npm = OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
        var result = await RunAsync(npm, ["ci", "--no-audit", "--no-fund"], ToolsDirectory, TimeSpan.FromMinutes(10));
        if (result.ExitCode != 0 || !IsInstalled())
        {
            throw new InvalidOperationException($"npm ci in {ToolsDirectory} failed ({result.ExitCode}):\n{result.StdErr}\n{result.StdOut}");
        }
    }

    private static async Task<FileStream> AcquireFileLockAsync(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive lock that other .NET processes respect.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }

    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args) psi.ArgumentList.Add(arg);

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout}.\n{await stderr}");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
