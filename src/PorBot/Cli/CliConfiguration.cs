using PorBot.Storage;
using PorBot.Storage.Sqlite;

namespace PorBot.Cli;

/// <summary>
/// The web app's configuration sources (appsettings, appsettings.{environment}, environment variables,
/// <c>--Key=Value</c> arguments) and content root (the working directory), so the CLI commands and the app
/// use the same database file and storage account. No host is built: WebApplicationFactory in tests
/// watches for hosts being built in the process.
/// </summary>
internal static class CliConfiguration
{
    public static IConfigurationRoot Build(IEnumerable<string> configurationArgs)
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(configurationArgs.ToArray())
            .Build();
    }

    /// <summary><paramref name="databasePath"/> if given, else <c>ConnectionStrings:PorBot</c>, else the default file.</summary>
    public static SqliteDatabase SqliteDatabase(IConfiguration configuration, string? databasePath)
    {
        var connectionString = databasePath is not null ? $"Data Source={databasePath}"
            : configuration.GetConnectionString("PorBot") is { Length: > 0 } configured ? configured
            : StorageOptions.DefaultConnectionString;
        return new SqliteDatabase(connectionString, Directory.GetCurrentDirectory());
    }
}
