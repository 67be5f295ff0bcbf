namespace PorBot.Storage;

/// <summary>
/// A read-only unit of work that should see storage at one point in time (a lookup reads the caller's partner,
/// the customer's subscriptions and the caller's claims). Reads the calling async flow makes through the stores
/// until the returned scope is disposed share one snapshot where the provider has them; no writes inside it.
/// </summary>
public interface IReadSnapshots
{
    IDisposable BeginRead();
}

/// <summary>For providers without snapshots (Azure Storage reads row by row): every read stands alone.</summary>
public sealed class NoReadSnapshots : IReadSnapshots
{
    public IDisposable BeginRead() => Scope.Instance;

    private sealed class Scope : IDisposable
    {
        public static readonly Scope Instance = new();

        public void Dispose()
        {
        }
    }
}
