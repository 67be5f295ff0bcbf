using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using PorBot.Conversations;
using PorBot.Lookups;

namespace PorBot.Conflicts;

/// <summary>
/// Records POR claims under the rules of the source document (one POR per subscription; a claim by the
/// POR is a no-op; no POR → a pending claim for the customer to confirm; another POR → a conflict that
/// later claimants join), resolves and withdraws them. Every change reads the subscription's claims whole,
/// decides, and saves the change with the alerts it owes all or nothing (<see cref="IClaimStore"/>); a save
/// refused because someone else changed the subscription meanwhile starts over from a fresh read. The
/// registry (possibly remote) and the conversation references are read before the save.
/// </summary>
public sealed partial class ClaimService(
    IClaimStore store,
    IPorRegistry registry,
    IConversationReferenceStore references,
    TimeProvider time,
    ILogger<ClaimService> logger)
{
    public const int MaxNoteLength = 1000;
    public const int MaxSourceSystemLength = 100;
    public const int MaxProofLength = 1000;
    public const int MaxProofLinkLength = 500;
    private const int MaxAttempts = 5;

    public static bool IsPartnerId(string? text) => text is not null && PartnerIdPattern().IsMatch(text);

    public async Task<ClaimResult> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (!IsPartnerId(request.ClaimantPartnerId)) problems.Add("claimantPartnerId must be a partner ID of 5 to 8 digits.");
        if (request.Note is { Length: > MaxNoteLength }) problems.Add($"note must be at most {MaxNoteLength} characters.");
        if (request.SourceSystem is { Length: > MaxSourceSystemLength }) problems.Add($"source must be at most {MaxSourceSystemLength} characters.");
        if (problems.Count > 0) throw new ClaimValidationException(problems);

        // A repeat is answered before the registry is asked: what it recorded stands even if the registry changed since.
        var hash = RequestHash(request);
        if (request.IdempotencyKey is { } key && await store.FindKeyAsync(key, cancellationToken) is { } earlier
            && await ReplayAsync(earlier, hash, cancellationToken) is { } replayed)
        {
            return replayed;
        }

        var subscription = await registry.GetSubscriptionAsync(request.SubscriptionId, cancellationToken);
        var claimant = await registry.GetPartnerAsync(request.ClaimantPartnerId, cancellationToken);
        if (subscription is null) problems.Add($"subscriptionId {request.SubscriptionId:D} is not in the POR registry.");
        if (claimant is null) problems.Add($"claimantPartnerId {request.ClaimantPartnerId} is not a partner in the POR registry.");
        if (problems.Count > 0) throw new ClaimValidationException(problems);

        // Only a request that can be recorded takes its key, so a rejected request can be corrected and sent again with it.
        var claimId = Guid.NewGuid();
        if (request.IdempotencyKey is { } reserving)
        {
            var taken = await store.ReserveKeyAsync(reserving, hash, claimId, request.SubscriptionId, cancellationToken);
            if (taken.ClaimId != claimId && await ReplayAsync(taken, hash, cancellationToken) is { } raced) return raced;
            // The same request took the key earlier and is not recorded yet (it crashed, or is being recorded right now):
            // recording it under the same claim id makes the two one.
            claimId = taken.ClaimId ?? claimId;
        }

        for (var attempt = 1; ; attempt++)
        {
            var claims = await store.LoadAsync(request.SubscriptionId, cancellationToken);
            if (await TryRecordAsync(claims, request, hash, claimId, subscription!, cancellationToken) is { } result) return result;
            if (attempt == MaxAttempts) throw new InvalidOperationException($"The conflict on subscription {request.SubscriptionId:D} kept changing; try again.");
            logger.LogDebug("Claims on {SubscriptionId} changed while claiming; retrying", request.SubscriptionId);
        }
    }

    /// <summary>
    /// Records the customer's decision: the winner's claim is Won, the other claims Lost, the registry's POR
    /// becomes the winner, and every party's card is queued for an update. Repeating the same decision
    /// returns the resolved state (and finishes a registry update that failed); another decision on an
    /// already resolved conflict, including one that lost a race, throws <see cref="ConflictAlreadyResolvedException"/>.
    /// </summary>
    /// <param name="id">A conflict id, or the id of a claim in that conflict.</param>
    public async Task<ConflictState> ResolveAsync(Guid id, string winnerPartnerId, string resolvedBy, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (claims, conflict) = await LoadConflictAsync(id, cancellationToken) ?? throw new ConflictNotFoundException(id);
            var state = State(claims, conflict);
            if (state.Status == ConflictStatus.Resolved) return await RepeatResolutionAsync(state, winnerPartnerId, cancellationToken);

            var parties = Parties(state);
            if (!parties.Contains(winnerPartnerId, StringComparer.Ordinal))
            {
                throw new ClaimValidationException([$"winnerPartnerId {winnerPartnerId} is not a party to this conflict (parties: {string.Join(", ", parties)})."]);
            }

            var targets = await TargetsAsync(parties, cancellationToken);
            var now = time.GetUtcNow();
            var resolved = conflict with
            {
                Status = ConflictStatus.Resolved, WinnerPartnerId = winnerPartnerId, ResolvedBy = resolvedBy, RegistrySynced = false,
                Version = conflict.Version + 1, UpdatedAt = now,
            };
            var settled = claims.Claims.Where(c => c.ConflictId == conflict.ConflictId && c.Status == ClaimStatus.Active)
                .Select(c => c with { Status = Settled(c, winnerPartnerId), UpdatedAt = now }).ToList();
            var alerts = Alerts(conflict.ConflictId, AlertKinds.Update, resolved.Version, parties, targets);
            if (await store.TrySaveAsync(new ClaimsChange(claims, settled, [resolved], [], alerts), cancellationToken))
            {
                logger.LogInformation("Conflict {ConflictId} resolved for partner {Winner} by {ResolvedBy}", conflict.ConflictId, winnerPartnerId, resolvedBy);
                return await FinishRegistryAsync(conflict.ConflictId, cancellationToken);
            }

            // Someone changed the subscription's claims since they were read (a claimant joined, or another resolution won): read them again.
            if (attempt == MaxAttempts) throw new InvalidOperationException($"Conflict {id:D} kept changing; try again.");
        }
    }

    /// <summary>
    /// The customer's answer, for a conflict (<see cref="ResolveAsync"/>) or for a pending claim
    /// (<see cref="ResolvePendingClaimAsync"/>), whichever <paramref name="id"/> names.
    /// </summary>
    /// <param name="id">A conflict id, a claim in a conflict, or a pending claim.</param>
    public async Task<Resolution> RecordDecisionAsync(Guid id, string winnerPartnerId, string resolvedBy, CancellationToken cancellationToken) =>
        await GetConflictAsync(id, cancellationToken) is not null
            ? new Resolution(await ResolveAsync(id, winnerPartnerId, resolvedBy, cancellationToken), null)
            : new Resolution(null, await ResolvePendingClaimAsync(id, winnerPartnerId, resolvedBy, cancellationToken));

    /// <summary>
    /// Records the customer's answer on a pending claim (no POR was listed): the named partner becomes POR
    /// in the registry; every claim still pending on that subscription is settled by it (Won for the named
    /// partner's claim, Lost for the others). Repeating the same answer returns it (and finishes a registry
    /// update that failed); another answer after one was recorded throws <see cref="ClaimNotPendingException"/>.
    /// </summary>
    public async Task<PendingClaimResolution> ResolvePendingClaimAsync(Guid claimId, string winnerPartnerId, string resolvedBy, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (claims, claim) = await LoadClaimAsync(claimId, cancellationToken) ?? throw new ConflictNotFoundException(claimId);
            if (claim.Outcome == ClaimOutcome.NoOp)
                throw new ClaimNotPendingException($"Claim {claimId:D} needed no decision: partner {claim.ClaimantPartnerId} already was Partner of Record when it was made.");
            if (claim.Outcome == ClaimOutcome.Conflict)
                throw new ClaimNotPendingException($"Claim {claimId:D} is part of conflict {claim.ConflictId:D}: resolve the conflict.");
            if (claim.Status == ClaimStatus.Withdrawn)
                throw new ClaimNotPendingException($"Claim {claimId:D} was withdrawn by its claimant, so there is nothing to decide.");
            if (claim.DecidedPorPartnerId is { } decided)
            {
                var recorded = new PendingClaimResolution(claimId, claim.SubscriptionId, claim.ClaimantPartnerId, claim.Status, decided);
                if (!string.Equals(decided, winnerPartnerId, StringComparison.Ordinal))
                    throw new ClaimNotPendingException($"Claim {claimId:D} was already resolved: the customer named partner {decided} as Partner of Record.", recorded);
                await FinishPendingRegistryAsync(claim.SubscriptionId, decided, claimId, cancellationToken);
                return recorded;
            }

            if (claim.Status != ClaimStatus.Active)
                throw new ClaimNotPendingException($"Claim {claimId:D} is {claim.Status} without a recorded decision, so there is nothing to decide.");

            if (await registry.GetPartnerAsync(winnerPartnerId, cancellationToken) is null)
                throw new ClaimValidationException([$"winnerPartnerId {winnerPartnerId} is not a partner in the POR registry."]);
            var subscription = await registry.GetSubscriptionAsync(claim.SubscriptionId, cancellationToken)
                ?? throw new ClaimNotPendingException($"Subscription {claim.SubscriptionId:D} of claim {claimId:D} is no longer in the POR registry.");
            if (subscription.PorPartnerId is { } listed && !string.Equals(listed, winnerPartnerId, StringComparison.Ordinal))
            {
                throw new ClaimNotPendingException($"The registry now lists partner {listed} as Partner of Record for subscription {claim.SubscriptionId:D}, " +
                    $"so claim {claimId:D} no longer waits on an unlisted subscription. A new claim would open a conflict with {listed}.");
            }

            // Every claim still pending on the subscription, the named one among them, is settled by the one answer.
            var now = time.GetUtcNow();
            var settled = claims.Claims.Where(c => c.Status == ClaimStatus.Active && c.Outcome == ClaimOutcome.Pending)
                .Select(c => c with
                {
                    Status = Settled(c, winnerPartnerId), DecidedPorPartnerId = winnerPartnerId, DecidedBy = resolvedBy, RegistrySynced = false, UpdatedAt = now,
                }).ToList();
            if (await store.TrySaveAsync(new ClaimsChange(claims, settled, [], [], []), cancellationToken))
            {
                logger.LogInformation("Pending claim {ClaimId} on {SubscriptionId} resolved for partner {Winner} by {ResolvedBy} ({Others} other pending claim(s) settled)",
                    claimId, claim.SubscriptionId, winnerPartnerId, resolvedBy, settled.Count - 1);
                await FinishPendingRegistryAsync(claim.SubscriptionId, winnerPartnerId, claimId, cancellationToken);
                return new PendingClaimResolution(claimId, claim.SubscriptionId, claim.ClaimantPartnerId, Settled(claim, winnerPartnerId), winnerPartnerId);
            }

            // A decision or withdrawal that got there first wins: read again and answer from what it recorded.
            if (attempt == MaxAttempts) throw new InvalidOperationException($"Claim {claimId:D} kept changing; try again.");
        }
    }

    /// <summary>
    /// Proof of execution from a party of an open conflict: stored, the conflict's version bumped and an
    /// Update queued for every party in one save, so every delivered card shows it. The same text
    /// from the same partner twice (a double click) is kept once.
    /// </summary>
    /// <returns>The conflict as it is now.</returns>
    public async Task<ConflictState> AddProofAsync(ProofRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var description = request.Description.Trim();
        var link = string.IsNullOrWhiteSpace(request.Link) ? null : request.Link.Trim();
        var problems = ProofProblems(description, link);
        if (problems.Count > 0) throw new ClaimValidationException(problems);

        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (claims, conflict) = await LoadConflictAsync(request.ConflictId, cancellationToken) ?? throw new ConflictNotFoundException(request.ConflictId);
            var state = State(claims, conflict);
            if (state.Status == ConflictStatus.Resolved) throw new ConflictAlreadyResolvedException(state);
            if (!state.IsActiveParty(request.PartnerId))
                throw new ClaimValidationException([$"Partner {request.PartnerId} is not the current POR or an active claimant in conflict {state.ConflictId:D}."]);

            var duplicate = claims.Proofs.Any(p => p.ConflictId == conflict.ConflictId && p.PartnerId == request.PartnerId
                && string.Equals(p.Description, description, StringComparison.Ordinal) && string.Equals(p.Link, link, StringComparison.Ordinal));
            if (duplicate) return state;

            var parties = Parties(state);
            var targets = await TargetsAsync(parties, cancellationToken);
            var now = time.GetUtcNow();
            var bumped = conflict with { Version = conflict.Version + 1, UpdatedAt = now };
            var proof = new StoredProof(Guid.NewGuid(), conflict.ConflictId, request.PartnerId, description, link, request.AddedBy, now);
            var alerts = Alerts(conflict.ConflictId, AlertKinds.Update, bumped.Version, parties, targets);
            if (await store.TrySaveAsync(new ClaimsChange(claims, [], [bumped], [proof], alerts), cancellationToken))
            {
                logger.LogInformation("Proof of execution added to conflict {ConflictId} by partner {Partner}", conflict.ConflictId, request.PartnerId);
                return state with { Version = bumped.Version };
            }
        }

        throw new InvalidOperationException($"Conflict {request.ConflictId:D} kept changing; try again.");
    }

    /// <summary>What is wrong with a proof as typed, in words for the person typing it; empty when it can be stored.</summary>
    public static IReadOnlyList<string> ProofProblems(string? description, string? link)
    {
        var problems = new List<string>();
        description = description?.Trim() ?? "";
        if (description.Length == 0) problems.Add("Describe the work you are doing for the customer.");
        else if (description.Length > MaxProofLength) problems.Add($"Keep the description to {MaxProofLength} characters (it has {description.Length}).");
        if (description.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))) problems.Add("The description contains control characters; type it as plain text.");

        link = link?.Trim();
        if (!string.IsNullOrEmpty(link) &&
            (link.Length > MaxProofLinkLength || !Uri.TryCreate(link, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || link.Any(char.IsWhiteSpace)))
        {
            problems.Add($"The link must be one https:// address of at most {MaxProofLinkLength} characters, or left empty.");
        }

        return problems;
    }

    /// <summary>A conflict as its cards show it, its state and proofs (oldest first) from one read; null when no conflict or claim has that id.</summary>
    /// <param name="id">A conflict id, or the id of a claim in that conflict.</param>
    public async Task<(ConflictState Conflict, IReadOnlyList<ConflictProof> Proofs)?> GetConflictWithProofsAsync(Guid id, CancellationToken cancellationToken)
    {
        if (await LoadConflictAsync(id, cancellationToken) is not var (claims, conflict)) return null;
        IReadOnlyList<ConflictProof> proofs = claims.Proofs.Where(p => p.ConflictId == conflict.ConflictId)
            .OrderBy(p => p.CreatedAt).ThenBy(p => Id(p.ProofId), StringComparer.Ordinal)
            .Select(p => new ConflictProof(p.ProofId, p.PartnerId, p.Description, p.Link, p.CreatedAt)).ToList();
        return (State(claims, conflict), proofs);
    }

    /// <summary>
    /// The claimant takes its claim back. The other parties' cards are queued for an update; when no
    /// claimant is left, the conflict closes with the POR unchanged.
    /// </summary>
    /// <returns>False when the claim does not exist or is not this partner's.</returns>
    public async Task<bool> WithdrawAsync(Guid claimId, string claimantPartnerId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await LoadClaimAsync(claimId, cancellationToken) is not var (claims, claim) || !string.Equals(claim.ClaimantPartnerId, claimantPartnerId, StringComparison.Ordinal))
                return false;
            if (claim.Status != ClaimStatus.Active) return true;

            var conflict = claim.ConflictId is { } cid ? claims.Conflicts.FirstOrDefault(c => c.ConflictId == cid) : null;
            var state = conflict is null ? null : State(claims, conflict);
            var parties = state is null ? [] : Parties(state);
            var targets = await TargetsAsync(parties, cancellationToken);
            var now = time.GetUtcNow();

            List<StoredConflict> conflicts = [];
            List<NewAlert> alerts = [];
            if (conflict is { Status: ConflictStatus.Open })
            {
                var othersLeft = state!.Claimants.Any(c => c.Status == ClaimStatus.Active && c.ClaimId != claimId);
                var bumped = conflict with { Version = conflict.Version + 1, UpdatedAt = now };
                conflicts.Add(othersLeft ? bumped : bumped with { Status = ConflictStatus.Resolved, WinnerPartnerId = conflict.CurrentPorPartnerId, ResolvedBy = "withdrawn" });
                alerts.AddRange(Alerts(conflict.ConflictId, AlertKinds.Update, bumped.Version, parties, targets));
            }

            if (await store.TrySaveAsync(new ClaimsChange(claims, [claim with { Status = ClaimStatus.Withdrawn, UpdatedAt = now }], conflicts, [], alerts), cancellationToken))
            {
                return true;
            }
        }

        throw new InvalidOperationException($"The conflict of claim {claimId:D} kept changing; try again.");
    }

    /// <param name="id">A conflict id, or the id of a claim that is part of a conflict.</param>
    public async Task<ConflictState?> GetConflictAsync(Guid id, CancellationToken cancellationToken) =>
        await LoadConflictAsync(id, cancellationToken) is var (claims, conflict) ? State(claims, conflict) : null;

    /// <summary>The subscriptions among <paramref name="subscriptionIds"/> on which <paramref name="partnerId"/> has an active claim.</summary>
    public Task<IReadOnlySet<Guid>> GetActiveClaimsAsync(string partnerId, IReadOnlyCollection<Guid> subscriptionIds, CancellationToken cancellationToken) =>
        store.GetActiveClaimsAsync(partnerId, subscriptionIds, cancellationToken);

    /// <summary>
    /// Cancel on a claim card: takes the card's key as cancelled so that a later Confirm on the same card records
    /// nothing. False when Confirm got there first and the claim is recorded (or being recorded).
    /// </summary>
    public Task<bool> CancelCardAsync(string idempotencyKey, CancellationToken cancellationToken) => store.CancelKeyAsync(idempotencyKey, cancellationToken);

    private async Task<ClaimResult?> TryRecordAsync(SubscriptionClaims claims, ClaimRequest request, string hash, Guid claimId, SubscriptionRecord subscription,
        CancellationToken cancellationToken)
    {
        var claimantId = request.ClaimantPartnerId;
        // Recorded already by another attempt of this same request (its idempotency key gave both this claim id).
        if (claims.Claims.FirstOrDefault(c => c.ClaimId == claimId) is { } same) return Replay(same);

        // One active claim per partner and subscription: claiming again returns the claim already made.
        if (Ordered(claims.Claims).FirstOrDefault(c => c.ClaimantPartnerId == claimantId && c.Status == ClaimStatus.Active) is { } active) return Replay(active);

        var now = time.GetUtcNow();
        ClaimOutcome outcome;
        StoredConflict? open = null;
        StoredConflict? conflict = null;
        List<string> parties = [];
        if (subscription.PorPartnerId is not { } por) outcome = ClaimOutcome.Pending;
        else if (por == claimantId) outcome = ClaimOutcome.NoOp;
        else
        {
            outcome = ClaimOutcome.Conflict;
            open = claims.Conflicts.FirstOrDefault(c => c.Status == ConflictStatus.Open);
            if (open is null)
            {
                conflict = new StoredConflict(Guid.NewGuid(), request.SubscriptionId, por, ConflictStatus.Open, null, null, RegistrySynced: true, Version: 1, now, now);
                parties = [por, claimantId];
            }
            else
            {
                conflict = open with { Version = open.Version + 1, UpdatedAt = now };
                parties = Parties(State(claims, open)).Append(claimantId).Distinct(StringComparer.Ordinal).ToList();
            }
        }

        var claim = new StoredClaim(claimId, request.SubscriptionId, claimantId, request.Source, request.SourceSystem, request.Note, outcome, conflict?.ConflictId,
            outcome == ClaimOutcome.NoOp ? ClaimStatus.Won : ClaimStatus.Active, request.IdempotencyKey, hash, DecidedPorPartnerId: null, DecidedBy: null,
            RegistrySynced: true, now, now);

        var alerts = new List<NewAlert>();
        if (conflict is not null)
        {
            // Every party gets the alert once per conversation (rows already queued are kept as they are);
            // parties alerted before also get an update: the conflict now has another claimant.
            var targets = await TargetsAsync(parties, cancellationToken);
            alerts.AddRange(Alerts(conflict.ConflictId, AlertKinds.Alert, 0, parties, targets));
            if (open is not null) alerts.AddRange(Alerts(conflict.ConflictId, AlertKinds.Update, conflict.Version, parties.Where(p => p != claimantId), targets));
        }

        if (!await store.TrySaveAsync(new ClaimsChange(claims, [claim], conflict is null ? [] : [conflict], [], alerts), cancellationToken)) return null;
        logger.LogInformation("Claim {ClaimId} by partner {Partner} on {SubscriptionId}: {Outcome}", claimId, claimantId, request.SubscriptionId, outcome);
        return new ClaimResult(claimId, outcome, conflict?.ConflictId);
    }

    /// <summary>The answer to a request whose idempotency key is taken: the claim it recorded, or null when this request may record it now.</summary>
    private async Task<ClaimResult?> ReplayAsync(ClaimKey key, string hash, CancellationToken cancellationToken)
    {
        if (key.Cancelled) throw new ClaimValidationException(["This claim card was cancelled, so nothing was recorded. Send claim <subscription id> to start again."]);
        if (!string.Equals(key.RequestHash, hash, StringComparison.Ordinal)) throw new IdempotencyKeyReusedException();
        if (key.ClaimId is not { } claimId || key.SubscriptionId is not { } subscriptionId) return null;
        var claims = await store.LoadAsync(subscriptionId, cancellationToken);
        return claims.Claims.FirstOrDefault(c => c.ClaimId == claimId) is { } recorded ? Replay(recorded) : null;
    }

    private static ClaimResult Replay(StoredClaim claim) => new(claim.ClaimId, claim.Outcome, claim.ConflictId, Replayed: true);

    private async Task<ConflictState> RepeatResolutionAsync(ConflictState state, string winnerPartnerId, CancellationToken cancellationToken)
    {
        if (!string.Equals(state.WinnerPartnerId, winnerPartnerId, StringComparison.Ordinal)) throw new ConflictAlreadyResolvedException(state);
        return await FinishRegistryAsync(state.ConflictId, cancellationToken);
    }

    /// <summary>
    /// Writes a recorded resolution into the registry once, then marks it written; a failure leaves it to be finished by
    /// repeating the resolution (the registry is written only while it does not list the winner, so a repeat is harmless).
    /// </summary>
    private async Task<ConflictState> FinishRegistryAsync(Guid conflictId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (claims, conflict) = (await LoadConflictAsync(conflictId, cancellationToken))!.Value;
            var state = State(claims, conflict);
            if (conflict.RegistrySynced || conflict.WinnerPartnerId is not { } winner) return state;

            var subscription = await registry.GetSubscriptionAsync(state.SubscriptionId, cancellationToken);
            if (subscription is not null && !string.Equals(subscription.PorPartnerId, winner, StringComparison.Ordinal))
            {
                var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
                await registry.RecordPorChangeAsync(new PorChange(state.SubscriptionId, winner, today, $"Conflict {conflictId:D} resolved by the customer's decision"), cancellationToken);
            }

            if (await store.TrySaveAsync(new ClaimsChange(claims, [], [conflict with { RegistrySynced = true }], [], []), cancellationToken)) return state;
            if (attempt == MaxAttempts)
            {
                logger.LogWarning("Conflict {ConflictId}: the registry has the decision but the claims kept changing; repeating the resolution records that", conflictId);
                return state;
            }
        }
    }

    /// <summary>Writes a recorded pending-claim decision into the registry once, then marks it written; a failure leaves it to be finished by repeating the resolution.</summary>
    private async Task FinishPendingRegistryAsync(Guid subscriptionId, string winner, Guid claimId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var claims = await store.LoadAsync(subscriptionId, cancellationToken);
            var unsynced = claims.Claims.Where(c => c.DecidedPorPartnerId == winner && !c.RegistrySynced).ToList();
            if (unsynced.Count == 0) return;

            var subscription = await registry.GetSubscriptionAsync(subscriptionId, cancellationToken);
            if (subscription is not null && !string.Equals(subscription.PorPartnerId, winner, StringComparison.Ordinal))
            {
                var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
                await registry.RecordPorChangeAsync(new PorChange(subscriptionId, winner, today, $"Pending claim {claimId:D} resolved by the customer's decision"), cancellationToken);
            }

            var synced = unsynced.Select(c => c with { RegistrySynced = true }).ToList();
            if (await store.TrySaveAsync(new ClaimsChange(claims, synced, [], [], []), cancellationToken)) return;
            if (attempt == MaxAttempts)
            {
                logger.LogWarning("Pending claim {ClaimId}: the registry has the decision but the claims kept changing; repeating the resolution records that", claimId);
                return;
            }
        }
    }

    /// <summary>The subscription's claims and the conflict <paramref name="id"/> names (itself, or a claim in it); null when there is none.</summary>
    private async Task<(SubscriptionClaims Claims, StoredConflict Conflict)?> LoadConflictAsync(Guid id, CancellationToken cancellationToken)
    {
        if (await store.FindSubscriptionAsync(id, cancellationToken) is not { } subscriptionId) return null;
        var claims = await store.LoadAsync(subscriptionId, cancellationToken);
        var conflictId = claims.Conflicts.Any(c => c.ConflictId == id) ? id : claims.Claims.FirstOrDefault(c => c.ClaimId == id)?.ConflictId;
        return claims.Conflicts.FirstOrDefault(c => c.ConflictId == conflictId) is { } conflict ? (claims, conflict) : null;
    }

    private async Task<(SubscriptionClaims Claims, StoredClaim Claim)?> LoadClaimAsync(Guid claimId, CancellationToken cancellationToken)
    {
        if (await store.FindSubscriptionAsync(claimId, cancellationToken) is not { } subscriptionId) return null;
        var claims = await store.LoadAsync(subscriptionId, cancellationToken);
        return claims.Claims.FirstOrDefault(c => c.ClaimId == claimId) is { } claim ? (claims, claim) : null;
    }

    private static ConflictState State(SubscriptionClaims claims, StoredConflict conflict) =>
        new(conflict.ConflictId, conflict.SubscriptionId, conflict.CurrentPorPartnerId, conflict.Status, conflict.WinnerPartnerId, conflict.Version,
            Ordered(claims.Claims).Where(c => c.ConflictId == conflict.ConflictId)
                .Select(c => new ClaimantState(c.ClaimId, c.ClaimantPartnerId, c.Status, c.CreatedAt)).ToList());

    /// <summary>Oldest first; claims made in the same instant in the order of their ids' text, whatever order a store returns them in.</summary>
    private static IEnumerable<StoredClaim> Ordered(IEnumerable<StoredClaim> claims) =>
        claims.OrderBy(c => c.CreatedAt).ThenBy(c => Id(c.ClaimId), StringComparer.Ordinal);

    private static ClaimStatus Settled(StoredClaim claim, string winnerPartnerId) =>
        string.Equals(claim.ClaimantPartnerId, winnerPartnerId, StringComparison.Ordinal) ? ClaimStatus.Won : ClaimStatus.Lost;

    /// <summary>The current POR and every claimant still in the conflict.</summary>
    private static List<string> Parties(ConflictState conflict) =>
        conflict.Claimants.Where(c => c.Status == ClaimStatus.Active).Select(c => c.PartnerId)
            .Prepend(conflict.CurrentPorPartnerId).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>A partner's alert targets (personal chats, conversations designated with <c>alerts here</c>), through the Entra tenants of its partner record.</summary>
    public async Task<List<StoredConversationReference>> AlertTargetsAsync(string partnerId, CancellationToken cancellationToken)
    {
        var targets = new List<StoredConversationReference>();
        if (await registry.GetPartnerAsync(partnerId, cancellationToken) is { } partner)
        {
            foreach (var tenant in partner.TenantIds.Distinct())
            {
                targets.AddRange(await references.ListAlertTargetsByTenantAsync(tenant.ToString("D"), cancellationToken));
            }
        }

        return targets;
    }

    private async Task<Dictionary<string, List<StoredConversationReference>>> TargetsAsync(IReadOnlyList<string> parties, CancellationToken cancellationToken)
    {
        var targets = new Dictionary<string, List<StoredConversationReference>>(StringComparer.Ordinal);
        foreach (var party in parties) targets[party] = await AlertTargetsAsync(party, cancellationToken);
        return targets;
    }

    /// <summary>One alert per party and place; a party with nowhere to be alerted gets one without a place (Waiting).</summary>
    private static List<NewAlert> Alerts(Guid conflictId, string kind, int revision, IEnumerable<string> parties,
        Dictionary<string, List<StoredConversationReference>> targets) =>
        parties.SelectMany(party =>
            (targets.TryGetValue(party, out var found) && found.Count > 0 ? found.Cast<StoredConversationReference?>() : [null])
                .Select(place => new NewAlert(conflictId, kind, revision, party, place))).ToList();

    /// <summary>What makes two requests with one idempotency key the same request.</summary>
    internal static string RequestHash(ClaimRequest request)
    {
        var canonical = string.Join('\n', Id(request.SubscriptionId), request.ClaimantPartnerId, request.Source, request.SourceSystem ?? "\0", request.Note ?? "\0");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static string Id(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\d{5,8}$", RegexOptions.CultureInvariant)]
    private static partial Regex PartnerIdPattern();
}
