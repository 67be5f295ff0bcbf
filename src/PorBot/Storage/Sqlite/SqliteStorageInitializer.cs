using Microsoft.Extensions.Options;

namespace PorBot.Storage.Sqlite;

/// <summary>Creates or upgrades the SQLite file; seeds its registry only when SQLite is the storage provider.</summary>
public sealed class SqliteStorageInitializer(SqliteMigrator migrator, SampleData sampleData, IOptions<StorageOptions> options) : IStorageInitializer
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        if (options.Value.SeedSampleData && !options.Value.IsAzureStorage) await sampleData.SeedIfEmptyAsync(cancellationToken);
    }
}
