namespace PorBot.Storage;

/// <summary>Prepares a store before the app listens (schema, tables, sample data). Each must be safe to run on every start.</summary>
public interface IStorageInitializer
{
    Task InitializeAsync(CancellationToken cancellationToken);
}
