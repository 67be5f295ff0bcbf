namespace PorBot.Lookups;

/// <summary>
/// Which partners have a pending or accepted POR claim on a subscription (issue 5). A claimant sees a
/// subscription's POR details in full, as the POR does. Until claims exist, nobody is a claimant.
/// </summary>
public interface IClaimantLookup
{
    /// <summary>The subset of <paramref name="subscriptionIds"/> that <paramref name="partnerId"/> has a claim on.</summary>
    Task<IReadOnlySet<Guid>> GetClaimedSubscriptionsAsync(string partnerId, IReadOnlyCollection<Guid> subscriptionIds, CancellationToken cancellationToken);
}

/// <summary>The default until claims are built: no partner has a claim on anything.</summary>
public sealed class NoClaimants : IClaimantLookup
{
    private static readonly IReadOnlySet<Guid> None = new HashSet<Guid>();

    public Task<IReadOnlySet<Guid>> GetClaimedSubscriptionsAsync(string partnerId, IReadOnlyCollection<Guid> subscriptionIds, CancellationToken cancellationToken) =>
        Task.FromResult(None);
}
