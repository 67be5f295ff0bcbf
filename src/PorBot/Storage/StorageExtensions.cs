using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PorBot.Conflicts;
using PorBot.Conversations;
using PorBot.Integrations.Registry;
using PorBot.Lookups;
using PorBot.Storage.AzureStorage;
using PorBot.Storage.Sqlite;

namespace PorBot.Storage;

public static class StorageExtensions
{
    /// <summary>
    /// The stores chosen by <c>Storage:Provider</c>: conversation references, alert channel designations, dialog
    /// state, claims, the alert outbox and the POR registry (unless <c>Registry:Provider=Remote</c>). The SQLite file
    /// is opened with either provider (its migrations run, the CLI reads it), but under AzureStorage nothing that
    /// instances share lives in it.
    /// </summary>
    public static IHostApplicationBuilder AddPorBotStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>()
            .Bind(builder.Configuration.GetSection(StorageOptions.SectionName))
            .Configure(o => o.Azure.ConnectionString = builder.Configuration.GetConnectionString(AzureStorageOptions.ConnectionStringName))
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.AddSqliteDatabase();
        if (StorageOptions.IsAzureStorageConfigured(builder.Configuration)) builder.Services.AddAzureStorageStores();
        else builder.Services.AddSqliteStores();

        builder.Services.AddRegistry(builder.Configuration);
        return builder;
    }

    /// <summary>Creates or upgrades every store, and seeds sample data on first run. Runs before the app listens.</summary>
    public static async Task InitializeStorageAsync(this WebApplication app)
    {
        // Resolving the options validates them, so a bad configuration fails here with its message, not on a table call.
        _ = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        foreach (var initializer in app.Services.GetServices<IStorageInitializer>()) await initializer.InitializeAsync(app.Lifetime.ApplicationStopping);
    }

    private static void AddSqliteDatabase(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("PorBot") is { Length: > 0 } configured
            ? configured
            : StorageOptions.DefaultConnectionString;
        var contentRoot = builder.Environment.ContentRootPath;
        // From a factory, so the container disposes it (closing the connections it keeps) when the host stops.
        builder.Services.AddSingleton(_ => new SqliteDatabase(connectionString, contentRoot));
        builder.Services.AddSingleton<SqliteMigrator>();
        builder.Services.AddSingleton<SampleData>();
        builder.Services.AddSingleton<IStorageInitializer, SqliteStorageInitializer>();
    }

    private static void AddSqliteStores(this IServiceCollection services)
    {
        services.AddSingleton<IConversationReferenceStore, SqliteConversationReferenceStore>();
        services.AddSingleton<IAlertChannelStore, SqliteAlertChannelStore>();
        services.AddSingleton<IDialogStateStore, SqliteDialogStateStore>();
        services.AddSingleton<IPorRegistry, SqlitePorRegistry>();
        services.AddSingleton<IReadSnapshots>(sp => sp.GetRequiredService<SqliteDatabase>());
    }

    private static void AddAzureStorageStores(this IServiceCollection services)
    {
        services.AddSingleton(sp => new AzureStorageClients(sp.GetRequiredService<IOptions<StorageOptions>>().Value.Azure));
        services.AddSingleton<AzureRegistryWriter>();
        services.AddSingleton<IStorageInitializer, AzureStorageInitializer>();
        services.AddSingleton<IConversationReferenceStore, AzureConversationReferenceStore>();
        // With the references, not in SQLite: every instance must see a conversation another one designated.
        services.AddSingleton<IAlertChannelStore, AzureAlertChannelStore>();
        services.AddSingleton<IDialogStateStore, AzureDialogStateStore>();
        services.AddSingleton<IPorRegistry, AzureTablePorRegistry>();
        // Claims, conflicts and proofs; AddConflicts keeps the SQLite store only when none is registered here.
        services.AddSingleton<AzureTableClaimStore>();
        services.AddSingleton<IClaimStore>(sp => sp.GetRequiredService<AzureTableClaimStore>());
        services.AddHostedService<AzureClaimFanOutRecovery>();
        // Before AddConflicts, whose TryAdd of the SQLite outbox then leaves it alone.
        services.AddSingleton<IAlertOutbox, AzureQueueAlertOutbox>();
    }
}
