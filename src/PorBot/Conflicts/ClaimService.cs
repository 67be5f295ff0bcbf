using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using PorBot.Conversations;
using PorBot.Lookups;
using PorBot.Storage.Sqlite;

namespace PorBot.Conflicts;

/// <summary>
/// Records POR claims under the rules of the source document (one POR per subscription; a claim by the
/// POR is a no-op; no POR → a pending claim for the customer to confirm; another POR → a conflict that
/// later claimants join), resolves and withdraws them. Each change is one SQLite transaction holding the
/// claim, the conflict and the alert outbox rows, so an alert is queued exactly when its conflict exists.
/// The registry (possibly remote) and the conversation references are read before the transaction;
/// the transaction re-checks the conflict it planned for and starts over if it changed.
/// </summary>
public sealed partial class ClaimService(
    SqliteDatabase database,
    IPorRegistry registry,
    IConversationReferenceStore references,
    IAlertOutbox outbox,
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

        var hash = RequestHash(request);
        if (request.IdempotencyKey is { } key && await FindByIdempotencyKeyAsync(key, hash, cancellationToken) is { } earlier) return earlier;
        if (request.IdempotencyKey is { } cardKey && await IsCancelledCardAsync(cardKey, cancellationToken))
            throw new ClaimValidationException(["This claim card was cancelled, so nothing was recorded. Send claim <subscription id> to start again."]);

        var subscription = await registry.GetSubscriptionAsync(request.SubscriptionId, cancellationToken);
        var claimant = await registry.GetPartnerAsync(request.ClaimantPartnerId, cancellationToken);
        if (subscription is null) problems.Add($"subscriptionId {request.SubscriptionId:D} is not in the POR registry.");
        if (claimant is null) problems.Add($"claimantPartnerId {request.ClaimantPartnerId} is not a partner in the POR registry.");
        if (problems.Count > 0) throw new ClaimValidationException(problems);

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (await TryRecordAsync(request, hash, subscription!, cancellationToken) is { } result) return result;
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19 && request.IdempotencyKey is not null)
            {
                // The same request, sent twice at once: the other one recorded it.
                if (await FindByIdempotencyKeyAsync(request.IdempotencyKey, hash, cancellationToken) is { } raced) return raced;
                throw;
            }

            if (attempt == MaxAttempts) throw new InvalidOperationException($"The conflict on subscription {request.SubscriptionId:D} kept changing; try again.");
            logger.LogDebug("Conflict on {SubscriptionId} changed while claiming; retrying", request.SubscriptionId);
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
            var state = await GetConflictAsync(id, cancellationToken) ?? throw new ConflictNotFoundException(id);
            if (state.Status == ConflictStatus.Resolved) return await RepeatResolutionAsync(state, winnerPartnerId, cancellationToken);

            var parties = Parties(state);
            if (!parties.Contains(winnerPartnerId, StringComparer.Ordinal))
            {
                throw new ClaimValidationException([$"winnerPartnerId {winnerPartnerId} is not a party to this conflict (parties: {string.Join(", ", parties)})."]);
            }

            var targets = await TargetsAsync(parties, cancellationToken);
            var owed = new List<NewAlert>();
            await using (var connection = await database.OpenAsync(cancellationToken))
            await using (var transaction = connection.BeginTransaction())
            {
                var now = time.GetUtcNow().ToDbTime();
                var changed = await connection.Command("""
                    UPDATE conflicts SET status = 'Resolved', winner_partner_id = $winner, resolved_by = $by, registry_synced = 0,
                                         version = version + 1, updated_at = $now
                    WHERE conflict_id = $id AND version = $version AND status = 'Open'
                    """, transaction)
                    .With("$winner", winnerPartnerId).With("$by", resolvedBy).With("$now", now)
                    .With("$id", Id(state.ConflictId)).With("$version", state.Version).ExecuteNonQueryAsync(cancellationToken);
                if (changed == 1)
                {
                    await connection.Command("""
                        UPDATE claims SET status = CASE WHEN claimant_partner_id = $winner THEN 'Won' ELSE 'Lost' END, updated_at = $now
                        WHERE conflict_id = $id AND status = 'Active'
                        """, transaction)
                        .With("$winner", winnerPartnerId).With("$now", now).With("$id", Id(state.ConflictId)).ExecuteNonQueryAsync(cancellationToken);
                    await QueueAsync(connection, transaction, owed, state.ConflictId, "Update", state.Version + 1, parties, targets, cancellationToken);
                    await CommitAsync(transaction, owed, cancellationToken);
                    logger.LogInformation("Conflict {ConflictId} resolved for partner {Winner} by {ResolvedBy}", state.ConflictId, winnerPartnerId, resolvedBy);
                    return await FinishRegistryAsync(state.ConflictId, cancellationToken);
                }
            }

            // Someone changed the conflict since it was read (a claimant joined, or another resolution won): read it again.
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
            var claim = await ReadPendingClaimAsync(claimId, cancellationToken) ?? throw new ConflictNotFoundException(claimId);
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

            if (await registry.GetPartnerAsync(winnerPartnerId, cancellationToken) is null)
                throw new ClaimValidationException([$"winnerPartnerId {winnerPartnerId} is not a partner in the POR registry."]);
            var subscription = await registry.GetSubscriptionAsync(claim.SubscriptionId, cancellationToken)
                ?? throw new ClaimNotPendingException($"Subscription {claim.SubscriptionId:D} of claim {claimId:D} is no longer in the POR registry.");
            if (subscription.PorPartnerId is { } listed && !string.Equals(listed, winnerPartnerId, StringComparison.Ordinal))
            {
                throw new ClaimNotPendingException($"The registry now lists partner {listed} as Partner of Record for subscription {claim.SubscriptionId:D}, " +
                    $"so claim {claimId:D} no longer waits on an unlisted subscription. A new claim would open a conflict with {listed}.");
            }

            await using (var connection = await database.OpenAsync(cancellationToken))
            await using (var transaction = connection.BeginTransaction())
            {
                var now = time.GetUtcNow().ToDbTime();
                // The named claim first and only while still Active: a decision (or withdrawal) that got there first wins.
                var changed = await connection.Command("""
                    UPDATE claims SET status = CASE WHEN claimant_partner_id = $winner THEN 'Won' ELSE 'Lost' END,
                                      decided_por_partner_id = $winner, decided_by = $by, registry_synced = 0, updated_at = $now
                    WHERE claim_id = $id AND status = 'Active' AND outcome = 'Pending'
                    """, transaction)
                    .With("$winner", winnerPartnerId).With("$by", resolvedBy).With("$now", now).With("$id", Id(claimId)).ExecuteNonQueryAsync(cancellationToken);
                if (changed == 1)
                {
                    var others = await connection.Command("""
                        UPDATE claims SET status = CASE WHEN claimant_partner_id = $winner THEN 'Won' ELSE 'Lost' END,
                                          decided_por_partner_id = $winner, decided_by = $by, registry_synced = 0, updated_at = $now
                        WHERE subscription_id = $sub AND status = 'Active' AND outcome = 'Pending'
                        """, transaction)
                        .With("$winner", winnerPartnerId).With("$by", resolvedBy).With("$now", now).With("$sub", Id(claim.SubscriptionId))
                        .ExecuteNonQueryAsync(cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    logger.LogInformation("Pending claim {ClaimId} on {SubscriptionId} resolved for partner {Winner} by {ResolvedBy} ({Others} other pending claim(s) settled)",
                        claimId, claim.SubscriptionId, winnerPartnerId, resolvedBy, others);
                    await FinishPendingRegistryAsync(claim.SubscriptionId, winnerPartnerId, claimId, cancellationToken);
                    var status = string.Equals(claim.ClaimantPartnerId, winnerPartnerId, StringComparison.Ordinal) ? ClaimStatus.Won : ClaimStatus.Lost;
                    return new PendingClaimResolution(claimId, claim.SubscriptionId, claim.ClaimantPartnerId, status, winnerPartnerId);
                }
            }

            if (attempt == MaxAttempts) throw new InvalidOperationException($"Claim {claimId:D} kept changing; try again.");
        }
    }

    /// <summary>
    /// Proof of execution from a party of an open conflict: stored, the conflict's version bumped and an
    /// Update queued for every party in one transaction, so every delivered card shows it. The same text
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
            var state = await GetConflictAsync(request.ConflictId, cancellationToken) ?? throw new ConflictNotFoundException(request.ConflictId);
            if (state.Status == ConflictStatus.Resolved) throw new ConflictAlreadyResolvedException(state);
            if (!state.IsActiveParty(request.PartnerId))
                throw new ClaimValidationException([$"Partner {request.PartnerId} is not the current POR or an active claimant in conflict {state.ConflictId:D}."]);

            var parties = Parties(state);
            var targets = await TargetsAsync(parties, cancellationToken);
            await using var connection = await database.OpenAsync(cancellationToken);
            var owed = new List<NewAlert>();
            await using var transaction = connection.BeginTransaction();
            var duplicate = await connection.Command("""
                SELECT 1 FROM conflict_proofs WHERE conflict_id = $id AND partner_id = $partner AND description = $description AND link IS $link
                """, transaction)
                .With("$id", Id(state.ConflictId)).With("$partner", request.PartnerId).With("$description", description).With("$link", link)
                .ExecuteScalarAsync(cancellationToken) is not null;
            if (duplicate) return state;

            var now = time.GetUtcNow().ToDbTime();
            var bumped = await connection.Command("UPDATE conflicts SET version = version + 1, updated_at = $now WHERE conflict_id = $id AND version = $version AND status = 'Open'", transaction)
                .With("$now", now).With("$id", Id(state.ConflictId)).With("$version", state.Version).ExecuteNonQueryAsync(cancellationToken);
            if (bumped == 0) continue;

            await connection.Command("""
                INSERT INTO conflict_proofs (proof_id, conflict_id, partner_id, description, link, added_by, created_at)
                VALUES ($proof, $id, $partner, $description, $link, $by, $now)
                """, transaction)
                .With("$proof", Id(Guid.NewGuid())).With("$id", Id(state.ConflictId)).With("$partner", request.PartnerId)
                .With("$description", description).With("$link", link).With("$by", request.AddedBy).With("$now", now)
                .ExecuteNonQueryAsync(cancellationToken);
            await QueueAsync(connection, transaction, owed, state.ConflictId, "Update", state.Version + 1, parties, targets, cancellationToken);
            await CommitAsync(transaction, owed, cancellationToken);
            logger.LogInformation("Proof of execution added to conflict {ConflictId} by partner {Partner}", state.ConflictId, request.PartnerId);
            return (await GetConflictAsync(state.ConflictId, cancellationToken))!;
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

    /// <summary>Proofs of a conflict, oldest first.</summary>
    public async Task<IReadOnlyList<ConflictProof>> GetProofsAsync(Guid conflictId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command("""
            SELECT proof_id, partner_id, description, link, created_at FROM conflict_proofs WHERE conflict_id = $id ORDER BY created_at, proof_id
            """).With("$id", Id(conflictId)).ExecuteReaderAsync(cancellationToken);
        var proofs = new List<ConflictProof>();
        while (await reader.ReadAsync(cancellationToken))
        {
            proofs.Add(new ConflictProof(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2), reader.GetNullableString(3),
                SqliteExtensions.FromDbTime(reader.GetString(4))));
        }

        return proofs;
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
            var claim = await ReadClaimAsync(claimId, cancellationToken);
            if (claim is null || !string.Equals(claim.Value.PartnerId, claimantPartnerId, StringComparison.Ordinal)) return false;
            if (claim.Value.Status != ClaimStatus.Active) return true;

            var conflict = claim.Value.ConflictId is { } cid ? await GetConflictAsync(cid, cancellationToken) : null;
            var parties = conflict is null ? [] : Parties(conflict);
            var targets = await TargetsAsync(parties, cancellationToken);

            await using var connection = await database.OpenAsync(cancellationToken);
            var owed = new List<NewAlert>();
            await using var transaction = connection.BeginTransaction();
            var now = time.GetUtcNow().ToDbTime();
            var changed = await connection.Command("UPDATE claims SET status = 'Withdrawn', updated_at = $now WHERE claim_id = $id AND status = 'Active'", transaction)
                .With("$now", now).With("$id", Id(claimId)).ExecuteNonQueryAsync(cancellationToken);
            if (changed == 0) return true;

            if (conflict is { Status: ConflictStatus.Open })
            {
                var othersLeft = conflict.Claimants.Any(c => c.Status == ClaimStatus.Active && c.ClaimId != claimId);
                var bumped = await connection.Command($"""
                    UPDATE conflicts SET version = version + 1, updated_at = $now
                        {(othersLeft ? "" : ", status = 'Resolved', winner_partner_id = current_por_partner_id, resolved_by = 'withdrawn'")}
                    WHERE conflict_id = $id AND version = $version AND status = 'Open'
                    """, transaction)
                    .With("$now", now).With("$id", Id(conflict.ConflictId)).With("$version", conflict.Version).ExecuteNonQueryAsync(cancellationToken);
                if (bumped == 0) continue;
                await QueueAsync(connection, transaction, owed, conflict.ConflictId, "Update", conflict.Version + 1, parties, targets, cancellationToken);
            }

            await CommitAsync(transaction, owed, cancellationToken);
            return true;
        }

        throw new InvalidOperationException($"The conflict of claim {claimId:D} kept changing; try again.");
    }

    /// <param name="id">A conflict id, or the id of a claim that is part of a conflict.</param>
    public async Task<ConflictState?> GetConflictAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command("""
            SELECT conflict_id, subscription_id, current_por_partner_id, status, winner_partner_id, version FROM conflicts
            WHERE conflict_id = $id OR conflict_id = (SELECT conflict_id FROM claims WHERE claim_id = $id)
            """).With("$id", Id(id)).ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        var conflictId = Guid.Parse(reader.GetString(0));
        var subscriptionId = Guid.Parse(reader.GetString(1));
        var por = reader.GetString(2);
        var status = Enum.Parse<ConflictStatus>(reader.GetString(3));
        var winner = reader.GetNullableString(4);
        var version = reader.GetInt32(5);
        return new ConflictState(conflictId, subscriptionId, por, status, winner, version, await ClaimantsAsync(connection, null, conflictId, cancellationToken));
    }

    /// <summary>The subscriptions among <paramref name="subscriptionIds"/> on which <paramref name="partnerId"/> has an active claim.</summary>
    public async Task<IReadOnlySet<Guid>> GetActiveClaimsAsync(string partnerId, IReadOnlyCollection<Guid> subscriptionIds, CancellationToken cancellationToken)
    {
        var found = new HashSet<Guid>();
        if (subscriptionIds.Count == 0) return found;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Command("SELECT DISTINCT subscription_id FROM claims WHERE claimant_partner_id = $partner AND status = 'Active' AND subscription_id IN (SELECT value FROM json_each($ids))")
            .With("$partner", partnerId).With("$ids", System.Text.Json.JsonSerializer.Serialize(subscriptionIds.Select(Id)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) found.Add(Guid.Parse(reader.GetString(0)));
        return found;
    }

    private async Task<ClaimResult?> TryRecordAsync(ClaimRequest request, string hash, SubscriptionRecord subscription, CancellationToken cancellationToken)
    {
        var claimantId = request.ClaimantPartnerId;
        var open = subscription.PorPartnerId is { } por && por != claimantId ? await FindOpenConflictAsync(request.SubscriptionId, cancellationToken) : null;
        var parties = open is not null ? Parties(open).Append(claimantId).Distinct(StringComparer.Ordinal).ToList()
            : subscription.PorPartnerId is { } p && p != claimantId ? [p, claimantId] : [];
        var targets = await TargetsAsync(parties, cancellationToken);

        await using var connection = await database.OpenAsync(cancellationToken);
        var owed = new List<NewAlert>();
        await using var transaction = connection.BeginTransaction();
        var now = time.GetUtcNow().ToDbTime();

        // One active claim per partner and subscription: claiming again returns the claim already made.
        await using (var existing = await connection.Command("""
            SELECT claim_id, outcome, conflict_id FROM claims
            WHERE subscription_id = $sub AND claimant_partner_id = $partner AND status = 'Active' ORDER BY created_at LIMIT 1
            """, transaction).With("$sub", Id(request.SubscriptionId)).With("$partner", claimantId).ExecuteReaderAsync(cancellationToken))
        {
            if (await existing.ReadAsync(cancellationToken))
            {
                return new ClaimResult(Guid.Parse(existing.GetString(0)), Enum.Parse<ClaimOutcome>(existing.GetString(1)),
                    existing.IsDBNull(2) ? null : Guid.Parse(existing.GetString(2)), Replayed: true);
            }
        }

        var claimId = Guid.NewGuid();
        ClaimOutcome outcome;
        Guid? conflictId = null;
        if (subscription.PorPartnerId is null) outcome = ClaimOutcome.Pending;
        else if (subscription.PorPartnerId == claimantId) outcome = ClaimOutcome.NoOp;
        else
        {
            outcome = ClaimOutcome.Conflict;
            var current = await FindOpenConflictAsync(connection, transaction, request.SubscriptionId, cancellationToken);
            if (current?.ConflictId != open?.ConflictId || current?.Version != open?.Version) return null;

            if (open is null)
            {
                conflictId = Guid.NewGuid();
                await connection.Command("""
                    INSERT INTO conflicts (conflict_id, subscription_id, current_por_partner_id, status, version, created_at, updated_at)
                    VALUES ($id, $sub, $por, 'Open', 1, $now, $now)
                    """, transaction)
                    .With("$id", Id(conflictId.Value)).With("$sub", Id(request.SubscriptionId)).With("$por", subscription.PorPartnerId)
                    .With("$now", now).ExecuteNonQueryAsync(cancellationToken);
            }
            else
            {
                conflictId = open.ConflictId;
                var joined = await connection.Command("UPDATE conflicts SET version = version + 1, updated_at = $now WHERE conflict_id = $id AND version = $version AND status = 'Open'", transaction)
                    .With("$now", now).With("$id", Id(open.ConflictId)).With("$version", open.Version).ExecuteNonQueryAsync(cancellationToken);
                if (joined == 0) return null;
            }
        }

        await connection.Command("""
            INSERT INTO claims (claim_id, subscription_id, claimant_partner_id, source, source_system, note, outcome, conflict_id, status,
                                idempotency_key, request_hash, created_at, updated_at)
            VALUES ($id, $sub, $partner, $source, $system, $note, $outcome, $conflict, $status, $key, $hash, $now, $now)
            """, transaction)
            .With("$id", Id(claimId)).With("$sub", Id(request.SubscriptionId)).With("$partner", claimantId)
            .With("$source", request.Source).With("$system", request.SourceSystem).With("$note", request.Note)
            .With("$outcome", outcome.ToString()).With("$conflict", conflictId is { } c ? Id(c) : null)
            .With("$status", outcome == ClaimOutcome.NoOp ? nameof(ClaimStatus.Won) : nameof(ClaimStatus.Active))
            .With("$key", request.IdempotencyKey).With("$hash", hash).With("$now", now)
            .ExecuteNonQueryAsync(cancellationToken);

        if (conflictId is { } id)
        {
            // Every party gets the alert once per conversation (rows already queued are kept as they are);
            // parties alerted before also get an update: the conflict now has another claimant.
            await QueueAsync(connection, transaction, owed, id, "Alert", 0, parties, targets, cancellationToken);
            if (open is not null)
            {
                await QueueAsync(connection, transaction, owed, id, "Update", open.Version + 1, parties.Where(p => p != claimantId).ToList(), targets, cancellationToken);
            }
        }

        await CommitAsync(transaction, owed, cancellationToken);
        logger.LogInformation("Claim {ClaimId} by partner {Partner} on {SubscriptionId}: {Outcome}", claimId, claimantId, request.SubscriptionId, outcome);
        return new ClaimResult(claimId, outcome, conflictId);
    }

    /// <summary>
    /// Cancel on a claim card: remembers the card's key so that a later Confirm on the same card records
    /// nothing. False when Confirm got there first and the claim is already recorded.
    /// </summary>
    public async Task<bool> CancelCardAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        var recorded = await connection.Command("SELECT 1 FROM claims WHERE idempotency_key = $key", transaction)
            .With("$key", idempotencyKey).ExecuteScalarAsync(cancellationToken) is not null;
        if (!recorded)
        {
            await connection.Command("INSERT OR IGNORE INTO cancelled_claim_cards (idempotency_key, cancelled_at) VALUES ($key, $now)", transaction)
                .With("$key", idempotencyKey).With("$now", time.GetUtcNow().ToDbTime()).ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return !recorded;
    }

    private async Task<bool> IsCancelledCardAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.Command("SELECT 1 FROM cancelled_claim_cards WHERE idempotency_key = $key")
            .With("$key", idempotencyKey).ExecuteScalarAsync(cancellationToken) is not null;
    }

    private async Task<ClaimResult?> FindByIdempotencyKeyAsync(string key, string hash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command("SELECT claim_id, outcome, conflict_id, request_hash FROM claims WHERE idempotency_key = $key")
            .With("$key", key).ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        if (!string.Equals(reader.GetNullableString(3), hash, StringComparison.Ordinal)) throw new IdempotencyKeyReusedException();
        return new ClaimResult(Guid.Parse(reader.GetString(0)), Enum.Parse<ClaimOutcome>(reader.GetString(1)),
            reader.IsDBNull(2) ? null : Guid.Parse(reader.GetString(2)), Replayed: true);
    }

    private async Task<ConflictState> RepeatResolutionAsync(ConflictState state, string winnerPartnerId, CancellationToken cancellationToken)
    {
        if (!string.Equals(state.WinnerPartnerId, winnerPartnerId, StringComparison.Ordinal)) throw new ConflictAlreadyResolvedException(state);
        return await FinishRegistryAsync(state.ConflictId, cancellationToken);
    }

    /// <summary>Writes a recorded resolution into the registry once; a failure leaves it to be finished by repeating the resolution.</summary>
    private async Task<ConflictState> FinishRegistryAsync(Guid conflictId, CancellationToken cancellationToken)
    {
        var state = (await GetConflictAsync(conflictId, cancellationToken))!;
        await using var connection = await database.OpenAsync(cancellationToken);
        var synced = (long)(await connection.Command("SELECT registry_synced FROM conflicts WHERE conflict_id = $id")
            .With("$id", Id(conflictId)).ExecuteScalarAsync(cancellationToken))!;
        if (synced == 1 || state.WinnerPartnerId is not { } winner) return state;

        var subscription = await registry.GetSubscriptionAsync(state.SubscriptionId, cancellationToken);
        if (subscription is not null && !string.Equals(subscription.PorPartnerId, winner, StringComparison.Ordinal))
        {
            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            await registry.RecordPorChangeAsync(new PorChange(state.SubscriptionId, winner, today, $"Conflict {conflictId:D} resolved by the customer's decision"), cancellationToken);
        }

        await connection.Command("UPDATE conflicts SET registry_synced = 1 WHERE conflict_id = $id").With("$id", Id(conflictId)).ExecuteNonQueryAsync(cancellationToken);
        return state;
    }

    private sealed record PendingClaimRow(Guid SubscriptionId, string ClaimantPartnerId, ClaimOutcome Outcome, ClaimStatus Status, Guid? ConflictId, string? DecidedPorPartnerId);

    private async Task<PendingClaimRow?> ReadPendingClaimAsync(Guid claimId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command("""
            SELECT subscription_id, claimant_partner_id, outcome, status, conflict_id, decided_por_partner_id FROM claims WHERE claim_id = $id
            """).With("$id", Id(claimId)).ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new PendingClaimRow(Guid.Parse(reader.GetString(0)), reader.GetString(1), Enum.Parse<ClaimOutcome>(reader.GetString(2)),
            Enum.Parse<ClaimStatus>(reader.GetString(3)), reader.IsDBNull(4) ? null : Guid.Parse(reader.GetString(4)), reader.GetNullableString(5));
    }

    /// <summary>Writes a recorded pending-claim decision into the registry once; a failure leaves it to be finished by repeating the resolution.</summary>
    private async Task FinishPendingRegistryAsync(Guid subscriptionId, string winner, Guid claimId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var unsynced = await connection.Command("SELECT 1 FROM claims WHERE subscription_id = $sub AND decided_por_partner_id = $winner AND registry_synced = 0 LIMIT 1")
            .With("$sub", Id(subscriptionId)).With("$winner", winner).ExecuteScalarAsync(cancellationToken) is not null;
        if (!unsynced) return;

        var subscription = await registry.GetSubscriptionAsync(subscriptionId, cancellationToken);
        if (subscription is not null && !string.Equals(subscription.PorPartnerId, winner, StringComparison.Ordinal))
        {
            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            await registry.RecordPorChangeAsync(new PorChange(subscriptionId, winner, today, $"Pending claim {claimId:D} resolved by the customer's decision"), cancellationToken);
        }

        await connection.Command("UPDATE claims SET registry_synced = 1 WHERE subscription_id = $sub AND decided_por_partner_id = $winner AND registry_synced = 0")
            .With("$sub", Id(subscriptionId)).With("$winner", winner).ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<(Guid? ConflictId, string PartnerId, ClaimStatus Status)?> ReadClaimAsync(Guid claimId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.Command("SELECT conflict_id, claimant_partner_id, status FROM claims WHERE claim_id = $id")
            .With("$id", Id(claimId)).ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return (reader.IsDBNull(0) ? null : Guid.Parse(reader.GetString(0)), reader.GetString(1), Enum.Parse<ClaimStatus>(reader.GetString(2)));
    }

    private async Task<ConflictState?> FindOpenConflictAsync(Guid subscriptionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await FindOpenConflictAsync(connection, null, subscriptionId, cancellationToken);
    }

    private static async Task<ConflictState?> FindOpenConflictAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid subscriptionId, CancellationToken cancellationToken)
    {
        Guid conflictId;
        string por;
        int version;
        await using (var reader = await connection.Command("SELECT conflict_id, current_por_partner_id, version FROM conflicts WHERE subscription_id = $sub AND status = 'Open'", transaction)
            .With("$sub", Id(subscriptionId)).ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken)) return null;
            (conflictId, por, version) = (Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetInt32(2));
        }

        return new ConflictState(conflictId, subscriptionId, por, ConflictStatus.Open, null, version, await ClaimantsAsync(connection, transaction, conflictId, cancellationToken));
    }

    private static async Task<IReadOnlyList<ClaimantState>> ClaimantsAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid conflictId, CancellationToken cancellationToken)
    {
        await using var reader = await connection.Command("SELECT claim_id, claimant_partner_id, status, created_at FROM claims WHERE conflict_id = $id ORDER BY created_at, claim_id", transaction)
            .With("$id", Id(conflictId)).ExecuteReaderAsync(cancellationToken);
        var list = new List<ClaimantState>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ClaimantState(Guid.Parse(reader.GetString(0)), reader.GetString(1), Enum.Parse<ClaimStatus>(reader.GetString(2)), SqliteExtensions.FromDbTime(reader.GetString(3))));
        }

        return list;
    }

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

    private Task<int> QueueAsync(SqliteConnection connection, SqliteTransaction transaction, List<NewAlert> owed, Guid conflictId, string kind, int revision,
        IReadOnlyList<string> parties, Dictionary<string, List<StoredConversationReference>> targets, CancellationToken cancellationToken)
    {
        var alerts = new List<NewAlert>();
        foreach (var party in parties)
        {
            var places = targets.TryGetValue(party, out var found) && found.Count > 0 ? found.Cast<StoredConversationReference?>().ToList() : [null];
            alerts.AddRange(places.Select(place => new NewAlert(conflictId, kind, revision, party, place)));
        }

        // Until claims move behind IClaimStore (issue 7, part 2): an outbox outside this file gets the alerts once the change is committed.
        if (outbox is not SqliteAlertOutbox)
        {
            owed.AddRange(alerts);
            return Task.FromResult(0);
        }

        return SqliteAlertOutbox.InsertAsync(connection, transaction, alerts, time.GetUtcNow(), cancellationToken);
    }

    /// <summary>Commits, then queues the alerts the change owes an outbox outside the SQLite file (a crash in between loses them: interim).</summary>
    private async Task CommitAsync(SqliteTransaction transaction, List<NewAlert> owed, CancellationToken cancellationToken)
    {
        await transaction.CommitAsync(cancellationToken);
        if (owed.Count > 0) await outbox.EnqueueAsync(owed, CancellationToken.None);
    }

    private static string RequestHash(ClaimRequest request)
    {
        var canonical = string.Join('\n', Id(request.SubscriptionId), request.ClaimantPartnerId, request.Source, request.SourceSystem ?? "\0", request.Note ?? "\0");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    // GUIDs are stored as lower-case 'D' text, as the registry stores them.
    private static string Id(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\d{5,8}$", RegexOptions.CultureInvariant)]
    private static partial Regex PartnerIdPattern();
}
