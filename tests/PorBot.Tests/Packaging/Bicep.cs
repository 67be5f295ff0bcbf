using System.Diagnostics;
using System.Reflection;
using System.Text;
using PorBot.Testing;

namespace PorBot.Tests.Packaging;

/// <summary>The Bicep CLI from the Azure.Bicep.CommandLine.linux-x64 NuGet package (path baked in at build time).</summary>
public static class Bicep
{
    public static string ExecutablePath { get; } = FindExecutable();

    public sealed record BuildResult(int ExitCode, string StdErr, string? ArmJson);

    /// <summary><c>bicep build FILE --outfile TEMP</c>; the ARM JSON when it compiled.</summary>
    public static async Task<BuildResult> BuildAsync(string bicepFile)
    {
        var outDir = Directory.CreateTempSubdirectory("porbot-bicep-").FullName;
        try
        {
            var outFile = Path.Combine(outDir, "main.json");
            var psi = new ProcessStartInfo(ExecutablePath)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardErrorEncoding = Encoding.UTF8,
                WorkingDirectory = RepoPaths.Root,
            };
            foreach (var arg in new[] { "build", bicepFile, "--outfile", outFile }) psi.ArgumentList.Add(arg);
            // No telemetry, and no registry lookups from a test run.
            psi.Environment["BICEP_TELEMETRY_ENABLED"] = "false";

            using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start bicep");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            var output = (await stderr) + (await stdout);
            return new BuildResult(process.ExitCode, output, File.Exists(outFile) ? await File.ReadAllTextAsync(outFile) : null);
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    private static string FindExecutable()
    {
        var packageDirectory = typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "BicepPackageDirectory")?.Value;
        if (string.IsNullOrEmpty(packageDirectory))
            throw new InvalidOperationException("BicepPackageDirectory is not set: PorBot.Tests.csproj references Azure.Bicep.CommandLine.linux-x64 with GeneratePathProperty.");
        var path = Path.Combine(packageDirectory, "tools", "bicep");
        if (!File.Exists(path)) throw new FileNotFoundException($"The Bicep CLI is not at {path} (this package is the linux-x64 build).", path);
        return path;
    }
}
