using System.ComponentModel.DataAnnotations;

namespace PorBot.Storage;

/// <summary>Section <c>Storage</c>. The connection string itself is <c>ConnectionStrings:PorBot</c>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";
    public const string SqliteProvider = "Sqlite";
    public const string DefaultConnectionString = "Data Source=data/porbot.db";

    [RegularExpression("^(Sqlite)$", ErrorMessage = "Storage:Provider must be 'Sqlite' (the Azure Storage provider is not built yet).")]
    public string Provider { get; set; } = SqliteProvider;

    /// <summary>Seed a few sample partners and subscriptions into an empty registry, so a first run has something to show.</summary>
    public bool SeedSampleData { get; set; } = true;
}
