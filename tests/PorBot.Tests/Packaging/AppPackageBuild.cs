using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using PorBot.Testing;

namespace PorBot.Tests.Packaging;

/// <summary>Runs <c>manifest/build-package.js</c> (the same script the README and the pipeline use) into a temp folder.</summary>
public sealed class AppPackageBuild : IDisposable
{
    public const string TestAppId = "7c2d9e41-3b5a-4f68-9d0e-a1b2c3d4e5f6";
    public const string TestDomain = "porbot-test.azurewebsites.net";

    private AppPackageBuild(string directory, NodeTools.ProcessResult result)
    {
        Directory = directory;
        Result = result;
    }

    public string Directory { get; }

    public NodeTools.ProcessResult Result { get; }

    public string ZipPath => Path.Combine(Directory, "appPackage.zip");

    public static string TemplatePath => RepoPaths.Combine("manifest", "manifest.template.json");

    public static async Task<AppPackageBuild> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("porbot-package-").FullName;
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("PORBOT_NODE") is { Length: > 0 } node ? node : "node")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(RepoPaths.Combine("manifest", "build-package.js"));
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        psi.ArgumentList.Add("--out");
        psi.ArgumentList.Add(Path.Combine(directory, "appPackage.zip"));
        // The caller's shell may export these (a developer who deploys); each test states its own.
        foreach (var name in new[] { "BOT_APP_ID", "BOT_DOMAIN", "MicrosoftAppId", "APP_VERSION", "DEVELOPER_NAME", "DEVELOPER_WEBSITE_URL", "DEVELOPER_PRIVACY_URL", "DEVELOPER_TERMS_URL" })
            psi.Environment.Remove(name);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new AppPackageBuild(directory, new NodeTools.ProcessResult(process.ExitCode, await stdout, await stderr));
    }

    public static Task<AppPackageBuild> RunWithTestValuesAsync() =>
        RunAsync(["--app-id", TestAppId, "--domain", TestDomain, "--privacy-url", "https://contoso.example/privacy",
            "--terms-url", "https://contoso.example/terms", "--website-url", "https://contoso.example/"]);

    /// <summary>The entries of the built zip, name to bytes.</summary>
    public IReadOnlyDictionary<string, byte[]> ReadZip()
    {
        Assert.True(Result.ExitCode == 0, $"build-package failed ({Result.ExitCode}):\n{Result.StdErr}\n{Result.StdOut}");
        using var zip = ZipFile.OpenRead(ZipPath);
        return zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var stream = e.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }, StringComparer.Ordinal);
    }

    public JsonObject ReadManifest() =>
        JsonNode.Parse(ReadZip()["manifest.json"])!.AsObject();

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>One package build with the test values, shared by a test class.</summary>
public sealed class BuiltAppPackage : IAsyncLifetime
{
    private AppPackageBuild? _build;

    public AppPackageBuild Build => _build ?? throw new InvalidOperationException("not built yet");

    public async Task InitializeAsync() => _build = await AppPackageBuild.RunWithTestValuesAsync();

    public Task DisposeAsync()
    {
        _build?.Dispose();
        return Task.CompletedTask;
    }
}
