using Microsoft.Extensions.DependencyInjection.Extensions;
using PorBot.Integrations.Registry;
using Microsoft.Extensions.Options;
using PorBot.Storage.Sqlite;

namespace PorBot.Storage;

public static class StorageExtensions
{
    /// <summary>The embedded SQLite database (default <c>data/porbot.db</c>) and the stores built on it.</summary>
    public static IHostApplicationBuilder AddPorBotStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().Bind(builder.Configuration.GetSection(StorageOptions.SectionName))
            .ValidateDataAnnotations().ValidateOnStart();

        var connectionString = builder.Configuration.GetConnectionString("PorBot") is { Length: > 0 } configured
            ? configured
            : StorageOptions.DefaultConnectionString;
        builder.Services.AddSingleton(new SqliteDatabase(connectionString, builder.Environment.ContentRootPath));
        builder.Services.AddSingleton<SqliteMigrator>();
        builder.Services.AddSingleton<SampleData>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddRegistry(builder.Configuration);
        return builder;
    }

    /// <summary>Creates or upgrades the database, and seeds sample data on first run. Runs before the app listens.</summary>
    public static async Task InitializeStorageAsync(this WebApplication app)
    {
        await app.Services.GetRequiredService<SqliteMigrator>().MigrateAsync();
        if (app.Services.GetRequiredService<IOptions<StorageOptions>>().Value.SeedSampleData)
        {
            await app.Services.GetRequiredService<SampleData>().SeedIfEmptyAsync();
        }
    }
}
