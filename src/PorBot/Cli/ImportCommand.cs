using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using PorBot.Storage;
using PorBot.Storage.Sqlite;

namespace PorBot.Cli;

/// <summary>
/// <c>porbot import FILE.csv...</c> and <c>porbot import --generate N [--out DIR] [--seed S]</c>.
/// The database is the app's own: <c>ConnectionStrings:PorBot</c> from appsettings, environment or
/// <c>--ConnectionStrings:PorBot=...</c>, relative to the content root, migrated before use;
/// <c>--db PATH</c> is a shortcut. Exit codes: 0 done, 1 rejected (problems listed), 2 usage.
/// </summary>
public static class ImportCommand
{
    private const string Usage = """
        Usage:
          import FILE.csv [FILE.csv...] [--db PATH]   load partners/subscriptions CSV files (recognised by header) into the registry
          import --generate N [--out DIR] [--seed S]  write a synthetic partners.csv and subscriptions.csv with N subscriptions
        Headers:
          partner_id,name,tenant_ids,country
          subscription_id,customer_name,customer_tenant_id,customer_domain,program,product,por_partner_id,por_since
        """;

    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var files = new List<string>();
        var configuration = new List<string>();
        int? generate = null;
        var outDirectory = ".";
        var seed = 42;
        string? databasePath = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "-h" or "--help":
                    await output.WriteLineAsync(Usage);
                    return 0;
                case "--generate" when int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n):
                    generate = n;
                    break;
                case "--out" when Value() is { } directory:
                    outDirectory = directory;
                    break;
                case "--seed" when int.TryParse(Value(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s):
                    seed = s;
                    break;
                case "--db" when Value() is { } path:
                    databasePath = path;
                    break;
                case not null when arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal):
                    configuration.Add(arg);
                    break;
                case not null when !arg.StartsWith('-'):
                    files.Add(arg);
                    break;
                default:
                    await error.WriteLineAsync($"import: unexpected or incomplete argument \"{arg}\"\n{Usage}");
                    return 2;
            }
        }

        if (generate is { } count)
        {
            if (files.Count > 0)
            {
                await error.WriteLineAsync("import: --generate writes files; it does not take input files");
                return 2;
            }

            var (partners, subscriptions) = SyntheticRegistry.Generate(count, outDirectory, seed);
            await output.WriteLineAsync($"Wrote {partners} and {subscriptions} ({count:N0} subscriptions, seed {seed}).");
            return 0;
        }

        if (files.Count == 0)
        {
            await error.WriteLineAsync($"import: no files given\n{Usage}");
            return 2;
        }

        var database = OpenDatabase(configuration, databasePath);
        await new SqliteMigrator(database, NullLogger<SqliteMigrator>.Instance).MigrateAsync(cancellationToken);
        var importer = new RegistryImporter(database, TimeProvider.System);
        var result = await importer.ImportAsync(files, error, cancellationToken);
        if (!result.Succeeded)
        {
            foreach (var problem in result.Problems) await error.WriteLineAsync(problem.ToString());
            await error.WriteLineAsync($"Import rejected: {result.Problems.Count:N0} problem(s) in {result.Problems.Select(p => p.File).Distinct().Count()} file(s). Nothing was written to {database.FilePath}.");
            return 1;
        }

        var rows = result.Partners + result.Subscriptions;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Imported {result.Partners:N0} partners and {result.Subscriptions:N0} subscriptions into {database.FilePath} in {result.Elapsed.TotalSeconds:N1} s ({rows / Math.Max(result.Elapsed.TotalSeconds, 0.001):N0} rows/s)."));
        return 0;
    }

    private static SqliteDatabase OpenDatabase(List<string> configurationArgs, string? databasePath) =>
        CliConfiguration.SqliteDatabase(CliConfiguration.Build(configurationArgs), databasePath);
}
