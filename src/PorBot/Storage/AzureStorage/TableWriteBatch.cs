using Azure;
using Azure.Data.Tables;

namespace PorBot.Storage.AzureStorage;

/// <summary>
/// Collects upserts and deletes for one table and writes them with as few requests as Azure allows:
/// upserts as entity group transactions (up to 100 rows of one partition each), partitions in parallel.
/// Deletes go one by one, because a transaction fails whole when one row is already gone.
/// A key both deleted and upserted is upserted.
/// </summary>
internal sealed class TableWriteBatch(TableClient table, int parallelism = 8)
{
    private const int MaxTransactionRows = 100;
    private readonly Dictionary<(string, string), TableEntity> _upserts = [];
    private readonly HashSet<(string, string)> _deletes = [];

    public int Count => _upserts.Count + _deletes.Count;

    public void Upsert(TableEntity entity)
    {
        var key = (entity.PartitionKey, entity.RowKey);
        _deletes.Remove(key);
        _upserts[key] = entity;
    }

    public void Delete(string partitionKey, string rowKey)
    {
        if (!_upserts.ContainsKey((partitionKey, rowKey))) _deletes.Add((partitionKey, rowKey));
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var transactions = _upserts.Values
            .GroupBy(e => e.PartitionKey, StringComparer.Ordinal)
            .SelectMany(g => g.Chunk(MaxTransactionRows))
            .ToList();
        var deletes = _deletes.ToList();
        _upserts.Clear();
        _deletes.Clear();

        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(transactions, options, async (rows, ct) =>
        {
            if (rows.Length == 1)
            {
                await table.UpsertEntityAsync(rows[0], TableUpdateMode.Replace, ct);
                return;
            }

            await table.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)), ct);
        });
        await Parallel.ForEachAsync(deletes, options, async (key, ct) =>
        {
            try
            {
                await table.DeleteEntityAsync(key.Item1, key.Item2, ETag.All, ct);
            }
            catch (RequestFailedException ex) when (ex.IsNotFound())
            {
            }
        });
    }
}
