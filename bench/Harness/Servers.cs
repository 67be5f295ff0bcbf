using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace PorBot.Bench.Harness;

/// <summary>Starts the servers of the benchmarks, each on a free loopback port, from the Release builds.</summary>
internal static class Servers
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public static async Task<Server> StartConnectorAsync(BenchContext context, string name = "fake-connector")
    {
        var port = ChildProcess.FreePort();
        var server = new Server(ChildProcess.Start(name, "dotnet", [context.FakeConnectorDll, "--urls", Url(port)],
            context.RunDirectory, DotnetEnvironment(), context.Log(name)), port);
        await server.WaitReadyAsync(Stopwatch.GetTimestamp(), "/stats", ReadyTimeout);
        return server;
    }

    /// <summary>
    /// PorBot from its Release build as it would run in production, auth off (no MicrosoftAppId) and nothing
    /// written into the repository: <paramref name="contentRoot"/> is a scratch folder with the build's
    /// appsettings.json; the database is data/porbot.db in it (sample data) unless <paramref name="database"/> is given.
    /// </summary>
    public static Server StartPorBot(BenchContext context, string name, string contentRoot, string? database = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var appsettings = Path.Combine(contentRoot, "appsettings.json");
        if (!File.Exists(appsettings)) File.Copy(Path.Combine(context.PorBotOutput, "appsettings.json"), appsettings);
        var port = ChildProcess.FreePort();
        var environment = DotnetEnvironment();
        environment["ASPNETCORE_URLS"] = Url(port);
        environment["MicrosoftAppId"] = "";
        environment["MicrosoftAppPassword"] = "";
        environment["ConnectionStrings__PorBot"] = database is null ? null : $"Data Source={database}";
        environment["Storage__SeedSampleData"] = database is null ? "true" : "false";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) environment[key] = value;
        return new Server(ChildProcess.Start(name, "dotnet", [context.PorBotDll], contentRoot, environment, context.Log(name)), port);
    }

    public static async Task<Server> StartCeilingAsync(BenchContext context, string name, string replyFile)
    {
        var port = ChildProcess.FreePort();
        var server = new Server(ChildProcess.Start(name, "dotnet", [context.CeilingDll, "--urls", Url(port), "--reply", replyFile],
            context.RunDirectory, DotnetEnvironment(), context.Log(name)), port);
        await server.WaitReadyAsync(Stopwatch.GetTimestamp(), null, ReadyTimeout);
        return server;
    }

    public static async Task<Server> StartPeerAsync(BenchContext context)
    {
        await EnsurePeerPackagesAsync(context);
        var port = ChildProcess.FreePort();
        var server = new Server(ChildProcess.Start("peer", "node", ["peer-bot.js", "--port", port.ToString(CultureInfo.InvariantCulture)],
            context.PeerDirectory, new Dictionary<string, string?> { ["NODE_ENV"] = "production" }, context.Log("peer")), port);
        await server.WaitReadyAsync(Stopwatch.GetTimestamp(), null, ReadyTimeout);
        return server;
    }

    /// <summary>`npm ci` in bench/tools/peer when its node_modules does not match the lock file.</summary>
    private static async Task EnsurePeerPackagesAsync(BenchContext context)
    {
        var lockFile = Path.Combine(context.PeerDirectory, "package-lock.json");
        var stamp = Path.Combine(context.PeerDirectory, "node_modules", ".porbot-bench-lock.sha256");
        var hash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(lockFile)));
        if (File.Exists(stamp) && await File.ReadAllTextAsync(stamp) == hash) return;

        Console.Error.WriteLine("bench: npm ci in bench/tools/peer (botbuilder 4.23.3)");
        var exit = await ChildProcess.RunAsync("npm ci", "npm", ["ci", "--no-audit", "--no-fund"], context.PeerDirectory,
            new Dictionary<string, string?>(), context.Log("peer-npm-ci"), TimeSpan.FromMinutes(10));
        if (exit != 0) throw new InvalidOperationException($"npm ci failed in bench/tools/peer (exit {exit}); see {context.Log("peer-npm-ci")}");
        await File.WriteAllTextAsync(stamp, hash);
    }

    private static string Url(int port) => $"http://127.0.0.1:{port}";

    /// <summary>Production settings whatever the caller's shell says, so no developer setting leaks into a figure.</summary>
    private static Dictionary<string, string?> DotnetEnvironment() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_URLS"] = null,
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    };
}
