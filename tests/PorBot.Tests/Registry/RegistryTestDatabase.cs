using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using PorBot.Cli;
using PorBot.Lookups;
using PorBot.Storage.Sqlite;

namespace PorBot.Tests.Registry;

/// <summary>A migrated, empty registry database in a temp folder, loaded through the import CLI.</summary>
public sealed class RegistryTestDatabase : IAsyncDisposable
{
    private RegistryTestDatabase(string directory)
    {
        Directory = directory;
        Path = System.IO.Path.Combine(directory, "registry.db");
        Database = new SqliteDatabase($"Data Source={Path}");
    }

    public string Directory { get; }

    public string Path { get; }

    public SqliteDatabase Database { get; }

    public static async Task<RegistryTestDatabase> CreateAsync()
    {
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "porbot-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var db = new RegistryTestDatabase(directory);
        await new SqliteMigrator(db.Database, NullLogger<SqliteMigrator>.Instance).MigrateAsync();
        return db;
    }

    public SqlitePorRegistry Registry(TimeProvider? time = null) => new(Database, time ?? TimeProvider.System);

    /// <summary>Writes a file into the test folder (UTF-8 without BOM unless the text starts with one) and returns its path.</summary>
    public string WriteFile(string name, string text)
    {
        var path = System.IO.Path.Combine(Directory, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    public string WriteBytes(string name, byte[] bytes)
    {
        var path = System.IO.Path.Combine(Directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Runs <c>import</c> in process through the CLI command, against this database.</summary>
    public async Task<CliRun> ImportAsync(params string[] files)
    {
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var error = new StringWriter(CultureInfo.InvariantCulture);
        var exit = await ImportCommand.RunAsync(["--db", Path, .. files], output, error);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    public async Task<CliRun> ImportOkAsync(params string[] files)
    {
        var run = await ImportAsync(files);
        Assert.True(run.ExitCode == 0, $"import failed ({run.ExitCode}):\n{run.Error}");
        return run;
    }

    /// <summary>Every table's rows (FTS shadow tables included) and the schema, in a stable order: equal dumps mean equal content.</summary>
    public async Task<string> DumpAsync()
    {
        await using var connection = await Database.OpenAsync();
        var dump = new StringBuilder();
        var tables = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                dump.Append(reader.GetString(0)).Append(' ').Append(reader.GetString(1)).Append(": ").AppendLine(reader.GetString(2));
                if (reader.GetString(0) == "table" && !reader.GetString(2).StartsWith("CREATE VIRTUAL", StringComparison.Ordinal)) tables.Add(reader.GetString(1));
            }
        }

        foreach (var table in tables)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
            {
                rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i) switch
                {
                    DBNull => "NULL",
                    byte[] bytes => Convert.ToHexString(bytes),
                    var value => Convert.ToString(value, CultureInfo.InvariantCulture),
                })));
            }

            rows.Sort(StringComparer.Ordinal);
            dump.Append("== ").Append(table).Append(' ').Append(rows.Count).AppendLine();
            foreach (var row in rows) dump.AppendLine(row);
        }

        return dump.ToString();
    }

    public async Task<long> CountAsync(string table)
    {
        await using var connection = await Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        Database.Dispose();
        SqliteConnection.ClearAllPools();
        await Task.Yield();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle elsewhere may still hold the file; the temp folder is disposable anyway.
        }
    }
}

public sealed record CliRun(int ExitCode, string Output, string Error);
