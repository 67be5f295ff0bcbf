using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using PorBot.Lookups;
using PorBot.Storage.Sqlite;

namespace PorBot.Cli;

/// <summary>A reason an import was rejected. Line 0 means the file as a whole.</summary>
public sealed record ImportProblem(string File, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

public sealed record ImportResult(IReadOnlyList<ImportProblem> Problems, int Partners, int Subscriptions, TimeSpan Elapsed, bool Bulk)
{
    public bool Succeeded => Problems.Count == 0;
}

/// <summary>
/// Loads partners.csv and subscriptions.csv files (recognised by their header row) into the embedded
/// registry in one transaction: any bad row in any file rejects the whole import and every problem is
/// reported with file and line; nothing is written. Existing rows with the same key are updated.
/// Large batches drop the registry's sync triggers inside the transaction, bulk load, then rebuild the
/// derived customer and name tables and their FTS indexes in one pass, which is far faster than
/// maintaining them row by row.
/// </summary>
public sealed partial class RegistryImporter(SqliteDatabase database, TimeProvider time)
{
    public static readonly string[] PartnerColumns = ["partner_id", "name", "tenant_ids", "country"];

    public static readonly string[] SubscriptionColumns =
        ["subscription_id", "customer_name", "customer_tenant_id", "customer_domain", "program", "product", "por_partner_id", "por_since"];

    private static readonly Dictionary<string, string> Programs = Enum.GetNames<PurchaseProgram>().ToDictionary(n => n, StringComparer.OrdinalIgnoreCase);
    private static readonly Dictionary<string, string> Products = Enum.GetNames<Product>().ToDictionary(n => n, StringComparer.OrdinalIgnoreCase);

    /// <summary>Progress is written at least every this many rows, and otherwise about once a second.</summary>
    public int ProgressRows { get; init; } = 250_000;

    /// <summary>Forces the bulk (true) or row-by-row (false) write path; null decides by batch size.</summary>
    public bool? BulkMode { get; init; }

    private enum FileKind { Partners, Subscriptions }

    public async Task<ImportResult> ImportAsync(IReadOnlyList<string> files, TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var problems = new List<ImportProblem>();
        var classified = new List<(string File, FileKind Kind)>();
        foreach (var file in files)
        {
            if (Classify(file, problems) is { } kind) classified.Add((file, kind));
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.Command("PRAGMA cache_size = -524288; PRAGMA temp_store = MEMORY;").ExecuteNonQueryAsync(cancellationToken);
        try
        {
            using var run = new Run(this, connection, problems, progress, time.GetUtcNow().ToDbTime());
            var existing = Convert.ToInt64(await connection.Command("SELECT count(*) FROM subscriptions").ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            var incoming = classified.Where(f => f.Kind == FileKind.Subscriptions).Sum(f => CountLines(f.File));
            var bulk = BulkMode ?? (incoming >= 10_000 && incoming * 2 >= existing);

            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            run.Transaction = transaction;
            run.Bulk = bulk;
            var derived = bulk ? run.DropDerivedStructures() : [];
            foreach (var (file, _) in classified.Where(f => f.Kind == FileKind.Partners)) run.ImportPartners(file, cancellationToken);
            foreach (var (file, _) in classified.Where(f => f.Kind == FileKind.Subscriptions)) run.ImportSubscriptions(file, cancellationToken);

            if (problems.Count > 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                return new ImportResult(problems, 0, 0, clock.Elapsed, bulk);
            }

            if (bulk)
            {
                run.WritePendingSubscriptions(cancellationToken);
                run.RebuildDerived(derived, progress);
            }

            await transaction.CommitAsync(cancellationToken);
            await connection.Command("PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE);").ExecuteNonQueryAsync(cancellationToken);
            return new ImportResult(problems, run.PartnersWritten, run.SubscriptionsWritten, clock.Elapsed, bulk);
        }
        finally
        {
            // The connection goes back to the pool; do not hand a 512 MiB cache to the next user.
            await connection.Command("PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT;").ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static FileKind? Classify(string file, List<ImportProblem> problems)
    {
        if (!File.Exists(file))
        {
            problems.Add(new ImportProblem(file, 0, "file not found"));
            return null;
        }

        using var reader = CsvReader.OpenFile(file);
        var header = reader.Read();
        if (header is null)
        {
            problems.Add(new ImportProblem(file, 0, "the file is empty"));
            return null;
        }

        var columns = header.Fields.Select(f => f.Trim().ToLowerInvariant()).ToArray();
        if (columns.SequenceEqual(PartnerColumns)) return FileKind.Partners;
        if (columns.SequenceEqual(SubscriptionColumns)) return FileKind.Subscriptions;
        problems.Add(new ImportProblem(file, header.Line,
            $"unrecognised header \"{string.Join(',', header.Fields)}\"; expected \"{string.Join(',', PartnerColumns)}\" or \"{string.Join(',', SubscriptionColumns)}\""));
        return null;
    }

    private static long CountLines(string file)
    {
        using var stream = File.OpenRead(file);
        var buffer = new byte[1 << 16];
        long lines = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) lines += buffer.AsSpan(0, read).Count((byte)'\n');
        return lines;
    }

    [GeneratedRegex("^[0-9]{5,8}$")]
    private static partial Regex PartnerIdFormat();

    // Labels of letters, digits and hyphens (IDN labels allowed), at least two of them.
    [GeneratedRegex(@"^(?=.{1,253}$)([\p{L}\p{N}]([\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[\p{L}]{2,63}$")]
    private static partial Regex DomainFormat();

    /// <summary>State of one import: what the batch defines so far, prepared statements, progress.</summary>
    private sealed class Run(RegistryImporter importer, SqliteConnection connection, List<ImportProblem> problems, TextWriter? progress, string now) : IDisposable
    {
        private readonly Dictionary<string, string> _partners = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string PartnerId, string Where)> _tenants = new(StringComparer.Ordinal);
        private readonly Dictionary<Guid, (int File, int Line)> _subscriptions = [];
        private readonly List<string> _subscriptionFiles = [];
        private readonly Dictionary<string, bool> _knownInDatabase = new(StringComparer.Ordinal);
        private SqliteCommand? _partnerExists;

        // Bulk mode keeps validated subscription rows and writes them sorted by key once every file is
        // valid: in key order the primary-key B-tree is appended to instead of updated at random.
        private readonly List<string?[]> _pending = [];
        private SqliteCommand? _upsertSubscription;

        public SqliteTransaction? Transaction { get; set; }

        public bool Bulk { get; set; }

        public int PartnersWritten { get; private set; }

        public int SubscriptionsWritten { get; private set; }

        private bool Writing => problems.Count == 0;

        /// <summary>
        /// Drops the sync triggers and the secondary indexes of the registry tables (inside the transaction)
        /// and returns their definitions: loading without them and building them once afterwards avoids
        /// millions of random B-tree inserts.
        /// </summary>
        public List<string> DropDerivedStructures()
        {
            var definitions = new List<(string Type, string Name, string Sql)>();
            using (var reader = Command("""
                SELECT type, name, sql FROM sqlite_master
                WHERE (type = 'trigger' AND name LIKE 'trg_registry_%')
                   OR (type = 'index' AND sql IS NOT NULL AND tbl_name IN ('subscriptions', 'customers', 'partner_names'))
                ORDER BY type DESC, name
                """).ExecuteReader())
            {
                while (reader.Read()) definitions.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }

            foreach (var (type, name, _) in definitions) Command($"DROP {type.ToUpperInvariant()} \"{name}\"").ExecuteNonQuery();
            return definitions.Select(d => d.Sql).ToList();
        }

        public void RebuildDerived(List<string> definitions, TextWriter? progress)
        {
            var clock = Stopwatch.StartNew();
            // Before the indexes are back, so GROUP BY sorts one sequential scan instead of following an index.
            Command("""
                DELETE FROM customers;
                INSERT INTO customers (tenant_id, name, domain, subscription_count)
                SELECT customer_tenant_id, customer_name, customer_domain, n
                FROM (SELECT customer_tenant_id, customer_name, customer_domain, count(*) AS n, max(rowid)
                      FROM subscriptions GROUP BY customer_tenant_id);
                DELETE FROM partner_names;
                INSERT INTO partner_names (partner_id, name) SELECT partner_id, name FROM partners;
                """).ExecuteNonQuery();
            progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Customers derived in {clock.Elapsed.TotalSeconds:N1} s"));
            clock.Restart();
            foreach (var sql in definitions.Where(d => d.StartsWith("CREATE INDEX", StringComparison.OrdinalIgnoreCase) || d.StartsWith("CREATE UNIQUE", StringComparison.OrdinalIgnoreCase)))
            {
                Command(sql).ExecuteNonQuery();
            }

            progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Indexes built in {clock.Elapsed.TotalSeconds:N1} s"));
            clock.Restart();
            Command("""
                INSERT INTO customers_fts (customers_fts) VALUES ('rebuild');
                INSERT INTO customers_tri (customers_tri) VALUES ('rebuild');
                INSERT INTO partner_names_fts (partner_names_fts) VALUES ('rebuild');
                INSERT INTO partner_names_tri (partner_names_tri) VALUES ('rebuild');
                """).ExecuteNonQuery();
            progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Search indexes rebuilt in {clock.Elapsed.TotalSeconds:N1} s"));
            foreach (var sql in definitions.Where(d => d.StartsWith("CREATE TRIGGER", StringComparison.OrdinalIgnoreCase))) Command(sql).ExecuteNonQuery();
            Command("UPDATE registry_meta SET names_version = names_version + 1").ExecuteNonQuery();
        }

        public void ImportPartners(string file, CancellationToken cancellationToken)
        {
            using var upsert = Prepare("""
                INSERT INTO partners (partner_id, name, country, updated_at) VALUES ($id, $name, $country, $now)
                ON CONFLICT (partner_id) DO UPDATE SET name = excluded.name, country = excluded.country, updated_at = excluded.updated_at
                """, "$id", "$name", "$country", "$now");
            using var clearTenants = Prepare("DELETE FROM partner_tenants WHERE partner_id = $id", "$id");
            using var addTenant = Prepare("""
                INSERT INTO partner_tenants (tenant_id, partner_id) VALUES ($tenant, $id)
                ON CONFLICT (tenant_id) DO UPDATE SET partner_id = excluded.partner_id
                """, "$tenant", "$id");

            ForEachRow(file, PartnerColumns.Length, (line, f) =>
            {
                var problemsBefore = problems.Count;
                var id = f[0].Trim();
                var name = f[1].Trim();
                var country = f[3].Trim();
                if (!PartnerIdFormat().IsMatch(id)) Problem(file, line, $"partner_id \"{id}\" is not 5 to 8 digits");
                else if (_partners.TryGetValue(id, out var first)) Problem(file, line, $"duplicate partner_id {id} (first at {first})");
                else _partners[id] = $"{file}:{line}";
                if (name.Length == 0) Problem(file, line, "name is empty");
                if (country.Length > 64) Problem(file, line, "country is longer than 64 characters");

                var tenants = new List<string>();
                foreach (var part in f[2].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!Guid.TryParseExact(part, "D", out var tenant))
                    {
                        Problem(file, line, $"tenant id \"{part}\" is not a GUID");
                        continue;
                    }

                    var key = tenant.ToString("D");
                    if (_tenants.TryGetValue(key, out var owner)) Problem(file, line, $"tenant {key} is already listed for partner {owner.PartnerId} (at {owner.Where})");
                    else _tenants[key] = (id, $"{file}:{line}");
                    tenants.Add(key);
                }

                if (problems.Count > problemsBefore || !Writing) return;
                Execute(upsert, id, name, country.Length == 0 ? null : country, now);
                Execute(clearTenants, id);
                foreach (var tenant in tenants) Execute(addTenant, tenant, id);
                PartnersWritten++;
            }, cancellationToken);
        }

        public void ImportSubscriptions(string file, CancellationToken cancellationToken)
        {
            var fileIndex = _subscriptionFiles.Count;
            _subscriptionFiles.Add(file);
            _upsertSubscription ??= Prepare("""
                INSERT INTO subscriptions (subscription_id, customer_name, customer_tenant_id, customer_domain, program, product, por_partner_id, por_since, updated_at)
                VALUES ($id, $customer, $tenant, $domain, $program, $product, $por, $since, $now)
                ON CONFLICT (subscription_id) DO UPDATE SET
                    customer_name = excluded.customer_name, customer_tenant_id = excluded.customer_tenant_id,
                    customer_domain = excluded.customer_domain, program = excluded.program, product = excluded.product,
                    por_partner_id = excluded.por_partner_id, por_since = excluded.por_since, updated_at = excluded.updated_at
                """, "$id", "$customer", "$tenant", "$domain", "$program", "$product", "$por", "$since", "$now");

            ForEachRow(file, SubscriptionColumns.Length, (line, f) =>
            {
                var problemsBefore = problems.Count;
                var id = ParseGuid(file, line, "subscription_id", f[0]);
                if (id is { } key)
                {
                    if (_subscriptions.TryGetValue(key, out var first)) Problem(file, line, $"duplicate subscription_id {key:D} (first at {_subscriptionFiles[first.File]}:{first.Line})");
                    else _subscriptions[key] = (fileIndex, line);
                }

                var customer = f[1].Trim();
                if (customer.Length == 0) Problem(file, line, "customer_name is empty");
                var tenant = ParseGuid(file, line, "customer_tenant_id", f[2]);
                var domain = f[3].Trim().TrimEnd('.').ToLowerInvariant();
                if (domain.Length > 0 && !DomainFormat().IsMatch(domain)) Problem(file, line, $"customer_domain \"{f[3].Trim()}\" is not a domain name");
                if (!Programs.TryGetValue(f[4].Trim(), out var program))
                {
                    Problem(file, line, $"program \"{f[4].Trim()}\" is not one of {string.Join(", ", Enum.GetNames<PurchaseProgram>())}");
                }

                if (!Products.TryGetValue(f[5].Trim(), out var product))
                {
                    Problem(file, line, $"product \"{f[5].Trim()}\" is not one of {string.Join(", ", Enum.GetNames<Product>())}");
                }

                var por = f[6].Trim();
                if (por.Length > 0)
                {
                    if (!PartnerIdFormat().IsMatch(por)) Problem(file, line, $"por_partner_id \"{por}\" is not 5 to 8 digits");
                    else if (!IsKnownPartner(por)) Problem(file, line, $"por_partner_id {por} is not a known partner (neither in this import nor in the registry)");
                }

                var sinceText = f[7].Trim();
                DateOnly? since = null;
                if (sinceText.Length > 0)
                {
                    if (DateOnly.TryParseExact(sinceText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) since = date;
                    else Problem(file, line, $"por_since \"{sinceText}\" is not an ISO date (yyyy-MM-dd)");
                    if (por.Length == 0) Problem(file, line, "por_since is set but por_partner_id is empty");
                }
                else if (por.Length > 0)
                {
                    Problem(file, line, "por_since is empty but por_partner_id is set");
                }

                if (problems.Count > problemsBefore || !Writing) return;
                string?[] values = [id!.Value.ToString("D"), customer, tenant!.Value.ToString("D"), domain.Length == 0 ? null : domain,
                    program, product, por.Length == 0 ? null : por, since?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), now];
                if (Bulk) _pending.Add(values);
                else Execute(_upsertSubscription, values);
                SubscriptionsWritten++;
            }, cancellationToken);
        }

        public void WritePendingSubscriptions(CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            _pending.Sort((a, b) => string.CompareOrdinal(a[0], b[0]));
            for (var i = 0; i < _pending.Count; i++)
            {
                Execute(_upsertSubscription!, _pending[i]);
                if (i % 65536 == 0) cancellationToken.ThrowIfCancellationRequested();
            }

            progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_pending.Count:N0} subscriptions written in {clock.Elapsed.TotalSeconds:N1} s"));
            _pending.Clear();
        }

        public void Dispose()
        {
            _upsertSubscription?.Dispose();
            _partnerExists?.Dispose();
        }

        private bool IsKnownPartner(string partnerId)
        {
            if (_partners.ContainsKey(partnerId)) return true;
            if (_knownInDatabase.TryGetValue(partnerId, out var known)) return known;
            _partnerExists ??= Prepare("SELECT 1 FROM partners WHERE partner_id = $id", "$id");
            _partnerExists.Parameters[0].Value = partnerId;
            return _knownInDatabase[partnerId] = _partnerExists.ExecuteScalar() is not null;
        }

        private Guid? ParseGuid(string file, int line, string column, string text)
        {
            if (Guid.TryParseExact(text.Trim(), "D", out var value)) return value;
            Problem(file, line, $"{column} \"{text.Trim()}\" is not a GUID");
            return null;
        }

        private void ForEachRow(string file, int columns, Action<int, IReadOnlyList<string>> row, CancellationToken cancellationToken)
        {
            using var reader = CsvReader.OpenFile(file);
            reader.Read(); // the header, already recognised
            var rows = 0;
            var clock = Stopwatch.StartNew();
            var lastReport = TimeSpan.Zero;
            while (reader.Read() is { } record)
            {
                rows++;
                if (record.HasInvalidEncoding) Problem(file, record.Line, "invalid UTF-8 (the file must be UTF-8 encoded)");
                if (record.SyntaxError is { } syntax) Problem(file, record.Line, syntax);
                else if (record.Fields.Count != columns) Problem(file, record.Line, $"expected {columns} columns, found {record.Fields.Count}");
                else if (!record.HasInvalidEncoding) row(record.Line, record.Fields);

                if (rows % 4096 == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (progress is not null && (rows % importer.ProgressRows == 0 || clock.Elapsed - lastReport >= TimeSpan.FromSeconds(1)))
                    {
                        lastReport = clock.Elapsed;
                        progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {rows:N0} rows ({rows / clock.Elapsed.TotalSeconds:N0} rows/s)"));
                    }
                }
            }

            progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {rows:N0} rows read in {clock.Elapsed.TotalSeconds:N1} s"));
        }

        private void Problem(string file, int line, string message) => problems.Add(new ImportProblem(file, line, message));

        private SqliteCommand Command(string sql) => connection.Command(sql, Transaction);

        private SqliteCommand Prepare(string sql, params string[] parameters)
        {
            var command = Command(sql);
            foreach (var name in parameters) command.Parameters.Add(new SqliteParameter(name, SqliteType.Text));
            command.Prepare();
            return command;
        }

        private static void Execute(SqliteCommand command, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
            command.ExecuteNonQuery();
        }
    }
}
